/*
 * Unit tests of the parameter advisor on figures built in memory: each shipped rule fires
 * on the evidence it is for and not on a quiet server; the evidence and the statement it
 * suggests; the rule-file parser's errors name file and line; the before/after comparison
 * finds a planted step with the right sign and size, and none where there is none.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "xutil.h"

static struct param_rules *shipped;

static const char *const default_rows[][4] = {
	{"work_mem", "4096", "kB", "default"},
	{"max_wal_size", "1024", "MB", "default"},
	{"checkpoint_timeout", "300", "s", "default"},
	{"checkpoint_completion_target", "0.9", NULL, "default"},
	{"shared_buffers", "16384", "8kB", "configuration file"},
	{"max_connections", "100", NULL, "configuration file"},
	{"pg_stat_statements.max", "5000", NULL, "default"},
	{"track_io_timing", "on", NULL, "configuration file"},
	{"compute_query_id", "auto", NULL, "default"},
	{"effective_cache_size", "524288", "8kB", "default"},
	{"random_page_cost", "4", NULL, "default"},
	{"seq_page_cost", "1", NULL, "default"},
	{"autovacuum", "on", NULL, "default"},
	{"autovacuum_naptime", "60", "s", "default"},
	{"autovacuum_max_workers", "3", NULL, "default"},
	{"autovacuum_vacuum_scale_factor", "0.2", NULL, "default"},
	{"autovacuum_vacuum_threshold", "50", NULL, "default"},
};
#define N_DEFAULTS ((int)(sizeof default_rows / sizeof default_rows[0]))
static struct param_setting defaults[N_DEFAULTS];

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}


static int
setup(void **state)
{
	struct pgt_err err = {{0}};
	char *path = xasprintf("%s/../data/params.rules", getenv("TESTS_SRCDIR") != NULL
								   ? getenv("TESTS_SRCDIR")
								   : "tests");

	(void)state;
	for (int i = 0; i < N_DEFAULTS; i++) {
		defaults[i].name = dup_or_null(default_rows[i][0]);
		defaults[i].setting = dup_or_null(default_rows[i][1]);
		defaults[i].unit = dup_or_null(default_rows[i][2]);
		defaults[i].source = dup_or_null(default_rows[i][3]);
	}
	shipped = params_rules_new();
	if (params_rules_load_file(shipped, path, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	for (int i = 0; i < N_DEFAULTS; i++) {
		free(defaults[i].name);
		free(defaults[i].setting);
		free(defaults[i].unit);
		free(defaults[i].source);
	}
	params_rules_free(shipped);
	return 0;
}

/* A quiet server: pgbench-like statements, no spills, timed checkpoints only. */
static void
quiet_input(struct param_input *in, struct param_stmt *st)
{
	memset(in, 0, sizeof *in);
	in->days = 1;
	in->settings = defaults;
	in->n_settings = N_DEFAULTS;
	st[0] = (struct param_stmt){1, "app", "UPDATE pgbench_accounts", 10000, 900, 0};
	st[1] = (struct param_stmt){2, "app", "SELECT abalance", 10000, 200, 0};
	in->stmts = st;
	in->n_stmts = 2;
	in->have_db = 1;
	in->blks_hit = 1e6;
	in->blks_read = 1000;
	in->have_ckpt = 1;
	in->ckpt_timed = 12;
	in->ckpt_requested = 0;
	in->ckpt_hours = 1;
	in->have_sess = 1;
	in->sess_peak = 12;
	in->have_dealloc = 1;
	in->dealloc = 0;
	in->mem_bytes = NAN;
}

static int
advise(const struct param_input *in, struct param_rec **recs, int *n_recs, struct finding **f,
       int *n_f)
{
	*recs = NULL;
	*f = NULL;
	*n_recs = *n_f = 0;
	return params_advise(shipped, in, recs, n_recs, f, n_f);
}

static const struct param_rec *
rec_of(const struct param_rec *r, int n, const char *rule)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(r[i].rule, rule) == 0)
			return &r[i];
	return NULL;
}

