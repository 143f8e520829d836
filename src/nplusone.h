/*
 * N+1 loops from the history alone (rule "n_plus_one"). Pure: the caller gives aligned
 * series of the statements (per sample or per hour) and the transactions of their
 * databases; no store, no server, no screen.
 *
 * A child is a cheap point lookup called many times: about one row a call, a small mean
 * time, enough time a day to matter, and (when its text is known) the shape of a SELECT
 * with a parameterized equality and no aggregate. Its parent is a statement of the same
 * database and user that returns several rows a call, such that over at least min_intervals
 * intervals the child's calls divided by the parent's rows hold near their median (most
 * intervals within [1/band, band] of it) and the two rise and fall together (Pearson or
 * rank correlation of their rates at least min_corr), and still do with the rest of the load
 * held apart (partial correlation, given the calls of all the other statements, at least
 * min_partial): two statements that only follow the whole load (a burst after a stall, the
 * daily curve) are not a loop. The best parent is the one with the
 * highest correlation; among those within 0.01 of it, the one whose ratio is nearest 1.
 *
 * The child must also run many times per unit of work: its calls per transaction of its
 * database, or, when a parent is found, its calls per call of the parent, at least
 * min_calls_per_xact. The database's transactions include all its other transactions, so
 * the first figure is a lower bound of the calls in the transactions that run the child.
 * Without a parent, the child is reported as an "N+1-shaped hot lookup" when its calls per
 * transaction alone reach the threshold.
 *
 * Confidence (from the research proposal, without its activity term, which the history
 * alone does not give):
 *   0.4 (shape and rows a call; 0.2 when the text is not known)
 *   + 0.3 when a parent is found
 *   + 0.1 x min(1, K / 12), K the intervals used
 * so at most 0.8 with a parent and 0.5 without.
 *
 * The saving assumes that a batched statement for n keys costs one lookup plus
 * batch_row_cost of a lookup for each further key: the share saved is
 * 1 - (1 + batch_row_cost x (n - 1)) / n, n being the calls per parent call (with a parent)
 * or per transaction (without), applied to the child's execution time a day. Round trips
 * and planning, which the batch also saves, are not counted.
 */
#ifndef PGMLTOP_NPLUSONE_H
#define PGMLTOP_NPLUSONE_H

#include <stdint.h>

#include "finding.h"

#define FINDING_N_PLUS_ONE "n_plus_one"

struct n1_stmt {
	int64_t queryid;
	uint32_t dbid, userid;
	const char *text; /* normalized text; NULL: not known */
	const double *calls, *rows, *total_ms; /* n values each */
};

struct n1_db {
	uint32_t dbid;
	const double *xacts; /* commits and rollbacks per interval; NAN where not known */
};

struct n1_input {
	int n;             /* intervals, oldest first */
	const double *t;   /* epoch seconds of each interval's start */
	const double *dur; /* seconds each covers; 0: not sampled (a gap) */
	int hourly;        /* the intervals are hours (else samples) */
	int n_stmts;
	const struct n1_stmt *stmts;
	int n_dbs;
	const struct n1_db *dbs;
};

struct n1_opts {
	double max_child_rows;     /* a child returns at most this many rows a call (1.5) */
	double max_child_mean_ms;  /* and takes at most this long a call (1 ms) */
	double min_calls_per_xact; /* per transaction, or per call of its parent (5) */
	double min_ms_per_day;     /* material: this much execution time a day (10000 ms) */
	double min_share;          /* or this share of all statements' time (0.02) */
	double min_parent_rows;    /* a parent returns at least this many rows a call (2) */
	int min_intervals;         /* K: intervals in which either ran (6) */
	double band;               /* the ratio within [median / band, median x band] (2) */
	double min_in_band;        /* in at least this share of the K intervals (0.8) */
	double min_corr;           /* Pearson or rank correlation of the rates (0.8) */
	double min_partial;        /* and with the rest of the load held apart (0.8) */
	double batch_row_cost;     /* the saving's assumption, above (0.1) */
};

void n1_opts_default(struct n1_opts *o);

/*
 * The findings: one per child, with a parent or without. Returns their number (*out
 * allocated, caller frees with findings_free; NULL when none).
 */
int nplusone_find(const struct n1_input *in, const struct n1_opts *o, struct finding **out);

/* Whether a normalized text has the shape of a point lookup (see above). */
int nplusone_shape(const char *text);

/*
 * The batched form of a lookup's text: its first "col = $N" (or "col IN ($N)") made
 * "col = ANY($N)". NULL when the text has none (caller frees).
 */
char *nplusone_batched(const char *text);

#endif
