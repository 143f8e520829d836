/*
 * simspec_parse, the reader of the simulator's spec, on any text. A spec it takes must
 * hold together: its statements and settings within their bounds, each parent and each
 * effect naming a statement that exists. Everything is freed, taken or not.
 */
#include "fuzz.h"
#include "simspec.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct sim_spec spec;
	struct pgt_err err = {{0}};

	memset(&spec, 0, sizeof spec);
	if (simspec_parse(text, "spec", &spec, &err) == 0) {
		FUZZ_ASSERT(spec.days > 0);
		FUZZ_ASSERT(spec.interval > 0 && 3600 % spec.interval == 0);
		FUZZ_ASSERT(spec.n_stmts >= 0 && spec.n_settings >= 0);
		for (int i = 0; i < spec.n_stmts; i++) {
			const struct sim_stmt *s = &spec.stmts[i];

			FUZZ_ASSERT(s->text != NULL && s->queryid != 0);
			FUZZ_ASSERT(s->n_peaks >= 0 && s->n_peaks <= SIM_MAX_PEAKS);
			FUZZ_ASSERT(s->n_quiet >= 0 && s->n_quiet <= SIM_MAX_PEAKS);
			FUZZ_ASSERT(s->n_regressions >= 0 && s->n_regressions <= SIM_MAX_EVENTS);
			FUZZ_ASSERT(s->n_spikes >= 0 && s->n_spikes <= SIM_MAX_EVENTS);
			for (int k = 0; k < s->n_peaks; k++) {
				FUZZ_ASSERT(s->peaks[k].hour >= 0 && s->peaks[k].hour <= 23);
				FUZZ_ASSERT(s->peaks[k].weekday >= -1 && s->peaks[k].weekday <= 6);
			}
			for (int k = 0; k < s->n_regressions; k++)
				FUZZ_ASSERT(s->regressions[k].day >= 1 &&
					    s->regressions[k].day <= spec.days);
			for (int k = 0; k < s->n_spikes; k++)
				FUZZ_ASSERT(s->spikes[k].day >= 1 && s->spikes[k].day <= spec.days);
			if (s->parent != NULL)
				FUZZ_ASSERT(s->parent_index >= 0 && s->parent_index < spec.n_stmts &&
					    s->parent_index != i);
		}
		for (int i = 0; i < spec.n_settings; i++) {
			const struct sim_setting *st = &spec.settings[i];

			FUZZ_ASSERT(st->name != NULL);
			FUZZ_ASSERT(st->n_effects >= 0 && st->n_effects <= SIM_MAX_EFFECTS);
			for (int k = 0; k < st->n_effects; k++)
				FUZZ_ASSERT(st->effects[k].stmt_index >= 0 &&
					    st->effects[k].stmt_index < spec.n_stmts);
		}
	} else {
		FUZZ_ASSERT(strncmp(err.msg, "spec", 4) == 0);
	}
	simspec_free(&spec);
	free(text);
	return 0;
}
