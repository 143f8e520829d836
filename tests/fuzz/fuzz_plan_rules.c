/*
 * plan_rules_load_text, the reader of plan.rules, on any text; the thresholds it takes
 * then judge the plans of tests/data/plans (read once), with table statistics for the
 * rules that read them, so that fuzzed thresholds reach every rule's arithmetic.
 */
#include <dirent.h>
#include <math.h>

#include "fuzz.h"
#include "plan.h"

#define MAX_PLANS 64

static struct plan *plans[MAX_PLANS];
static int n_plans;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *dir = xasprintf("%s/tests/data/plans", fuzz_srcdir());
	DIR *d = opendir(dir);
	struct dirent *e;

	(void)argc;
	(void)argv;
	if (d == NULL) {
		fprintf(stderr, "fuzz_plan_rules: cannot open %s\n", dir);
		exit(1);
	}
	while ((e = readdir(d)) != NULL && n_plans < MAX_PLANS) {
		size_t len = strlen(e->d_name);
		struct pgt_err err = {{0}};
		char *path, *text;

		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		text = read_text_file(path, "plan", &err);
		if (text == NULL || (plans[n_plans] = plan_parse(text, strlen(text), &err)) == NULL) {
			fprintf(stderr, "fuzz_plan_rules: %s: %s\n", path, err.msg);
			exit(1);
		}
		n_plans++;
		free(text);
		free(path);
	}
	closedir(d);
	free(dir);
	if (n_plans == 0) {
		fprintf(stderr, "fuzz_plan_rules: no plans\n");
		exit(1);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct plan_table_stats stats[] = {
		{"public", "orders", 2.0e6, 1.5e6, 0, 1.6e9},
		{NULL, "customers", 20000, 0, 1.7e9, 0},
		{NULL, "events", 5.0e6, 10, 0, 0},
		{"public", "big", 1.0e7, 9.0e6, 1.0e9, 1.2e9},
	};
	char *text = fuzz_text(data, size);
	struct plan_rules *r = plan_rules_new();
	struct pgt_err err = {{0}};

	if (plan_rules_load_text(r, text, "plan.rules", &err) < 0)
		FUZZ_ASSERT(strncmp(err.msg, "plan.rules:", 11) == 0);
	(void)plan_rules_get(r, "row_misestimate", "min_rows");
	(void)plan_rules_enabled(r, "sort_spill");
	for (int i = 0; i < n_plans; i++) {
		struct plan_issue *iss = NULL;
		struct finding *f = NULL;
		int n, nf;

		n = plan_check(plans[i], r, stats, (int)(sizeof stats / sizeof stats[0]), &iss);
		FUZZ_ASSERT(n >= 0);
		for (int k = 0; k < n; k++) {
			FUZZ_ASSERT(iss[k].node >= 0 && iss[k].node < plans[i]->n);
			FUZZ_ASSERT(iss[k].text != NULL);
		}
		nf = plan_issues_findings(plans[i], iss, n, 0, 0, &f);
		for (int k = 0; k < nf; k++)
			FUZZ_ASSERT(f[k].confidence >= 0 && f[k].confidence <= 1);
		findings_free(f, nf);
		plan_issues_free(iss, n);
	}
	plan_rules_free(r);
	free(text);
	return 0;
}
