/*
 * The settings a user changes on the screen (sort column and order, interval, colour),
 * kept in a small key=value file: $PGMLTOP_CONFIG, else $XDG_CONFIG_HOME/pgmltop/config,
 * else ~/.config/pgmltop/config. Options on the command line win over the file.
 */
#ifndef PGMLTOP_SETTINGS_H
#define PGMLTOP_SETTINGS_H

#include <stddef.h>

#include "xutil.h"

struct settings {
	char sort[16];   /* a column name as the screen shows it, e.g. TIME% */
	int reverse;     /* 1: smallest first */
	double interval; /* seconds */
	int color;       /* 0: no colour */
	char hidden[160]; /* columns the user hid, comma-separated names ("" for none) */
	/* alerts: set in the file only, never by the screen */
	double alert_score;  /* a new recommendation with this score or more; 0: none */
	int alert_anomalies; /* an anomaly of the last two hours */
	int alert_reconnect; /* the server lost, and found again */
	int alert_bell;      /* ring the terminal's bell */
	char alert_command[512]; /* run with each alert ("" for none) */
};

void settings_defaults(struct settings *c);

/*
 * Read settings from text (the file's contents; name is used in messages). Unknown keys
 * and bad values are skipped and counted; the first problem is described in err, with
 * the file name and line. Returns the number of problems.
 */
int settings_parse(const char *text, const char *name, struct settings *c, struct pgt_err *err);

/* The file's text for c. Returns a new string. */
char *settings_format(const struct settings *c);

/* The file to use; a new string, or NULL with a message. */
char *settings_path(struct pgt_err *err);

/* Load the file into c (a missing file is not an error); returns problems as settings_parse. */
int settings_load(const char *path, struct settings *c, struct pgt_err *err);
/* Write it (mode 0600, directories 0700), replacing the old one at once; -1 on error. */
int settings_save(const char *path, const struct settings *c, struct pgt_err *err);

#endif
