/*
 * explain_check_text, the guard before a statement's text is ever sent to the server, on
 * any text. Beyond not crashing, what it says must hold, checked by a scanner of its own
 * here (written apart from the guard, after PostgreSQL's lexer: standard_conforming_strings
 * on, E'' strings with backslashes where an E starts a token, nested comments, dollar
 * quotes):
 *   - a text it takes (READ or WRITE) is one statement: no semicolon outside strings,
 *     quoted names and comments before len, and after len only semicolons, blanks and
 *     comments;
 *   - a text that ends inside a string, a quoted name or a comment is refused;
 *   - verb is the first word in upper case; max_param is the highest $n of the text.
 */
#include <ctype.h>

#include "explain.h"
#include "fuzz.h"

enum { CODE, SQUOTE, ESTRING, DQUOTE, LINE_COMMENT, BLOCK_COMMENT, DOLLAR };

struct scan {
	int ended_inside;   /* the text ends inside a string, quoted name or comment */
	size_t first_semi;  /* offset of the first top-level semicolon, or the length */
	int code_after;     /* code (not ; blanks or comments) after that semicolon */
	int max_param;
};

static int
word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static void
scan(const char *t, struct scan *sc)
{
	size_t len = strlen(t), i = 0, tag_len = 0;
	const char *tag = NULL;
	int state = CODE, depth = 0, seen_semi = 0;

	memset(sc, 0, sizeof *sc);
	sc->first_semi = len;
	while (i < len) {
		unsigned char c = (unsigned char)t[i];

		switch (state) {
		case CODE:
			if (c == ';') {
				if (!seen_semi)
					sc->first_semi = i;
				seen_semi = 1;
				i++;
			} else if (c == '-' && t[i + 1] == '-') {
				state = LINE_COMMENT;
				i += 2;
			} else if (c == '/' && t[i + 1] == '*') {
				state = BLOCK_COMMENT;
				depth = 1;
				i += 2;
			} else if (c == '\'') {
				state = SQUOTE;
				i++;
			} else if (c == '"') {
				state = DQUOTE;
				i++;
			} else if (c == '$' && isdigit((unsigned char)t[i + 1])) {
				long v = 0;

				i++;
				while (isdigit((unsigned char)t[i])) {
					if (v <= 100000)
						v = v * 10 + (t[i] - '0');
					i++;
				}
				if (seen_semi)
					sc->code_after = 1;
				if (v > sc->max_param && v <= 65535)
					sc->max_param = (int)v;
			} else if (c == '$') {
				/* $tag$ or $$ opens a dollar quote */
				size_t j = i + 1;

				if (t[j] != '$') {
					if (!(isalpha((unsigned char)t[j]) || t[j] == '_' ||
					      (unsigned char)t[j] >= 0x80)) {
						if (seen_semi)
							sc->code_after = 1;
						i++;
						break;
					}
					while (t[j] != '\0' && t[j] != '$' &&
					       (isalnum((unsigned char)t[j]) || t[j] == '_' ||
						(unsigned char)t[j] >= 0x80))
						j++;
					if (t[j] != '$') {
						if (seen_semi)
							sc->code_after = 1;
						i++;
						break;
					}
				}
				tag = t + i;
				tag_len = j + 1 - i;
				state = DOLLAR;
				i = j + 1;
			} else if ((c == 'e' || c == 'E') && t[i + 1] == '\'') {
				/* E'...' at the start of a token: a string with backslash escapes */
				if (seen_semi)
					sc->code_after = 1;
				state = ESTRING;
				i += 2;
			} else if (isalpha(c) || c == '_' || c >= 0x80) {
				/* a word: $ inside it opens nothing */
				if (seen_semi)
					sc->code_after = 1;
				while (i < len && word_char((unsigned char)t[i]))
					i++;
			} else {
				if (seen_semi && !isspace(c))
					sc->code_after = 1;
				i++;
			}
			break;
		case SQUOTE:
		case DQUOTE:
			if (t[i] == (state == SQUOTE ? '\'' : '"')) {
				if (t[i + 1] == t[i])
					i += 2;
				else {
					state = CODE;
					i++;
				}
			} else {
				i++;
			}
			break;
		case ESTRING:
			if (c == '\\' && t[i + 1] != '\0')
				i += 2;
			else if (c == '\'' && t[i + 1] == '\'')
				i += 2;
			else if (c == '\'') {
				state = CODE;
				i++;
			} else {
				i++;
			}
			break;
		case LINE_COMMENT:
			if (c == '\n')
				state = CODE;
			i++;
			break;
		case BLOCK_COMMENT:
			if (c == '/' && t[i + 1] == '*') {
				depth++;
				i += 2;
			} else if (c == '*' && t[i + 1] == '/') {
				depth--;
				i += 2;
				if (depth == 0)
					state = CODE;
			} else {
				i++;
			}
			break;
		case DOLLAR:
			if (c == '$' && strncmp(t + i, tag, tag_len) == 0) {
				i += tag_len;
				state = CODE;
			} else {
				i++;
			}
			break;
		}
	}
	sc->ended_inside = state != CODE && state != LINE_COMMENT;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct explain_check ck;
	struct scan sc;

	explain_check_text(text, &ck);
	scan(text, &sc);
	FUZZ_ASSERT(ck.len <= strlen(text));
	FUZZ_ASSERT(memchr(ck.why, '\0', sizeof ck.why) != NULL);
	FUZZ_ASSERT(memchr(ck.verb, '\0', sizeof ck.verb) != NULL);
	if (sc.ended_inside)
		FUZZ_ASSERT(ck.kind == EXPLAIN_REFUSED);
	if (ck.kind != EXPLAIN_REFUSED) {
		size_t i;

		FUZZ_ASSERT(ck.why[0] == '\0');
		/* one statement: it ends at the first semicolon, nothing but blanks after it */
		FUZZ_ASSERT(ck.len == sc.first_semi);
		FUZZ_ASSERT(!sc.code_after);
		FUZZ_ASSERT(ck.max_param == sc.max_param);
		FUZZ_ASSERT(ck.verb[0] != '\0');
		for (i = 0; ck.verb[i] != '\0'; i++)
			FUZZ_ASSERT(!islower((unsigned char)ck.verb[i]));
		/* what is sent, the text up to len, holds no semicolon of its own */
		{
			char *sent = strndup(text, ck.len);
			struct scan again;

			FUZZ_ASSERT(sent != NULL);
			scan(sent, &again);
			FUZZ_ASSERT(!again.ended_inside);
			FUZZ_ASSERT(again.first_semi == ck.len);
			free(sent);
		}
	} else {
		FUZZ_ASSERT(ck.why[0] != '\0');
	}
	free(text);
	return 0;
}
