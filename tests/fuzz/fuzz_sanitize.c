/*
 * sanitize_redact, sanitize_line, sanitize_cut and sanitize_width on any text. The first
 * byte of the input is the column limit (0: none), the second chooses UTF-8 or not; the
 * rest is the text. Checked: nothing that reaches the terminal is a control byte, the
 * output is valid UTF-8 (ASCII without UTF-8), and it fits the column limit.
 */
#include <locale.h>

#include "fuzz.h"
#include "sanitize.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setlocale(LC_ALL, "C.UTF-8");
	return 0;
}

/* Length of the UTF-8 sequence at s, 0 when invalid (an encoder's view, not sanitize.c's). */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned long c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	c = s[0] & (0xff >> (n + 1));
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	/* C1 controls and the bidirectional controls must have been escaped */
	if ((c >= 0x80 && c < 0xa0) || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0x061c)
		return 0;
	return n;
}

static void
check_display(const char *out, int utf8)
{
	const unsigned char *p = (const unsigned char *)out;

	while (*p) {
		FUZZ_ASSERT(*p >= 0x20 && *p != 0x7f);
		if (*p < 0x80) {
			p++;
			continue;
		}
		FUZZ_ASSERT(utf8);
		size_t n = utf8_len(p);

		FUZZ_ASSERT(n > 0);
		p += n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max_cols;
	int utf8;
	char *text, *out;

	if (size < 2)
		return 0;
	max_cols = data[0];
	utf8 = data[1] & 1;
	text = fuzz_text(data + 2, size - 2);

	out = sanitize_redact(text);
	FUZZ_ASSERT(out != NULL);
	free(out);

	out = sanitize_line(text, max_cols, utf8);
	check_display(out, utf8);
	if (max_cols > 0)
		FUZZ_ASSERT(sanitize_width(out, utf8) <= max_cols);
	/* one line: no leading or trailing blank, no two blanks in a row */
	FUZZ_ASSERT(out[0] != ' ');
	FUZZ_ASSERT(strstr(out, "  ") == NULL);
	free(out);

	out = sanitize_cut(text, max_cols, utf8);
	check_display(out, utf8);
	if (max_cols > 0)
		FUZZ_ASSERT(sanitize_width(out, utf8) <= max_cols);
	free(out);

	free(text);
	return 0;
}
