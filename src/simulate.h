/*
 * The simulator: a history file made from a spec (simspec.h) through the same store code
 * that the collector uses, one simulated sample at a time, deterministic for a seed. It
 * also writes the truth: which behaviour was planted where, for scoring detectors.
 */
#ifndef PGMLTOP_SIMULATE_H
#define PGMLTOP_SIMULATE_H

#include <stdint.h>
#include <stdio.h>

#include "simspec.h"
#include "xutil.h"

struct sim_stats {
	long samples;
	long stmt_rows; /* statement deltas stored */
	double seconds;
	double store_s;        /* in store_sample, all samples */
	double maintain_s;     /* in store_maintain (rollups and retention), all runs */
	double maintain_max_s; /* the longest run of store_maintain */
	int64_t server_id;
	double start, end;
};

/*
 * Write the simulated history of spec into the history file path (created when missing).
 * truth: the truth file (NULL: the spec's, or none). progress: where to say how far it
 * got (NULL: nowhere).
 */
int simulate_run(const struct sim_spec *spec, const char *path, const char *truth,
		 FILE *progress, struct sim_stats *stats, struct pgt_err *err);

/* The statement values of one simulated hour (for tests): calls and mean time. */
struct sim_hour {
	int64_t calls;
	double mean_ms;
};

#endif
