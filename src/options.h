/* The command line: psql-style connection options, top-style operation. */
#ifndef PGMLTOP_OPTIONS_H
#define PGMLTOP_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "pg.h"
#include "xutil.h"

enum run_mode {
	MODE_SCREEN, /* the interactive screen */
	MODE_BATCH,  /* -b: a plain-text table each interval */
	MODE_COLLECT,
	MODE_OFFLINE,
	MODE_REPORT,
	MODE_SIMULATE, /* --simulate: write a simulated history, no server */
	MODE_EXPLAIN,  /* --explain: one sample, then the plan of one statement */
	MODE_MARK,     /* --mark: the state of a recommendation, into the history */
};

enum { PROMPT_AUTO, PROMPT_NEVER, PROMPT_ALWAYS };

#define DEFAULT_INTERVAL 2.0
#define DEFAULT_COLLECT_INTERVAL 60.0
#define DEFAULT_DAYS 7
#define DEFAULT_PEAK_Z 2.5
#define DEFAULT_TOP 20
#define DEFAULT_KEEP_RAW_DAYS 2.0
#define DEFAULT_KEEP_HOURLY_DAYS 90.0
#define DEFAULT_HISTORY_INTERVAL 10.0

struct options {
	enum run_mode mode;
	struct conn_opts conn; /* strings borrowed from argv */
	int prompt;            /* PROMPT_* */
	double interval;       /* seconds */
	int interval_set;      /* -s was given: it wins over saved settings */
	long iterations;       /* 0: until stopped */
	const char *history;   /* NULL: the default file */
	int no_history;
	const char *report_format;
	const char *output;
	int force;             /* --force: -o may replace an existing file */
	const char *csv_table; /* --csv-table: one of report_csv_tables, NULL: the first */
	int64_t only[64];      /* --only: the report of these statements alone */
	int n_only;
	long days;
	double until; /* --until: the end of the --days window (epoch seconds), 0: now */
	double peak_z; /* --peak-z: where a pattern's bucket stands out */
	double server_memory; /* --server-memory: the server machine's memory in bytes, 0: unknown */
	long top; /* rows per interval in batch mode, 0: all */
	int no_color;
	double keep_raw_days;
	double keep_hourly_days;
	double history_interval; /* --history-interval; 0: not given */
	int64_t explain_queryid; /* --explain */
	int explain_analyze;     /* --analyze */
	int yes;                 /* --yes: no questions before --explain's plan */
	int read_only;           /* --read-only: nothing that changes or runs on the server */
	const char *mark_id;     /* --mark=ID=STATE */
	const char *mark_state;  /* "new", "acknowledged", "applied", "dismissed" */
	char mark_buf[64];
	double mark_at;          /* --at: when it was applied (epoch seconds), 0: now */
	const char *mark_reason; /* --reason */
	const char *simulate; /* the spec file */
	const char *truth;    /* --truth */
	int seed_set;
	unsigned long long seed;
};

/*
 * Fill o from argv. Returns 0 to run, 1 when --help or --version was printed (exit 0),
 * -1 on a usage error (message in err, exit 2).
 */
int options_parse(int argc, char **argv, struct options *o, struct pgt_err *err);
void options_help(FILE *out);

#endif
