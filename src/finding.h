/*
 * A finding: what an advisor says about the whole server or one statement over a span of
 * time, in one shape for every advisor, so that the report and the screens can merge, rank
 * and write them without knowing which advisor made them. Writers build a title and a
 * detail from the rule and the figures.
 */
#ifndef PGMLTOP_FINDING_H
#define PGMLTOP_FINDING_H

#include <stdint.h>

/* The rules of the anomaly advisor (src/anomaly.h). */
#define FINDING_ANOMALY_CALLS "anomaly_calls"
#define FINDING_ANOMALY_MEAN_TIME "anomaly_mean_time"
#define FINDING_REGRESSION_MEAN_TIME "regression_mean_time"
#define FINDING_IMPROVEMENT_MEAN_TIME "improvement_mean_time"
/* A statement's plan changed between two captures (src/report-plans.c). */
#define FINDING_PLAN_CHANGE "plan_change"

struct finding {
	const char *rule;   /* a static name: FINDING_... */
	const char *metric; /* a static name of what was measured: "calls" (per hour), "mean_ms" */
	int has_queryid;    /* else it is about the whole server */
	int64_t queryid;
	double from, to;    /* epoch seconds: the hours concerned, [from, to) */
	/*
	 * The value seen and the usual one, in the metric's unit. An anomaly: over its hours
	 * (calls per hour; mean time per call), and the band of usual values around expected
	 * that it left. A change of level: expected is the level before, observed the level
	 * after, and the band that of the hours before. NAN where a rule has none.
	 */
	double observed;
	double expected;
	double low, high;
	double confidence;     /* 0..1 */
	double severity_ratio; /* observed / expected */
	double score;          /* the rule's own strength: robust z of an anomaly, separation of levels */
	int hours;             /* hours of evidence: of an anomaly, of the new level of a change */

	/*
	 * What the advisors that explain and suggest fill in (rewrite rules, N+1 loops,
	 * indexes); NULL or NAN for the others. The strings are the finding's own: free
	 * them with finding_free() (findings_free() for an array).
	 */
	const char *category; /* static: "rewrite", "n_plus_one", "index"; NULL: "anomaly" */
	const char *severity; /* static: "low", "medium", "high"; NULL: none */
	char *title;
	char *detail;
	char *suggestion;
	char *evidence;           /* the text of a JSON object: what it rests on */
	double saving_ms_per_day; /* estimated time the fix saves a day; NAN: not estimated */
};

/* A finding with no strings, every number NAN but the confidence and hours (0). */
void finding_init(struct finding *f);
/* Free the strings of f (not f). */
void finding_free(struct finding *f);
/* Free the strings of n findings, then the array. */
void findings_free(struct finding *f, int n);

#endif