/* The recommendation of the rule, which must be there. */
static const struct param_rec *
rec_must(const struct param_rec *r, int n, const char *rule)
{
	static char none[] = "(none)";
	static struct param_rec missing = {"", none, none, none, none, none, 0, none};
	const struct param_rec *p = rec_of(r, n, rule);

	if (p == NULL) {
		print_error("no recommendation of rule %s\n", rule);
		fail();
		return &missing;
	}
	return p;
}

static void
quiet_server_gets_nothing(void **state)
{
	struct param_input in;
	struct param_stmt st[2];
	struct param_rec *r;
	struct finding *f;
	int nr, nf;

	(void)state;
	quiet_input(&in, st);
	assert_int_equal(advise(&in, &r, &nr, &f, &nf), 0);
	assert_int_equal(nr, 0);
	param_recs_free(r, nr);
	findings_free(f, nf);
}

static void
work_mem_per_role_first(void **state)
{
	struct param_input in;
	struct param_stmt st[3];
	struct param_rec *r;
	struct finding *f;
	const struct param_rec *w;
	int nr, nf;

	(void)state;
	quiet_input(&in, st);
	/* 20 calls writing 3 MB of temporary data each, by the role reporter */
	st[2] = (struct param_stmt){77, "reporter", "SELECT ... ORDER BY 1", 20, 4000, 20 * 384};
	in.n_stmts = 3;
	advise(&in, &r, &nr, &f, &nf);
	assert_int_equal(nr, 1);
	w = rec_must(r, nr, "work_mem_role");
	assert_non_null(w);
	assert_string_equal(w->name, "work_mem");
	assert_string_equal(w->current, "4MB");
	/* 2 x 3 MB rounded up to a power of two */
	assert_string_equal(w->recommended, "8MB");
	assert_string_equal(w->scope, "role reporter");
	assert_string_equal(w->statement, "ALTER ROLE \"reporter\" SET work_mem = '8MB';");
	assert_non_null(strstr(w->evidence, "\"queryid\": \"77\""));
	assert_non_null(strstr(w->evidence, "\"temp_kb_per_call\": 3072"));
	assert_non_null(strstr(w->evidence, "\"memory_bytes\": null"));
	assert_int_equal(nf, 1);
	assert_string_equal(f[0].category, "parameter");
	assert_int_equal(f[0].has_queryid, 1);
	assert_int_equal(f[0].queryid, 77);
	assert_non_null(strstr(f[0].suggestion, "ALTER ROLE"));
	param_recs_free(r, nr);
	findings_free(f, nf);

	/* with the memory known, max_connections x work_mem stays within a quarter of it */
	in.mem_bytes = 16.0 * 1073741824; /* 16 GB: 4 GB / 100 connections = 40.96 MB */
	st[2].temp_blks_written = 20 * 3840.0; /* 30 MB a call: 64 MB wanted */
	advise(&in, &r, &nr, &f, &nf);
	w = rec_must(r, nr, "work_mem_role");
	assert_non_null(w);
	assert_string_equal(w->recommended, "40MB");
	assert_non_null(strstr(w->evidence, "\"bounded_by\": \"memory\""));
	assert_non_null(strstr(w->evidence, "\"bound_skipped\": null"));
	param_recs_free(r, nr);
	findings_free(f, nf);

	/* unknown memory: the bound is skipped and the evidence says which */
	in.mem_bytes = NAN;
	advise(&in, &r, &nr, &f, &nf);
	w = rec_must(r, nr, "work_mem_role");
	assert_string_equal(w->recommended, "64MB");
	assert_non_null(strstr(w->evidence, "\"memory_bytes\": null"));
	assert_non_null(strstr(w->evidence, "\"bound_skipped\": \"memory_share\""));
	param_recs_free(r, nr);
	findings_free(f, nf);

	/* the role sets its own work_mem: the advice starts from it and names it */
	{
		static char role[] = "reporter", name[] = "work_mem", v32[] = "32MB",
			    v64[] = "65536", shop[] = "shop";
		struct param_role_setting rs = {NULL, role, name, v32, NULL, 0, 1};

		in.role_settings = &rs;
		in.n_role_settings = 1;
		advise(&in, &r, &nr, &f, &nf);
		w = rec_must(r, nr, "work_mem_role");
		assert_string_equal(w->current, "32MB");
		assert_string_equal(w->recommended, "64MB");
		assert_non_null(strstr(w->evidence, "\"role_setting\": {\"work_mem\": \"32MB\""));
		assert_non_null(strstr(f[0].suggestion, "already sets work_mem = 32MB"));
		param_recs_free(r, nr);
		findings_free(f, nf);
		/* set in one database only: ALTER ROLE ... IN DATABASE */
		rs.database = shop;
		advise(&in, &r, &nr, &f, &nf);
		w = rec_must(r, nr, "work_mem_role");
		assert_string_equal(w->statement, "ALTER ROLE \"reporter\" IN DATABASE \"shop\" SET "
						  "work_mem = '64MB';");
		param_recs_free(r, nr);
		findings_free(f, nf);
		/* a value in the setting's unit (kB): shown with its unit, raised twice */
		rs.database = NULL;
		rs.setting = v64;
		advise(&in, &r, &nr, &f, &nf);
		w = rec_must(r, nr, "work_mem_role");
		assert_string_equal(w->current, "64MB");
		assert_string_equal(w->recommended, "128MB");
		param_recs_free(r, nr);
		findings_free(f, nf);
		in.role_settings = NULL;
		in.n_role_settings = 0;
	}
}

