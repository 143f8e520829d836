/*
 * params_rules_load_text, the reader of params.rules, on any text; the rules it takes
 * then advise on a server that gives most of them something to say (statements that
 * spill, requested checkpoints, many sessions, evicted statements), so that fuzzed
 * thresholds reach the arithmetic of every check.
 */
#include <math.h>

#include "fuzz.h"
#include "params.h"

static struct param_setting settings[] = {
	{"work_mem", "4096", "kB", "default", 0, 0},
	{"max_wal_size", "1024", "MB", "default", 0, 0},
	{"checkpoint_timeout", "300", "s", "default", 0, 0},
	{"checkpoint_completion_target", "0.5", NULL, "configuration file", 0, 0},
	{"shared_buffers", "16384", "8kB", "configuration file", 0, 0},
	{"max_connections", "100", NULL, "configuration file", 0, 0},
	{"pg_stat_statements.max", "5000", NULL, "default", 0, 0},
	{"track_io_timing", "off", NULL, "default", 0, 0},
	{"compute_query_id", "auto", NULL, "default", 0, 0},
	{"random_page_cost", "4", NULL, "default", 0, 0},
	{"effective_cache_size", "524288", "8kB", "default", 0, 0},
};

static const struct param_stmt stmts[] = {
	{1, "app", "SELECT * FROM orders ORDER BY created_at", 5000, 90000, 4.0e6},
	{2, "report", "SELECT customer_id, sum(total) FROM orders GROUP BY 1", 200, 60000, 1.0e6},
	{3, "app", "SELECT 1", 100000, 500, 0},
	{4, NULL, NULL, 10, 10, 100},
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct param_rules *pr = params_rules_new();
	struct pgt_err err = {{0}};
	struct param_input in;
	struct param_rec *recs = NULL;
	struct finding *finds = NULL;
	int n_recs = 0, n_finds = 0;

	if (params_rules_load_text(pr, text, "params.rules", &err) < 0)
		FUZZ_ASSERT(strncmp(err.msg, "params.rules:", 13) == 0);
	for (int i = 0; i < params_rules_count(pr); i++)
		FUZZ_ASSERT(params_rules_id(pr, i) != NULL);

	memset(&in, 0, sizeof in);
	in.days = 7;
	in.settings = settings;
	in.n_settings = (int)(sizeof settings / sizeof settings[0]);
	in.stmts = stmts;
	in.n_stmts = (int)(sizeof stmts / sizeof stmts[0]);
	in.have_db = 1;
	in.temp_files = 5000;
	in.temp_bytes = 8.0e10;
	in.blks_read = 5.0e7;
	in.blks_hit = 1.0e8;
	in.have_ckpt = 1;
	in.ckpt_timed = 3;
	in.ckpt_requested = 60;
	in.ckpt_hours = 24;
	in.have_sess = 1;
	in.sess_peak = 97;
	in.have_dealloc = 1;
	in.dealloc = 1200;
	in.mem_bytes = size > 0 && (data[0] & 1) ? NAN : 16.0 * 1024 * 1024 * 1024;
	params_advise(pr, &in, &recs, &n_recs, &finds, &n_finds);
	for (int i = 0; i < n_recs; i++) {
		FUZZ_ASSERT(recs[i].name != NULL && recs[i].recommended != NULL);
		FUZZ_ASSERT(recs[i].statement != NULL && recs[i].evidence != NULL);
	}
	param_recs_free(recs, n_recs);
	findings_free(finds, n_finds);
	params_rules_free(pr);
	free(text);
	return 0;
}
