/*
 * Where a report goes (standard output, or a file replaced whole), in which format, and
 * over which statements: for --report and the screen's export.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

int
report_out_open(struct report_out *ro, const char *path, struct pgt_err *err)
{
	struct stat sb;
	const char *slash;
	int fd;
	mode_t mask;

	memset(ro, 0, sizeof *ro);
	if (path == NULL || strcmp(path, "-") == 0) {
		ro->f = stdout;
		return 0;
	}
	ro->path = path;
	if (lstat(path, &sb) == 0) {
		if (S_ISLNK(sb.st_mode)) {
			pgt_err_set(err, "cannot write the report to %s: it is a symbolic link; give the file it "
			    "points to",
			    path);
			return -1;
		}
		if (S_ISDIR(sb.st_mode)) {
			pgt_err_set(err, "cannot write the report to %s: %s", path, strerror(EISDIR));
			return -1;
		}
		if (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode)) {
			/* /dev/null or a pipe: nothing to replace, write to it */
			fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 || (ro->f = fdopen(fd, "w")) == NULL) {
				pgt_err_set(err, "cannot write the report to %s: %s", path, strerror(errno));
				if (fd >= 0)
					close(fd);
				return -1;
			}
			return 0;
		}
		if (!S_ISREG(sb.st_mode)) {
			pgt_err_set(err, "cannot write the report to %s: it is not a regular file", path);
			return -1;
		}
	} else if (errno != ENOENT) {
		pgt_err_set(err, "cannot write the report to %s: %s", path, strerror(errno));
		return -1;
	}
	slash = strrchr(path, '/');
	if (slash == NULL)
		ro->tmp = xasprintf(".%s.XXXXXX", path);
	else
		ro->tmp = xasprintf("%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
	fd = mkostemp(ro->tmp, O_CLOEXEC);
	if (fd < 0) {
		pgt_err_set(err, "cannot write the report to %s: %s", path, strerror(errno));
		free(ro->tmp);
		ro->tmp = NULL;
		return -1;
	}
	/* mkostemp makes it 0600: give the mode a new file gets, 0666 less the umask */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0 || (ro->f = fdopen(fd, "w")) == NULL) {
		pgt_err_set(err, "cannot write the report to %s: %s", path, strerror(errno));
		close(fd);
		unlink(ro->tmp);
		free(ro->tmp);
		ro->tmp = NULL;
		return -1;
	}
	return 0;
}

int
report_out_close(struct report_out *ro, int ok, struct pgt_err *err)
{
	int rc = ok;
	const char *where = ro->path != NULL ? ro->path : "standard output";

	if (ro->f == NULL)
		return -1;
	if (rc == 0 && fflush(ro->f) != 0)
		rc = -1;
	if (rc == 0 && ro->tmp != NULL && fsync(fileno(ro->f)) != 0)
		rc = -1;
	if (rc < 0)
		pgt_err_set(err, "cannot write the report to %s: %s", where, strerror(errno));
	if (ro->f != stdout && fclose(ro->f) != 0 && rc == 0) {
		pgt_err_set(err, "cannot write the report to %s: %s", where, strerror(errno));
		rc = -1;
	}
	ro->f = NULL;
	if (ro->tmp != NULL) {
		/*
		 * keep: link() puts it in place only where nothing is, at the moment it does
		 * (a file system without hard links falls back to rename)
		 */
		if (rc == 0 && ro->keep && link(ro->tmp, ro->path) == 0) {
			unlink(ro->tmp);
			free(ro->tmp);
			ro->tmp = NULL;
			return 0;
		}
		if (rc == 0 && ro->keep && errno == EEXIST) {
			pgt_err_set(err, "%s exists: give --force to replace it, or another file with -o",
				    where);
			rc = -1;
		} else if (rc == 0 && rename(ro->tmp, ro->path) != 0) {
			pgt_err_set(err, "cannot write the report to %s: %s", where, strerror(errno));
			rc = -1;
		}
		if (rc < 0)
			unlink(ro->tmp);
		free(ro->tmp);
		ro->tmp = NULL;
	}
	return rc;
}


int
report_write(const struct report *r, const char *format, const char *csv_table, FILE *f)
{
	if (strcmp(format, "html") == 0)
		return report_write_html(r, f);
	if (strcmp(format, "md") == 0)
		return report_write_md(r, f);
	if (strcmp(format, "csv") == 0)
		return report_write_csv(r, csv_table, f);
	return report_write_json(r, f);
}

static int
in_set(const int64_t *ids, int n, int64_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

void
report_scope(struct report *r, const int64_t *ids, int n)
{
	int *map = xcalloc((size_t)(r->n_findings ? r->n_findings : 1), sizeof *map);
	int k = 0, i;

	/* the statements */
	for (i = 0; i < r->n_stmts; i++) {
		if (in_set(ids, n, r->stmts[i].queryid)) {
			struct stmt_total t = r->stmts[k];

			r->stmts[k] = r->stmts[i];
			r->stmts[i] = t;
			k++;
		}
	}
	for (i = k; i < r->n_stmts; i++) {
		/* the rows left out: their strings (the array stays the report's) */
		free(r->stmts[i].query);
		free(r->stmts[i].dbname);
		free(r->stmts[i].username);
	}
	r->n_stmts = k;
	/* the patterns and findings of those statements only */
	for (i = k = 0; i < r->n_patterns; i++)
		if (r->patterns[i].has_queryid && in_set(ids, n, r->patterns[i].queryid))
			r->patterns[k++] = r->patterns[i];
	r->n_patterns = k;
	for (i = k = 0; i < r->n_findings; i++) {
		struct finding *f = &r->findings[i];

		if (f->has_queryid && in_set(ids, n, f->queryid)) {
			map[i] = k;
			r->findings[k++] = *f;
		} else {
			map[i] = -1;
			finding_free(f);
		}
	}
	r->n_findings = k;
	/* the recommendations, their fixes renumbered */
	for (i = k = 0; i < r->n_recs; i++) {
		struct recommendation *rec = &r->recs[i];
		int m = 0;

		if (!rec->has_queryid || !in_set(ids, n, rec->queryid)) {
			recommendations_free_one(rec);
			continue;
		}
		for (int j = 0; j < rec->n_fixes; j++)
			if (map[rec->fixes[j]] >= 0)
				rec->fixes[m++] = map[rec->fixes[j]];
		rec->n_fixes = m;
		r->recs[k++] = *rec;
	}
	r->n_recs = k;
	free(map);
	report_scope_forecasts(r, ids, n);
	r->scoped = 1;
}

int
report_export(struct store *st, double now, long days, const char *format, const char *csv_table,
	      const int64_t *ids, int n_ids, const char *path, struct pgt_err *err)
{
	struct report r;
	struct report_out ro;
	int series = strcmp(format, "html") == 0 || strcmp(format, "md") == 0 ? REPORT_SERIES : 0;
	int rc;

	if (report_build_all(st, now, days, series,
			     csv_table != NULL && strcmp(csv_table, "hours") == 0, &r, err) < 0) {
		report_free(&r);
		return -1;
	}
	if (ids != NULL)
		report_scope(&r, ids, n_ids);
	if (report_out_open(&ro, path, err) < 0) {
		report_free(&r);
		return -1;
	}
	rc = report_write(&r, format, csv_table, ro.f);
	rc = report_out_close(&ro, rc, err);
	report_free(&r);
	return rc;
}
