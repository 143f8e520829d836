/* Text from the server is data from outside: make it safe before it is stored or shown. */
#ifndef PGMLTOP_SANITIZE_H
#define PGMLTOP_SANITIZE_H

#include <stddef.h>

/*
 * Hide secrets in query text: the string constant after PASSWORD ('...', E'...' or
 * $$...$$, as in CREATE/ALTER ROLE), the value of password= in a conninfo string, and
 * the password of a URI (scheme://user:secret@host). Returns a new string.
 */
char *sanitize_redact(const char *query);

/*
 * One display line: whitespace runs (newlines, tabs) become one space, other control
 * bytes are shown as \xNN, invalid UTF-8 as \xNN, and the result is cut to at most
 * max_cols display columns (0: no limit) with "..." at the end. Wide characters count
 * as two columns. When utf8 is 0, every non-ASCII byte is shown as \xNN. Returns a
 * new string.
 */
char *sanitize_line(const char *s, size_t max_cols, int utf8);

/*
 * For text already laid out in columns: control bytes and invalid UTF-8 escaped as in
 * sanitize_line, but spaces kept as they are (other whitespace becomes a space), and the
 * result cut at max_cols display columns (0: no limit) without an ellipsis.
 */
char *sanitize_cut(const char *s, size_t max_cols, int utf8);

/* Display width of a string that sanitize_line made. */
size_t sanitize_width(const char *s, int utf8);

#endif
