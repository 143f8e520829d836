/*
 * The SQL-text rule engine and the rule-file parser. The first byte of the input chooses:
 * even, the rest is a statement's text, judged by the shipped rules (data/rules/sql.rules,
 * loaded once) as its normalized text and as a text with literals; odd, the rest is a rule
 * file, loaded into a new set whose rules then judge a few statements and the file's own
 * text (the patterns and texts both hostile: the match limits must hold).
 */
#include <math.h>

#include "fuzz.h"
#include "rules.h"

static struct rule_set *shipped;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pgt_err err = {{0}};
	char *path = fuzz_data_path("rules/sql.rules");

	(void)argc;
	(void)argv;
	shipped = rules_new();
	if (rules_load_file(shipped, path, &err) < 0) {
		fprintf(stderr, "fuzz_rules: %s\n", err.msg);
		exit(1);
	}
	free(path);
	return 0;
}

static void
judge(const struct rule_set *rs, const char *text, const char *literal)
{
	struct rule_stmt s;
	struct finding *out = NULL;
	int n = 0, got;

	memset(&s, 0, sizeof s);
	s.queryid = 42;
	s.text = text;
	s.literals = literal != NULL ? &literal : NULL;
	s.n_literals = literal != NULL ? 1 : 0;
	s.calls = 125000;
	s.total_ms = 5.0e6;
	s.rows = 250000;
	s.shared_blks_read = 1.0e6;
	s.shared_blks_hit = 9.0e6;
	s.temp_blks_written = 20000;
	s.days = 7;
	got = rules_apply(rs, &s, &out, &n);
	FUZZ_ASSERT(got == n);
	for (int i = 0; i < n; i++) {
		FUZZ_ASSERT(out[i].title != NULL && out[i].detail != NULL);
		FUZZ_ASSERT(out[i].suggestion != NULL && out[i].evidence != NULL);
		FUZZ_ASSERT(out[i].confidence >= 0 && out[i].confidence <= 1);
		FUZZ_ASSERT(!isnan(out[i].saving_ms_per_day));
	}
	findings_free(out, n);
}

static const char *const statements[] = {
	"SELECT * FROM orders WHERE customer_id NOT IN (SELECT id FROM blocked)",
	"SELECT id FROM users WHERE lower(email) = $1 OR name LIKE $2 ORDER BY random() "
	"OFFSET $3",
	"UPDATE accounts SET balance = balance + $1 WHERE id = $2",
	NULL,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *clean;

	if (size < 1)
		return 0;
	text = fuzz_text(data + 1, size - 1);
	if ((data[0] & 1) == 0) {
		clean = rules_clean_text(text);
		FUZZ_ASSERT(strlen(clean) <= strlen(text));
		free(clean);
		judge(shipped, text, NULL);
		judge(shipped, text, text);
	} else {
		struct rule_set *rs = rules_new();
		struct pgt_err err = {{0}};

		if (rules_load_text(rs, text, "fuzz.rules", &err) < 0)
			FUZZ_ASSERT(strncmp(err.msg, "fuzz.rules:", 11) == 0);
		for (int i = 0; i < rules_count(rs); i++)
			FUZZ_ASSERT(rules_id(rs, i) != NULL);
		for (int i = 0; statements[i] != NULL; i++)
			judge(rs, statements[i], statements[i]);
		judge(rs, text, text);
		rules_free(rs);
	}
	free(text);
	return 0;
}
