/*
 * The spec of a simulated history (doc/simulate.md): what the simulator writes, and what
 * behaviour it plants where. Parsing only; simulate.c makes the history.
 */
#ifndef PGMLTOP_SIMSPEC_H
#define PGMLTOP_SIMSPEC_H

#include <stdint.h>

#include "xutil.h"

#define SIM_MAX_PEAKS 8
#define SIM_MAX_EVENTS 8
#define SIM_MAX_EFFECTS 8

/* A peak: calls times height in one hour, on a share of the days (or weeks) it may recur. */
struct sim_peak {
	int weekday; /* 0 Sunday .. 6 Saturday; -1: every day (a daily peak) */
	int hour;    /* 0..23, local time */
	double height;
	double recurrence; /* 0..1 */
};

/* Hours whose calls are multiplied by factor: quiet hours (factor < 1) or busy ones. */
struct sim_hours {
	int from, to; /* hours from..to inclusive, may wrap past midnight */
	double factor;
};

/* Something that happens on one day: a regression of the mean time, or a spike of calls. */
struct sim_event {
	int day;  /* 1-based day of the simulation */
	int hour; /* spike: the hour; regression: the hour it starts */
	double factor;
};

struct sim_stmt {
	char *name;
	char *text;
	int64_t queryid; /* from the text, as stable as the text, unless given */
	int queryid_given;
	int toplevel;
	double calls; /* per hour, base */
	double mean_ms;
	double spread; /* sd of the logarithm of the hourly mean time */
	double noise;  /* sd of the logarithm of the hourly calls */
	double rows;   /* per call */
	double hit, read, temp; /* blocks per call */
	double trend;  /* relative growth of calls per day */
	double weekday_factor[7]; /* Sunday..Saturday, 1 by default */
	struct sim_peak peaks[SIM_MAX_PEAKS];
	int n_peaks;
	struct sim_hours quiet[SIM_MAX_PEAKS];
	int n_quiet;
	struct sim_event regressions[SIM_MAX_EVENTS];
	int n_regressions;
	struct sim_event spikes[SIM_MAX_EVENTS];
	int n_spikes;
	char *parent; /* N+1: this statement runs fanout times per call of parent */
	int parent_index;
	double fanout;
	int filler; /* generated, not named in the spec */
	int own_calls; /* calls, noise, trend or weekday was given (not for a child) */
};

struct sim_effect {
	char *stmt; /* name */
	int stmt_index;
	double factor; /* on its mean time, from the change on */
};

struct sim_setting {
	char *name;
	char *before, *after;
	char *unit;
	int day, hour;
	struct sim_effect effects[SIM_MAX_EFFECTS];
	int n_effects;
};

struct sim_spec {
	uint64_t seed;
	int days;
	double end; /* epoch seconds of the end (an hour boundary); 0: the current hour */
	int interval; /* seconds between samples, divides 3600 */
	int raw_hours; /* the last hours sampled at raw_interval */
	int raw_interval;
	char *server; /* label */
	int servers;  /* how many servers, each with the same spec */
	char *server_key; /* NULL: simulated:<server> */
	char *database, *user;
	uint32_t dbid, userid; /* the oids the statements run under */
	char *truth; /* file for the truth; NULL: none unless --truth */
	int filler;
	double filler_calls, filler_ms;

	struct sim_stmt *stmts;
	int n_stmts;
	struct sim_setting *settings;
	int n_settings;
};

/*
 * Parse a spec file; -1 with "FILE:LINE: message" in err, or "FILE: message" for what
 * is wrong with the spec as a whole (a statement without text, a day past the end).
 */
int simspec_load(const char *path, struct sim_spec *spec, struct pgt_err *err);
/* The same from text (name is used in messages). */
int simspec_parse(const char *text, const char *name, struct sim_spec *spec, struct pgt_err *err);
void simspec_free(struct sim_spec *spec);

/* The query id of a text: a 64-bit hash, never 0. */
int64_t simspec_queryid(const char *text);

#endif
