/*
 * A strict JSON parser (RFC 8259) into a tree of values, for text that comes from outside:
 * EXPLAIN (FORMAT JSON) output. Bounded in size and depth, so that hostile input gets an
 * error with its byte offset, never a crash. Pure: no libpq, no curses.
 */
#ifndef PGMLTOP_JSON_H
#define PGMLTOP_JSON_H

#include <stddef.h>

#include "xutil.h"

#define JSON_MAX_DEPTH 256
#define JSON_MAX_SIZE (64u * 1024 * 1024)

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_member;

struct json {
	enum json_type type;
	/* bytes of a string (without its NUL), items of an array, members of an object */
	size_t n;
	union {
		int boolean;
		double number;
		char *str; /* UTF-8, NUL-terminated; may hold NUL bytes from \u0000 */
		struct json *items;
		struct json_member *members;
	} u;
};

struct json_member {
	char *key; /* as str above; its length in key_len */
	size_t key_len;
	struct json value;
};

/* Bounds of a parse; json_parse_limits(NULL ...) takes the defaults above. */
struct json_limits {
	size_t max_size;
	int max_depth;
};

/*
 * Parse the len bytes of text (need not be NUL-terminated): exactly one value, with
 * blanks around it. NULL with "JSON: <what> at byte N" in err when the text is not JSON
 * or passes a limit. Free the result with json_free().
 */
struct json *json_parse(const char *text, size_t len, struct pgt_err *err);
struct json *json_parse_limits(const char *text, size_t len, const struct json_limits *lim,
			       struct pgt_err *err);
void json_free(struct json *v);

/* The value of the first member KEY of an object; NULL when v is no object or lacks it. */
const struct json *json_get(const struct json *v, const char *key);
/* Item i of an array; NULL when v is no array or too short. */
const struct json *json_item(const struct json *v, size_t i);
/* The string, or NULL when v is NULL or no string. */
const char *json_str(const struct json *v);
/* The number, or def when v is NULL or no number. */
double json_num(const struct json *v, double def);

#endif
