#include "config.h"

#include "xutil.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void
oom(void)
{
	fputs("pgmltop: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xreallocarray(void *ptr, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		oom();
	p = realloc(ptr, n * size > 0 ? n * size : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	struct strbuf sb = {0};
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	return sb_detach(&sb);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("pgmltop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

size_t
strlcpy_(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

void
pgt_err_set(struct pgt_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

static void
sb_grow(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;

	if (need <= sb->alloc)
		return;
	if (sb->alloc == 0)
		sb->alloc = 64;
	while (sb->alloc < need)
		sb->alloc *= 2;
	sb->buf = xreallocarray(sb->buf, sb->alloc, 1);
}

void
sb_addn(struct strbuf *sb, const char *s, size_t n)
{
	sb_grow(sb, n);
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
sb_add(struct strbuf *sb, const char *s)
{
	sb_addn(sb, s, strlen(s));
}

void
sb_addc(struct strbuf *sb, char c)
{
	sb_addn(sb, &c, 1);
}

void
sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void
sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

char *
sb_detach(struct strbuf *sb)
{
	char *s = sb->buf ? sb->buf : xstrdup("");

	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	return s;
}

void
sb_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
}

const char *
sb_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

double
now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	/* decimal only: strtod would also take hex (0x10), inf and nan */
	if (s == NULL || *s == '\0' || strpbrk(s, "xXpPiInN") != NULL)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}


long
civil_day(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
parse_utc_hour(const char *v, double *out)
{
	struct tm tm, back;
	int y = 0, mo = 0, d = 0, h = 0, used = 0;
	size_t len = strlen(v);
	double e;
	time_t t;

	memset(&tm, 0, sizeof tm);
	if ((sscanf(v, "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3 && (size_t)used == len) ||
	    (sscanf(v, "%4d-%2d-%2dT%2d%n", &y, &mo, &d, &h, &used) == 4 && (size_t)used == len) ||
	    (sscanf(v, "%4d-%2d-%2dT%2d:00%n", &y, &mo, &d, &h, &used) == 4 &&
	     (size_t)used == len)) {
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		t = timegm(&tm);
		/* a date that does not exist (2026-02-31) comes back as another one */
		if (y >= 1970 && h >= 0 && h < 24 && gmtime_r(&t, &back) != NULL &&
		    back.tm_year == y - 1900 && back.tm_mon == mo - 1 && back.tm_mday == d &&
		    t > 0) {
			*out = (double)t;
			return 0;
		}
	} else if (parse_double(v, 3600, 253402300799.0, &e) == 0 &&
		   e == (double)(long long)e && (long long)e % 3600 == 0) {
		*out = e;
		return 0;
	}
	return -1;
}

void
sb_add_json(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL) {
		/* a string that is not there is JSON's null, never a crash */
		sb_add(sb, "null");
		return;
	}
	sb_addc(sb, '"');
	while (*p) {
		unsigned c = *p;
		size_t n = 0, i;
		uint32_t cp = 0;

		if (c == '"' || c == '\\') {
			sb_addc(sb, '\\');
			sb_addc(sb, (char)c);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n':
				sb_add(sb, "\\n");
				break;
			case '\t':
				sb_add(sb, "\\t");
				break;
			case '\r':
				sb_add(sb, "\\r");
				break;
			default:
				sb_addf(sb, "\\u%04x", c);
			}
			p++;
			continue;
		}
		if (c < 0x80) {
			sb_addc(sb, (char)c);
			p++;
			continue;
		}
		/* UTF-8: copy a valid sequence, replace anything else with U+FFFD */
		if ((c & 0xe0) == 0xc0) {
			n = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4;
			cp = c & 0x07;
		}
		for (i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				n = 0;
				break;
			}
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (n == 0 || (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			sb_add(sb, "\\ufffd");
			p++;
			continue;
		}
		if (cp == 0x2028 || cp == 0x2029)
			sb_addf(sb, "\\u%04x", (unsigned)cp);
		else
			sb_addn(sb, (const char *)p, n);
		p += n;
	}
	sb_addc(sb, '"');
}

char *
read_text_file(const char *path, const char *what, struct pgt_err *err)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb = {0};
	char buf[4096];
	size_t n;

	if (f == NULL) {
		pgt_err_set(err, "cannot read the %s in %s: %s", what, path, strerror(errno));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		/* never more than the cap in memory, whatever the file (or device) holds */
		if (sb.len + n > TEXT_FILE_MAX_BYTES) {
			struct stat st;

			if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
			    (size_t)st.st_size > TEXT_FILE_MAX_BYTES)
				pgt_err_set(err,
					    "cannot read the %s in %s: the file has %lld bytes, more "
					    "than the %d MiB a file of %s may have: shorten it or "
					    "move it aside",
					    what, path, (long long)st.st_size,
					    TEXT_FILE_MAX_BYTES >> 20, what);
			else
				pgt_err_set(err,
					    "cannot read the %s in %s: it holds more than the %d MiB "
					    "a file of %s may have: shorten it or move it aside",
					    what, path, TEXT_FILE_MAX_BYTES >> 20, what);
			fclose(f);
			sb_release(&sb);
			return NULL;
		}
		sb_addn(&sb, buf, n);
	}
	if (ferror(f)) {
		pgt_err_set(err, "cannot read the %s in %s: %s", what, path, strerror(errno));
		fclose(f);
		sb_release(&sb);
		return NULL;
	}
	fclose(f);
	if (strlen(sb_str(&sb)) != sb.len) {
		pgt_err_set(err, "%s: the %s are text; this file has a NUL byte", path, what);
		sb_release(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

char *
str_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}