static void
work_mem_global_needs_many(void **state)
{
	struct param_input in;
	struct param_stmt st[8];
	struct param_rec *r;
	struct finding *f;
	int nr, nf, i;
	static const char *roles[] = {"a", "b", "c"};

	(void)state;
	quiet_input(&in, st);
	for (i = 0; i < 6; i++)
		st[2 + i] = (struct param_stmt){100 + i, roles[i % 3], "SELECT", 10, 100, 10 * 256};
	in.n_stmts = 8;
	in.temp_files = 500;
	advise(&in, &r, &nr, &f, &nf);
	assert_non_null(rec_of(r, nr, "work_mem_global"));
	assert_string_equal(rec_must(r, nr, "work_mem_global")->scope, "system");
	param_recs_free(r, nr);
	findings_free(f, nf);
	/* few temporary files a day: per-role advice only */
	in.temp_files = 10;
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "work_mem_global"));
	param_recs_free(r, nr);
	findings_free(f, nf);
}

static void
checkpoints_requested(void **state)
{
	struct param_input in;
	struct param_stmt st[2];
	struct param_rec *r;
	struct finding *f;
	const struct param_rec *c;
	int nr, nf;

	(void)state;
	quiet_input(&in, st);
	in.ckpt_timed = 1;
	in.ckpt_requested = 9;
	advise(&in, &r, &nr, &f, &nf);
	c = rec_must(r, nr, "checkpoints_requested");
	assert_non_null(c);
	assert_string_equal(c->name, "max_wal_size");
	assert_string_equal(c->current, "1GB");
	assert_string_equal(c->recommended, "4GB");
	assert_non_null(strstr(c->statement, "ALTER SYSTEM SET max_wal_size = '4GB'"));
	assert_non_null(strstr(c->evidence, "\"checkpoints_requested\": 9"));
	assert_non_null(strstr(c->evidence, "\"requested_share\": 0.9"));
	/* without pg_stat_wal the WAL figures are null */
	assert_non_null(strstr(c->evidence, "\"wal_bytes_per_hour\": null"));
	param_recs_free(r, nr);
	findings_free(f, nf);
	/* with it: the WAL per hour, per checkpoint and per checkpoint_timeout at the peak */
	in.have_wal = 1;
	in.wal_bytes = 6 * 1073741824.0;
	in.wal_hours = 2;
	in.wal_peak_hour = 4 * 1073741824.0;
	in.wal_ckpt_bytes = 3 * 1073741824.0;
	in.wal_ckpt_count = 6;
	advise(&in, &r, &nr, &f, &nf);
	c = rec_must(r, nr, "checkpoints_requested");
	assert_non_null(strstr(c->evidence, "\"wal_bytes_per_hour\": 3221225472"));
	assert_non_null(strstr(c->evidence, "\"wal_bytes_per_checkpoint\": 536870912"));
	/* 4 GB an hour is 341 MB in checkpoint_timeout's 300 s */
	assert_non_null(strstr(c->evidence,
			       "\"wal_bytes_per_checkpoint_timeout_at_peak\": 357913941"));
	assert_non_null(strstr(f[0].detail, "512 MB of WAL was written per checkpoint"));
	param_recs_free(r, nr);
	findings_free(f, nf);
	in.have_wal = 0;
	/* two requested of many: below the threshold */
	in.ckpt_timed = 20;
	in.ckpt_requested = 2;
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "checkpoints_requested"));
	param_recs_free(r, nr);
	findings_free(f, nf);
}

