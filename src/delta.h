/*
 * Cumulative counters to per-interval deltas, keyed by (dbid, userid, queryid, toplevel).
 * A reset, a restart, a clock step back or an evicted entry never gives a negative or
 * doubled delta: the affected rows start a new baseline and the reason is flagged.
 */
#ifndef PGMLTOP_DELTA_H
#define PGMLTOP_DELTA_H

#include "snapshot.h"

struct delta_state;

struct delta_state *delta_new(void);
void delta_free(struct delta_state *st);

/* Forget the previous sample: the next one is a baseline flagged with 'why'. */
void delta_break(struct delta_state *st, unsigned why);

/*
 * Compare snap with the previous sample and fill out (which the caller frees with
 * delta_set_free). The statement rows of snap are sorted by key as a side effect.
 */
void delta_compute(struct delta_state *st, struct snapshot *snap, struct delta_set *out);

#endif
