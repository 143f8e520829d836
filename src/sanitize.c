#include "config.h"

#include "sanitize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Length of a dollar-quoted string starting at p ($$...$$ or $tag$...$tag$), or 0. */
static size_t
dollar_len(const char *p)
{
	size_t tag = 1;
	const char *end;
	char *delim;

	if (*p != '$' || (p[1] >= '0' && p[1] <= '9'))
		return 0;
	while (p[tag] && is_ident(p[tag]))
		tag++;
	if (p[tag] != '$')
		return 0;
	tag++;
	delim = xstrndup(p, tag);
	end = strstr(p + tag, delim);
	free(delim);
	return end ? (size_t)(end - p) + tag : strlen(p);
}

/* Any string constant: '...', E'...', $$...$$. */
static size_t
constant_len(const char *p)
{
	if ((p[0] == 'E' || p[0] == 'e') && p[1] == '\'')
		return 1 + literal_len(p + 1);
	if (p[0] == '\'')
		return literal_len(p);
	return dollar_len(p);
}

/*
 * The value after password= in a conninfo string: up to a space or a quote, or, when
 * the conninfo sits inside an SQL literal, a value quoted as ''...''.
 */
static size_t
conninfo_value_len(const char *s)
{
	const char *e;

	if (s[0] == '\'' && s[1] == '\'') {
		e = strstr(s + 2, "''");
		return e ? (size_t)(e - s) + 2 : strlen(s);
	}
	if (s[0] == '\'') {
		e = strchr(s + 1, '\'');
		return e ? (size_t)(e - s) + 1 : strlen(s);
	}
	return strcspn(s, " '\t\n\r");
}

/* At p = "://": the length of the password in user:password@host, and where it starts. */
static size_t
uri_password(const char *p, size_t *start)
{
	size_t auth = 3 + strcspn(p + 3, "/?#' \t\n\r\"");
	const char *at = NULL, *colon;
	size_t i;

	for (i = 3; i < auth; i++)
		if (p[i] == '@')
			at = p + i;
	if (at == NULL)
		return 0;
	colon = memchr(p + 3, ':', (size_t)(at - (p + 3)));
	if (colon == NULL || colon + 1 == at)
		return 0;
	*start = (size_t)(colon + 1 - p);
	return (size_t)(at - (colon + 1));
}

char *
sanitize_redact(const char *q)
{
	struct strbuf sb = {0};
	const char *p = q;

	if (q == NULL)
		return NULL;
	while (*p) {
		size_t start, len;

		if (p[0] == ':' && p[1] == '/' && p[2] == '/' && (len = uri_password(p, &start)) > 0) {
			/* scheme://user:secret@host */
			sb_addn(&sb, p, start);
			sb_add(&sb, "***");
			p += start + len;
			continue;
		}
		if ((p == q || !is_ident(p[-1])) && ci_prefix(p, "password") && !is_ident(p[8])) {
			const char *s = p + 8;

			while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
				s++;
			if (*s == '=') { /* password=secret inside a conninfo string */
				s++;
				while (*s == ' ')
					s++;
				len = conninfo_value_len(s);
				if (len > 0) {
					sb_addn(&sb, p, (size_t)(s - p));
					sb_add(&sb, "***");
					p = s + len;
					continue;
				}
			} else if ((len = constant_len(s)) > 0) {
				/* PASSWORD 'secret', E'secret' or $$secret$$ */
				sb_addn(&sb, p, (size_t)(s - p));
				sb_add(&sb, "'***'");
				p = s + len;
				continue;
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
render(struct strbuf *sb, const char *s, size_t limit, int utf8, int fold)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t cols = 0;
	int space = 0;
	char esc[16];

	/* folding: leading whitespace is dropped, inner runs folded, trailing dropped */
	while (fold && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' ||
			*p == '\f'))
		p++;
	while (*p) {
		uint32_t cp = 0;
		size_t n = 0, w, plen;
		const char *piece;

		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' ||
		    *p == '\f') {
			if (!fold) { /* laid-out text: every space is a column */
				if (limit > 0 && cols + 1 > limit)
					return 1;
				sb_addc(sb, ' ');
				cols++;
			} else {
				space = 1;
			}
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

	if (render(&sb, s, max_cols, utf8, 1) && max_cols > 3) {
		sb_release(&sb);
		render(&sb, s, max_cols - 3, utf8, 1);
		sb_add(&sb, "...");
	}
	return sb_detach(&sb);
}

char *
sanitize_cut(const char *s, size_t max_cols, int utf8)
{
	struct strbuf sb = {0};

	render(&sb, s, max_cols, utf8, 0);
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
