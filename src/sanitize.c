#include "config.h"

#include "sanitize.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "xutil.h"

static int
ci_prefix(const char *s, const char *word)
{
	size_t i;

	for (i = 0; word[i]; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return 0;
	}
	return 1;
}

static int
is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || (unsigned char)c >= 0x80;
}

/* Length of a quoted literal starting at p ('...' with '' inside), or 0. */
static size_t
literal_len(const char *p)
{
	size_t i = 1;

	if (*p != '\'')
		return 0;
	while (p[i]) {
		if (p[i] == '\'') {
			if (p[i + 1] == '\'') {
				i += 2;
				continue;
			}
			return i + 1;
		}
		i++;
	}
	return i;
}

char *
sanitize_redact(const char *q)
{
	struct strbuf sb = {0};
	const char *p = q;

	if (q == NULL)
		return NULL;
	while (*p) {
		if ((p == q || !is_ident(p[-1])) && ci_prefix(p, "password")) {
			const char *r = p + 8;

			if (!is_ident(*r)) {
				const char *s = r;
				size_t len;

				while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
					s++;
				if (*s == '=') { /* password=secret inside a conninfo string */
					s++;
					while (*s == ' ')
						s++;
					len = strcspn(s, " '\t\n\r");
					if (len > 0) {
						sb_addn(&sb, p, (size_t)(s - p));
						sb_add(&sb, "***");
						p = s + len;
						continue;
					}
				} else if ((len = literal_len(s)) > 0) {
					sb_addn(&sb, p, (size_t)(s - p));
					sb_add(&sb, "'***'");
					p = s + len;
					continue;
				}
			}
		}
		sb_addc(&sb, *p++);
	}
	return sb_detach(&sb);
}

/* Decode one UTF-8 sequence; returns its length, or 0 when it is invalid. */
static size_t
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Bidirectional controls and C1 controls are shown escaped as well. */
static int
unsafe_cp(uint32_t c)
{
	return (c >= 0x80 && c < 0xa0) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0x061c;
}

static int
cp_width(uint32_t c)
{
	int w = wcwidth((wchar_t)c);

	return w < 0 ? 1 : w;
}

/* Append the display form of s, at most limit columns (0: all); 1 when something was cut. */
static int
render(struct strbuf *sb, const char *s, size_t limit, int utf8)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t cols = 0;
	int space = 0;
	char esc[16];

	/* leading whitespace is dropped, inner runs folded, trailing dropped */
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	while (*p) {
		uint32_t cp = 0;
		size_t n = 0, w, plen;
		const char *piece;

		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' ||
		    *p == '\f') {
			space = 1;
			p++;
			continue;
		}
		if (*p >= 0x20 && *p < 0x7f) {
			piece = (const char *)p;
			plen = n = w = 1;
		} else if (utf8 && *p >= 0x80 && (n = utf8_decode(p, &cp)) > 0 && !unsafe_cp(cp)) {
			piece = (const char *)p;
			plen = n;
			w = (size_t)cp_width(cp);
		} else {
			if (utf8 && n > 0)
				snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
			else {
				snprintf(esc, sizeof esc, "\\x%02x", *p);
				n = 1;
			}
			piece = esc;
			plen = w = strlen(esc);
		}
		if (limit > 0 && cols + (size_t)space + w > limit)
			return 1;
		if (space) {
			sb_addc(sb, ' ');
			cols++;
			space = 0;
		}
		sb_addn(sb, piece, plen);
		cols += w;
		p += n;
	}
	return 0;
}

char *
sanitize_line(const char *s, size_t max_cols, int utf8)
{
	struct strbuf sb = {0};

	if (render(&sb, s, max_cols, utf8) && max_cols > 3) {
		sb_release(&sb);
		render(&sb, s, max_cols - 3, utf8);
		sb_add(&sb, "...");
	}
	return sb_detach(&sb);
}

size_t
sanitize_width(const char *s, int utf8)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cols = 0;

	while (*p) {
		uint32_t cp;
		size_t n;

		if (utf8 && *p >= 0x80 && (n = utf8_decode(p, &cp)) > 0) {
			cols += (size_t)cp_width(cp);
			p += n;
		} else {
			cols++;
			p++;
		}
	}
	return cols;
}
