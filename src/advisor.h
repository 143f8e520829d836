/*
 * The recommendation engine: the findings of every advisor merged into recommendations,
 * one story each (all the findings on one statement together, with each fix and its
 * evidence kept), scored by the time they would save a day, their confidence and the
 * effort of the fix (doc/recommendations.md has the formula), with the state the user
 * gave them and, once applied, whether the change helped. Pure: the caller reads the
 * states and the hours from the history.
 */
#ifndef PGMLTOP_ADVISOR_H
#define PGMLTOP_ADVISOR_H

#include <stdint.h>

#include "finding.h"
#include "store.h"

#define REC_ID_LEN 20 /* "r" and 16 hex digits, and the NUL */

enum rec_outcome {
	REC_OUTCOME_NONE,      /* not applied */
	REC_OUTCOME_PENDING,   /* applied; too few hours after the change to tell */
	REC_OUTCOME_HELPED,    /* its metric went down, the interval clear of no change */
	REC_OUTCOME_NO_EFFECT, /* no change found */
	REC_OUTCOME_WORSE,     /* its metric went up */
	REC_OUTCOME_VANISHED,  /* not applied, and its problem is no longer found */
};

struct recommendation {
	char id[REC_ID_LEN];
	const char *category;  /* of its first fix (static) */
	const char *rule;      /* of its first fix (static) */
	int has_queryid;
	int64_t queryid;
	int *fixes;            /* indexes into the findings, the best fix first */
	int n_fixes;
	double saving_ms_per_day;
	double confidence;     /* 0..1, after the rules' track records */
	double effort;         /* 1 (a setting) .. 5 (a change in the application) */
	double score;          /* saving x confidence / effort */
	const char *state;     /* static: "new", "acknowledged", "applied", "dismissed" */
	char *reason;          /* the user's, or NULL */
	double changed_at;     /* of the state; 0: never changed */
	double applied_at;     /* 0: not applied */
	int reopened;          /* applied or dismissed, and a fix of another rule came since */
	/* an applied one: what its metric did after the change, against the week before */
	enum rec_outcome outcome;
	const char *outcome_metric; /* static: "mean_ms", "calls" */
	int outcome_pairs;
	double outcome_before, outcome_after, outcome_ratio, outcome_low, outcome_high;
	/* a stored state whose recommendation is not made any more: its snapshot */
	int from_state_only;
	char *title;           /* its title then (from_state_only), else NULL */
};

/* A rule's record: how its applied recommendations did, and how many were dismissed. */
struct rule_record {
	char rule[64];
	int helped, no_effect, dismissed;
	double factor; /* on the confidence of the rule's findings */
};

/* The effort of a finding's fix (doc/recommendations.md). */
double advisor_effort(const struct finding *f);

/*
 * The time a finding's fix would save a day: its own estimate, else the share its
 * category is given of the statement's time a day (stmt_ms_day; of the server's for a
 * finding on the whole server, server_ms_day). NAN when none can be made.
 */
double advisor_saving(const struct finding *f, double stmt_ms_day, double server_ms_day);

/* The factor a record gives its rule's confidence: a Beta(2, 1) prior moved by outcomes. */
double advisor_record_factor(int helped, int no_effect, int dismissed);

/* The stable id of a recommendation on a statement (has_queryid) or of a server finding. */
void advisor_rec_id(int has_queryid, int64_t queryid, const struct finding *f,
		    char id[REC_ID_LEN]);

/* Whether a finding is one to act on (not good news, not a pattern). */
int advisor_actionable(const struct finding *f);

/*
 * Merge the findings into recommendations (*out, n of them returned), by score, highest
 * first; ms_day(ctx, has_queryid, queryid) gives a statement's (or the server's) time a
 * day for the savings the findings do not estimate.
 */
int advisor_merge(const struct finding *f, int n, double (*ms_day)(void *ctx, int, int64_t),
		  void *ctx, struct recommendation **out);
void recommendations_free(struct recommendation *r, int n);
/* The strings and fixes of one (not r itself). */
void recommendations_free_one(struct recommendation *r);

/* Sort by score, highest first; ties by saving, then id. */
void advisor_sort(struct recommendation *r, int n);

const char *advisor_outcome_name(enum rec_outcome o);

#endif