static void
other_rules(void **state)
{
	struct param_input in;
	struct param_stmt st[2];
	struct param_setting s[N_DEFAULTS];
	char half[] = "0.5", off1[] = "off", off2[] = "off";
	struct param_rec *r;
	struct finding *f;
	int nr, nf;

	(void)state;
	quiet_input(&in, st);
	memcpy(s, defaults, sizeof s);
	s[3].setting = half;
	s[7].setting = off1;
	s[8].setting = off2;
	in.settings = s;
	in.blks_hit = 500000;
	in.blks_read = 200000;
	in.sess_peak = 95;
	in.dealloc = 40;
	advise(&in, &r, &nr, &f, &nf);
	assert_int_equal(nr, 6);
	assert_string_equal(rec_must(r, nr, "checkpoint_completion_target")->recommended, "0.9");
	assert_string_equal(rec_must(r, nr, "shared_buffers_hit_ratio")->recommended, "256MB");
	assert_non_null(strstr(rec_must(r, nr, "shared_buffers_hit_ratio")->statement, "restart"));
	assert_string_equal(rec_must(r, nr, "max_connections_peak")->recommended, "120");
	assert_string_equal(rec_must(r, nr, "pg_stat_statements_max")->recommended, "10000");
	assert_string_equal(rec_must(r, nr, "track_io_timing_off")->recommended, "on");
	assert_string_equal(rec_must(r, nr, "compute_query_id_off")->recommended, "auto");
	param_recs_free(r, nr);
	findings_free(f, nf);
}

static void
effective_cache_size_rule(void **state)
{
	struct param_input in;
	struct param_stmt st[2];
	struct param_setting s[N_DEFAULTS];
	char small[] = "8192"; /* 64MB in 8kB pages */
	struct param_rec *r;
	struct finding *f;
	const struct param_rec *e;
	int nr, nf;

	(void)state;
	quiet_input(&in, st);
	/* memory known: 4GB is below half of 16GB, three quarters advised */
	in.mem_bytes = 16.0 * 1073741824;
	advise(&in, &r, &nr, &f, &nf);
	e = rec_must(r, nr, "effective_cache_size_low");
	assert_string_equal(e->current, "4GB");
	assert_string_equal(e->recommended, "12GB");
	assert_non_null(strstr(e->evidence, "\"based_on\": \"memory\""));
	assert_non_null(strstr(e->statement, "ALTER SYSTEM SET effective_cache_size = '12GB'"));
	param_recs_free(r, nr);
	findings_free(f, nf);
	/* 4GB of 6GB: above half, silent */
	in.mem_bytes = 6.0 * 1073741824;
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "effective_cache_size_low"));
	param_recs_free(r, nr);
	findings_free(f, nf);

	/* memory unknown: only below shared_buffers, with blocks read from outside them */
	in.mem_bytes = NAN;
	memcpy(s, defaults, sizeof s);
	s[9].setting = small;
	in.settings = s;
	in.blks_hit = 900000;
	in.blks_read = 100000;
	advise(&in, &r, &nr, &f, &nf);
	e = rec_must(r, nr, "effective_cache_size_low");
	assert_string_equal(e->current, "64MB");
	assert_string_equal(e->recommended, "384MB");
	assert_non_null(strstr(e->evidence, "\"memory_bytes\": null"));
	assert_non_null(strstr(e->evidence, "\"bound_skipped\": \"memory_share\""));
	assert_non_null(strstr(e->evidence, "\"based_on\": \"shared_buffers\""));
	param_recs_free(r, nr);
	findings_free(f, nf);
	/* the same with nearly every block in shared buffers: no evidence that it matters */
	in.blks_hit = 1e8;
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "effective_cache_size_low"));
	param_recs_free(r, nr);
	findings_free(f, nf);
	/* and the default 4GB above shared_buffers: silent */
	in.blks_hit = 900000;
	in.settings = defaults;
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "effective_cache_size_low"));
	param_recs_free(r, nr);
	findings_free(f, nf);
}

