#include "config.h"

#include "paths.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *
paths_default_history(struct pgt_err *err)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/pgmltop/history.db", xdg);
	if (home == NULL || home[0] == '\0') {
		struct passwd *pw = getpwuid(getuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (home == NULL || home[0] == '\0') {
		pgt_err_set(err, "cannot find a home directory for the history file: set "
				 "XDG_DATA_HOME or give a file with -H");
		return NULL;
	}
	return xasprintf("%s/.local/share/pgmltop/history.db", home);
}

int
paths_make_parent(const char *path, struct pgt_err *err)
{
	char *dir = xstrdup(path);
	char *p;

	p = strrchr(dir, '/');
	if (p == NULL || p == dir) {
		free(dir);
		return 0;
	}
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
				pgt_err_set(err, "cannot make the directory %s: %s", dir,
					    strerror(errno));
				free(dir);
				return -1;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(dir);
	return 0;
}


int
paths_load_rules(const char *name, const char *what,
		 int (*load)(void *ctx, const char *path, struct pgt_err *err), void *ctx,
		 struct pgt_err *err)
{
	const char *data = getenv("PGMLTOP_DATADIR");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *path;
	FILE *f;
	int rc;

	path = xasprintf("%s/%s", data != NULL && data[0] ? data : PKGDATADIR, name);
	rc = load(ctx, path, err);
	free(path);
	if (rc < 0)
		return -1;
	if (xdg != NULL && xdg[0] == '/')
		path = xasprintf("%s/pgmltop/%s", xdg, name);
	else if (home != NULL && home[0])
		path = xasprintf("%s/.config/pgmltop/%s", home, name);
	else
		return 0;
	/* the user's file is optional: only its absence is not an error */
	f = fopen(path, "r");
	if (f != NULL) {
		fclose(f);
		rc = load(ctx, path, err);
	} else if (errno != ENOENT) {
		pgt_err_set(err, "cannot read the %s in %s: %s", what, path, strerror(errno));
		rc = -1;
	}
	free(path);
	return rc;
}
