#include "config.h"

#include "json.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *s;
	size_t len, pos;
	int depth, max_depth;
	struct pgt_err *err;
};

static int
fail(struct parser *p, const char *what)
{
	pgt_err_set(p->err, "JSON: %s at byte %zu", what, p->pos);
	return -1;
}

static void
skip_blanks(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int
peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void
value_free(struct json *v)
{
	size_t i;

	switch (v->type) {
	case JSON_STRING:
		free(v->u.str);
		break;
	case JSON_ARRAY:
		for (i = 0; i < v->n; i++)
			value_free(&v->u.items[i]);
		free(v->u.items);
		break;
	case JSON_OBJECT:
		for (i = 0; i < v->n; i++) {
			free(v->u.members[i].key);
			value_free(&v->u.members[i].value);
		}
		free(v->u.members);
		break;
	default:
		break;
	}
	v->type = JSON_NULL;
	v->n = 0;
}

static int parse_value(struct parser *p, struct json *out);

static int
literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "unknown word");
	p->pos += n;
	return 0;
}

static int
hex4(struct parser *p, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	if (p->len - p->pos < 4)
		return fail(p, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		char c = p->s[p->pos + (size_t)i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return fail(p, "bad hex digit in \\u escape");
	}
	p->pos += 4;
	*out = v;
	return 0;
}

static void
add_utf8(struct strbuf *sb, uint32_t cp)
{
	char b[4];

	if (cp < 0x80) {
		sb_addc(sb, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		sb_addn(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		sb_addn(sb, b, 3);
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		sb_addn(sb, b, 4);
	}
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need, i;
	uint32_t cp;

	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and code points past U+10FFFF are not UTF-8 */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/* A string at p->pos (its opening quote): the bytes, decoded, in a new buffer. */
static int
parse_string(struct parser *p, char **out, size_t *out_len)
{
	struct strbuf sb = {0};

	p->pos++;
	for (;;) {
		size_t start = p->pos, n;
		unsigned char c;

		/* copy a run of plain bytes at once */
		while (p->pos < p->len) {
			c = (unsigned char)p->s[p->pos];
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			p->pos++;
		}
		if (p->pos > start)
			sb_addn(&sb, p->s + start, p->pos - start);
		if (p->pos >= p->len) {
			fail(p, "unterminated string");
			goto bad;
		}
		c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			fail(p, "control character in a string");
			goto bad;
		}
		if (c >= 0x80) {
			n = utf8_len((const unsigned char *)p->s + p->pos, p->len - p->pos);
			if (n == 0) {
				fail(p, "invalid UTF-8 in a string");
				goto bad;
			}
			sb_addn(&sb, p->s + p->pos, n);
			p->pos += n;
			continue;
		}
		/* a backslash */
		if (p->pos + 1 >= p->len) {
			p->pos++;
			fail(p, "unterminated string");
			goto bad;
		}
		p->pos++;
		c = (unsigned char)p->s[p->pos++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			sb_addc(&sb, (char)c);
			break;
		case 'b':
			sb_addc(&sb, '\b');
			break;
		case 'f':
			sb_addc(&sb, '\f');
			break;
		case 'n':
			sb_addc(&sb, '\n');
			break;
		case 'r':
			sb_addc(&sb, '\r');
			break;
		case 't':
			sb_addc(&sb, '\t');
			break;
		case 'u': {
			uint32_t cp, lo;

			if (hex4(p, &cp) < 0)
				goto bad;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				p->pos -= 6;
				fail(p, "low surrogate without a high one");
				goto bad;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* UTF-16 above the BMP: a high surrogate wants a low one next */
				if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u') {
					fail(p, "high surrogate without a low one");
					goto bad;
				}
				p->pos += 2;
				if (hex4(p, &lo) < 0)
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					p->pos -= 6;
					fail(p, "high surrogate without a low one");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			add_utf8(&sb, cp);
			break;
		}
		default:
			p->pos--;
			fail(p, "unknown escape in a string");
			goto bad;
		}
	}
	*out_len = sb.len;
	*out = sb_detach(&sb);
	return 0;
bad:
	sb_release(&sb);
	return -1;
}

static int
parse_number(struct parser *p, struct json *out)
{
	size_t start = p->pos, n, i;
	char small[64], *buf;
	const char *dp;
	double v;

#define DIGIT() (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0') {
		p->pos++;
	} else if (DIGIT()) {
		while (DIGIT())
			p->pos++;
	} else {
		return fail(p, "bad number");
	}
	if (peek(p) == '.') {
		p->pos++;
		if (!DIGIT())
			return fail(p, "no digit after the decimal point");
		while (DIGIT())
			p->pos++;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!DIGIT())
			return fail(p, "no digit in the exponent");
		while (DIGIT())
			p->pos++;
	}
#undef DIGIT
	/* strtod reads the locale's decimal point: give it that one */
	n = p->pos - start;
	buf = n < sizeof small ? small : xmalloc(n + 1);
	memcpy(buf, p->s + start, n);
	buf[n] = '\0';
	dp = localeconv()->decimal_point;
	if (dp != NULL && dp[0] != '\0' && dp[0] != '.' && dp[1] == '\0')
		for (i = 0; i < n; i++)
			if (buf[i] == '.')
				buf[i] = dp[0];
	v = strtod(buf, NULL);
	if (buf != small)
		free(buf);
	/* too large is an error; too small is as near zero as a double gets */
	if (isinf(v)) {
		p->pos = start;
		return fail(p, "number out of range");
	}
	out->type = JSON_NUMBER;
	out->u.number = v;
	return 0;
}