static void
autovacuum_rule(void **state)
{
	static char pub[] = "public", queue[] = "queue", big[] = "big", off[] = "autovacuum_enabled=off",
		    low[] = "autovacuum_vacuum_scale_factor=0.01", t1[] = "t1", t2[] = "t2",
		    t3[] = "t3", t4[] = "t4";
	const double now = 1.8e9;
	struct param_input in;
	struct param_stmt st[2];
	struct param_table tb[4];
	struct param_rec *r;
	struct finding *f;
	const struct param_rec *a;
	int nr, nf, i;

	(void)state;
	quiet_input(&in, st);
	/* autovacuum off for a table, 50,000 dead rows of 100,000, never vacuumed */
	memset(tb, 0, sizeof tb);
	tb[0] = (struct param_table){pub, queue, 50000, 50000, 0, 0, 0, off, now};
	in.tables = tb;
	in.n_tables = 1;
	advise(&in, &r, &nr, &f, &nf);
	assert_int_equal(nr, 1);
	a = rec_must(r, nr, "autovacuum_lag");
	assert_string_equal(a->scope, "table \"public\".\"queue\"");
	assert_string_equal(a->recommended, "0.05");
	assert_string_equal(a->statement,
			    "ALTER TABLE \"public\".\"queue\" SET (autovacuum_enabled = on, "
			    "autovacuum_vacuum_scale_factor = 0.05); VACUUM (ANALYZE) "
			    "\"public\".\"queue\";");
	assert_non_null(strstr(a->evidence, "\"n_dead_tup\": 50000"));
	assert_non_null(strstr(a->evidence, "\"autovacuum_enabled\": \"off\""));
	assert_non_null(strstr(a->evidence, "\"hours_since_vacuum\": null"));
	param_recs_free(r, nr);
	findings_free(f, nf);
	/* below the thresholds: few dead rows, or vacuumed ten minutes ago */
	tb[0].dead_rows = 5000;
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "autovacuum_lag"));
	param_recs_free(r, nr);
	findings_free(f, nf);
	tb[0].dead_rows = 50000;
	tb[0].last_vacuum = now - 600;
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "autovacuum_lag"));
	param_recs_free(r, nr);
	findings_free(f, nf);

	/* autovacuum on, the default factor: 300,000 dead of 1,300,000 is under twice the trigger */
	tb[0] = (struct param_table){pub, big, 1e6, 3e5, now - 5 * 3600, 0, 4, NULL, now};
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "autovacuum_lag"));
	param_recs_free(r, nr);
	findings_free(f, nf);
	/* 500,000 dead, 5 hours after the last vacuum: a lower factor for the table */
	tb[0].dead_rows = 5e5;
	advise(&in, &r, &nr, &f, &nf);
	a = rec_must(r, nr, "autovacuum_lag");
	assert_string_equal(a->current, "0.2");
	assert_string_equal(a->statement,
			    "ALTER TABLE \"public\".\"big\" SET (autovacuum_vacuum_scale_factor = "
			    "0.05);");
	assert_non_null(strstr(a->evidence, "\"hours_since_vacuum\": 5"));
	param_recs_free(r, nr);
	findings_free(f, nf);

	/* four tables behind with a low factor already: more workers for the server */
	{
		char *names[4] = {t1, t2, t3, t4};

		for (i = 0; i < 4; i++)
			tb[i] = (struct param_table){pub, names[i], 1e6, 5e5, now - 5 * 3600, 0, 9,
						     low, now};
	}
	in.n_tables = 4;
	advise(&in, &r, &nr, &f, &nf);
	assert_int_equal(nr, 1);
	a = rec_must(r, nr, "autovacuum_lag");
	assert_string_equal(a->name, "autovacuum_max_workers");
	assert_string_equal(a->recommended, "4");
	assert_non_null(strstr(a->statement, "restart"));
	assert_non_null(strstr(a->evidence, "\"tables_behind\": 4"));
	param_recs_free(r, nr);
	findings_free(f, nf);
	/* two of them only: below min_tables, silent */
	in.n_tables = 2;
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "autovacuum_lag"));
	param_recs_free(r, nr);
	findings_free(f, nf);
}

