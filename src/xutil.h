/* Allocation that never returns NULL, a growable string, and fatal(). */
#ifndef PGMLTOP_XUTIL_H
#define PGMLTOP_XUTIL_H

#include <stdarg.h>
#include <stddef.h>

#define PGT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PGT_NORETURN __attribute__((noreturn))

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PGT_PRINTF(1, 2);

/* Print "pgmltop: <message>" to stderr and exit with status 1. */
void fatal(const char *fmt, ...) PGT_PRINTF(1, 2) PGT_NORETURN;

/* s without its leading and trailing blanks, tabs and carriage returns (cut in place). */
char *str_trim(char *s);

/* Copy at most size-1 bytes and terminate; returns the length of src. */
size_t strlcpy_(char *dst, const char *src, size_t size);

/* Recoverable error: a message for the status bar or stderr. */
struct pgt_err {
	char msg[512];
};
void pgt_err_set(struct pgt_err *err, const char *fmt, ...) PGT_PRINTF(2, 3);

/* A growable, always NUL-terminated string. Zero-initialise, then add. */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};
void sb_add(struct strbuf *sb, const char *s);
void sb_addn(struct strbuf *sb, const char *s, size_t n);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) PGT_PRINTF(2, 3);
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap) PGT_PRINTF(2, 0);
/* Returns the string (never NULL); the buffer is the caller's to free. */
char *sb_detach(struct strbuf *sb);
void sb_release(struct strbuf *sb);
const char *sb_str(const struct strbuf *sb);
/*
 * s as a JSON string, quotes included: control characters escaped, invalid UTF-8
 * replaced; null for NULL.
 */
void sb_add_json(struct strbuf *sb, const char *s);

/*
 * The whole of a text file (a new string), or NULL with "cannot read the WHAT in PATH:
 * reason" in err; a file with a NUL byte is refused as not text, and so is one larger
 * than TEXT_FILE_MAX_BYTES (rules files are a few KiB).
 */
#define TEXT_FILE_MAX_BYTES (4 << 20)
char *read_text_file(const char *path, const char *what, struct pgt_err *err);

/* Wall clock in seconds since the epoch, with sub-second precision. */
double now_wall(void);
/* Days since 1970-01-01 of a date (proleptic Gregorian calendar; m 1..12, d 1..31). */
long civil_day(int y, int m, int d);
/* Monotonic clock in seconds. */
double now_mono(void);

/* Strict number parsing: the whole string must be a number in [min, max]. */
int parse_double(const char *s, double min, double max, double *out);
int parse_long(const char *s, long min, long max, long *out);
/*
 * An hour in UTC: YYYY-MM-DD (midnight), YYYY-MM-DDTHH or YYYY-MM-DDTHH:00, a date that
 * exists, after 1970-01-01 00:00; or epoch seconds on an hour. 0 and *out set, or -1.
 */
int parse_utc_hour(const char *s, double *out);

#endif