static int
parse_array(struct parser *p, struct json *out)
{
	size_t alloc = 0;

	out->type = JSON_ARRAY;
	out->n = 0;
	out->u.items = NULL;
	p->pos++;
	skip_blanks(p);
	if (peek(p) == ']') {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (out->n == alloc) {
			alloc = alloc ? alloc * 2 : 4;
			out->u.items = xreallocarray(out->u.items, alloc, sizeof *out->u.items);
		}
		/* counted before it is parsed, so that a failure frees what it holds */
		out->n++;
		if (parse_value(p, &out->u.items[out->n - 1]) < 0)
			return -1;
		skip_blanks(p);
		if (peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (peek(p) == ']') {
			p->pos++;
			return 0;
		}
		return fail(p, peek(p) < 0 ? "truncated array" : "expected ',' or ']'");
	}
}

static int
parse_object(struct parser *p, struct json *out)
{
	size_t alloc = 0;

	out->type = JSON_OBJECT;
	out->n = 0;
	out->u.members = NULL;
	p->pos++;
	skip_blanks(p);
	if (peek(p) == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		struct json_member *m;

		skip_blanks(p);
		if (peek(p) != '"')
			return fail(p, peek(p) < 0 ? "truncated object" : "expected a member name");
		if (out->n == alloc) {
			alloc = alloc ? alloc * 2 : 4;
			out->u.members = xreallocarray(out->u.members, alloc, sizeof *out->u.members);
		}
		m = &out->u.members[out->n];
		if (parse_string(p, &m->key, &m->key_len) < 0)
			return -1;
		m->value.type = JSON_NULL;
		m->value.n = 0;
		out->n++;
		skip_blanks(p);
		if (peek(p) != ':')
			return fail(p, peek(p) < 0 ? "truncated object" : "expected ':'");
		p->pos++;
		if (parse_value(p, &m->value) < 0)
			return -1;
		skip_blanks(p);
		if (peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (peek(p) == '}') {
			p->pos++;
			return 0;
		}
		return fail(p, peek(p) < 0 ? "truncated object" : "expected ',' or '}'");
	}
}

static int
parse_value(struct parser *p, struct json *out)
{
	int c, rc;

	out->type = JSON_NULL;
	out->n = 0;
	skip_blanks(p);
	c = peek(p);
	switch (c) {
	case -1:
		return fail(p, "truncated text: a value is missing");
	case '{':
	case '[':
		if (p->depth >= p->max_depth)
			return fail(p, "nested too deep");
		p->depth++;
		rc = c == '{' ? parse_object(p, out) : parse_array(p, out);
		p->depth--;
		return rc;
	case '"':
		if (parse_string(p, &out->u.str, &out->n) < 0)
			return -1;
		out->type = JSON_STRING;
		return 0;
	case 't':
		out->type = JSON_BOOL;
		out->u.boolean = 1;
		return literal(p, "true");
	case 'f':
		out->type = JSON_BOOL;
		out->u.boolean = 0;
		return literal(p, "false");
	case 'n':
		return literal(p, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return parse_number(p, out);
		return fail(p, "unexpected character");
	}
}

struct json *
json_parse_limits(const char *text, size_t len, const struct json_limits *lim,
		  struct pgt_err *err)
{
	struct parser p;
	struct json *v;
	size_t max_size = lim != NULL ? lim->max_size : JSON_MAX_SIZE;

	memset(&p, 0, sizeof p);
	p.s = text;
	p.len = len;
	p.max_depth = lim != NULL ? lim->max_depth : JSON_MAX_DEPTH;
	p.err = err;
	if (text == NULL) {
		fail(&p, "no text");
		return NULL;
	}
	if (len > max_size) {
		pgt_err_set(err, "JSON: the text has %zu bytes, more than the %zu allowed", len,
			    max_size);
		return NULL;
	}
	v = xcalloc(1, sizeof *v);
	if (parse_value(&p, v) < 0) {
		json_free(v);
		return NULL;
	}
	skip_blanks(&p);
	if (p.pos < p.len) {
		fail(&p, "text after the value");
		json_free(v);
		return NULL;
	}
	return v;
}

struct json *
json_parse(const char *text, size_t len, struct pgt_err *err)
{
	return json_parse_limits(text, len, NULL, err);
}

void
json_free(struct json *v)
{
	if (v == NULL)
		return;
	value_free(v);
	free(v);
}

const struct json *
json_get(const struct json *v, const char *key)
{
	size_t i, n;

	if (v == NULL || v->type != JSON_OBJECT)
		return NULL;
	n = strlen(key);
	for (i = 0; i < v->n; i++)
		if (v->u.members[i].key_len == n && memcmp(v->u.members[i].key, key, n) == 0)
			return &v->u.members[i].value;
	return NULL;
}

const struct json *
json_item(const struct json *v, size_t i)
{
	if (v == NULL || v->type != JSON_ARRAY || i >= v->n)
		return NULL;
	return &v->u.items[i];
}

const char *
json_str(const struct json *v)
{
	return v != NULL && v->type == JSON_STRING ? v->u.str : NULL;
}

double
json_num(const struct json *v, double def)
{
	return v != NULL && v->type == JSON_NUMBER ? v->u.number : def;
}