static void
random_page_cost_rule(void **state)
{
	struct param_input in;
	struct param_stmt st[2];
	struct param_setting s[N_DEFAULTS];
	double hit[48], rd[48];
	char off[] = "off";
	struct param_rec *r;
	struct finding *f;
	const struct param_rec *p;
	int nr, nf, i;

	(void)state;
	quiet_input(&in, st);
	/* 48 hours of 99.5% hits, 100,000 blocks read at 0.05 ms each */
	for (i = 0; i < 48; i++) {
		hit[i] = 995000;
		rd[i] = 5000;
	}
	in.hour_hit = hit;
	in.hour_read = rd;
	in.n_io_hours = 48;
	in.blks_hit = 48 * 995000.0;
	in.blks_read = 100000;
	in.blk_read_ms = 5000;
	advise(&in, &r, &nr, &f, &nf);
	p = rec_must(r, nr, "random_page_cost_ssd");
	assert_string_equal(p->current, "4");
	assert_string_equal(p->recommended, "1.1");
	assert_non_null(strstr(p->statement, "ALTER SYSTEM SET random_page_cost = '1.1'"));
	assert_non_null(strstr(p->evidence, "\"read_ms_per_block\": 0.05"));
	assert_non_null(strstr(p->evidence, "\"hours_hit_ratio_above\": 48"));
	assert_string_equal(f[0].severity, "low");
	param_recs_free(r, nr);
	findings_free(f, nf);
	/* reads of a millisecond each (a disk): silent */
	in.blk_read_ms = 100000;
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "random_page_cost_ssd"));
	param_recs_free(r, nr);
	findings_free(f, nf);
	in.blk_read_ms = 5000;
	/* not sustained: 10 hours only, or a third of them with a low hit ratio */
	in.n_io_hours = 10;
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "random_page_cost_ssd"));
	param_recs_free(r, nr);
	findings_free(f, nf);
	in.n_io_hours = 48;
	for (i = 0; i < 16; i++)
		rd[i] = 50000;
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "random_page_cost_ssd"));
	param_recs_free(r, nr);
	findings_free(f, nf);
	for (i = 0; i < 16; i++)
		rd[i] = 5000;
	/* without track_io_timing there is no read time: silent */
	memcpy(s, defaults, sizeof s);
	s[7].setting = off;
	in.settings = s;
	advise(&in, &r, &nr, &f, &nf);
	assert_null(rec_of(r, nr, "random_page_cost_ssd"));
	param_recs_free(r, nr);
	findings_free(f, nf);
}

static void
bad_rules_name_file_and_line(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"[rule a]\ncheck = nope\n", "x.rules:2: unknown check 'nope'"},
		{"[rule a]\ncheck = checkpoints\nfactr = 2\n",
		 "x.rules:3: unknown key 'factr' (check checkpoints has the thresholds: "
		 "min_requested, max_requested_share, factor, max_gb)"},
		{"[rule a]\ncheck = checkpoints\nfactor = two\n", "x.rules:3: 'factor' is a number"},
		{"[rule a]\ncheck = checkpoints\ntitle = t\n", "x.rules:1: rule 'a' has no 'explain'"},
		{"[rule A]\n", "x.rules:1: 'A' is not a rule id"},
		{"check = checkpoints\n", "x.rules:1: a key before the first [rule ID]"},
		{"[rule a]\ncheck = checkpoints\ntitle = t\nexplain = e\n[rule a]\n",
		 "x.rules:5: rule 'a' appears twice"},
		{"[rule a]\nseverity = huge\n", "x.rules:2: unknown severity 'huge'"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct param_rules *pr = params_rules_new();
		struct pgt_err err = {{0}};

		assert_int_equal(params_rules_load_text(pr, cases[i].text, "x.rules", &err), -1);
		if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, err.msg, cases[i].msg);
		params_rules_free(pr);
	}
}

static void
a_user_rule_replaces_a_shipped_one(void **state)
{
	struct param_rules *pr = params_rules_new();
	struct pgt_err err = {{0}};
	struct param_input in;
	struct param_stmt st[2];
	struct param_rec *r = NULL;
	struct finding *f = NULL;
	int nr = 0, nf = 0;

	(void)state;
	assert_int_equal(params_rules_load_text(pr,
						"[rule ckpt]\ncheck = checkpoints\nmin_requested = 1\n"
						"max_requested_share = 0\nfactor = 2\ntitle = t\n"
						"explain = e\n",
						"a.rules", &err),
			 0);
	assert_int_equal(params_rules_load_text(pr, "[rule ckpt]\ncheck = checkpoints\n"
						    "enabled = no\ntitle = t\nexplain = e\n",
						"b.rules", &err),
			 0);
	assert_int_equal(params_rules_count(pr), 1);
	quiet_input(&in, st);
	in.ckpt_requested = 5;
	assert_int_equal(params_advise(pr, &in, &r, &nr, &f, &nf), 0);
	param_recs_free(r, nr);
	findings_free(f, nf);
	params_rules_free(pr);
}

static void
sizes(void **state)
{
	char *t;

	(void)state;
	assert_true(param_bytes("16384", "8kB") == 128.0 * 1048576);
	assert_true(param_bytes("4096", "kB") == 4.0 * 1048576);
	assert_true(param_bytes("300", "s") == 300);
	assert_true(isnan(param_bytes("on", NULL)));
	t = param_size_text(4.0 * 1073741824);
	assert_string_equal(t, "4GB");
	free(t);
	t = param_size_text(1536.0 * 1024);
	assert_string_equal(t, "1536kB");
	free(t);
}

/* A deterministic noise in [-1, 1]. */
static double
noise(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return ((double)((*s >> 8) & 0xffff) / 32767.5) - 1;
}

static void
before_after(void **state)
{
	enum { N = 3 * 168 };
	double v[N], w[N];
	struct ba_opts o;
	struct ba_result r;
	unsigned seed = 42;
	int i, change = 2 * 168;

	(void)state;
	ba_opts_default(&o);
	for (i = 0; i < N; i++) {
		/* a daily rhythm, noise of 10%, and a step to 0.4 at the change */
		double base = 10 * (1 + 0.5 * sin(i * 2 * M_PI / 24)) * (1 + 0.1 * noise(&seed));

		v[i] = i >= change ? base * 0.4 : base;
		w[i] = base;
	}
	assert_int_equal(params_before_after(v, N, change, &o, &r), 0);
	assert_int_equal(r.pairs, 167);
	assert_true(r.found);
	assert_true(fabs(r.ratio - 0.4) < 0.03);
	assert_true(r.low < r.ratio && r.ratio < r.high && r.high < 1);
	assert_int_equal(params_before_after(w, N, change, &o, &r), 0);
	assert_false(r.found);
	assert_true(r.low < 1 && r.high > 1);
	/* gaps: hours without a value are left out of the pairs */
	for (i = change; i < change + 100; i++)
		v[i] = NAN;
	assert_int_equal(params_before_after(v, N, change, &o, &r), 0);
	assert_int_equal(r.pairs, 67);
	/* too few pairs */
	assert_int_equal(params_before_after(v, N, N - 10, &o, &r), -1);
	/* t quantiles */
	assert_true(fabs(params_t_quantile(0.95, 10) - 2.228) < 0.01);
	assert_true(fabs(params_t_quantile(0.99, 1000) - 2.581) < 0.01);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quiet_server_gets_nothing),
		cmocka_unit_test(work_mem_per_role_first),
		cmocka_unit_test(work_mem_global_needs_many),
		cmocka_unit_test(checkpoints_requested),
		cmocka_unit_test(other_rules),
		cmocka_unit_test(effective_cache_size_rule),
		cmocka_unit_test(autovacuum_rule),
		cmocka_unit_test(random_page_cost_rule),
		cmocka_unit_test(bad_rules_name_file_and_line),
		cmocka_unit_test(a_user_rule_replaces_a_shipped_one),
		cmocka_unit_test(sizes),
		cmocka_unit_test(before_after),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
