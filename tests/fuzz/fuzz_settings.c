/*
 * settings_parse, the reader of the settings file, on any text. What it takes must be
 * within bounds, and what settings_format writes of it must read back the same, without
 * a problem (the screen saves the file with settings_format and reads it at its next
 * start).
 */
#include <math.h>

#include "fuzz.h"
#include "settings.h"

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void
check_bounds(const struct settings *c)
{
	FUZZ_ASSERT(terminated(c->sort, sizeof c->sort));
	FUZZ_ASSERT(terminated(c->hidden, sizeof c->hidden));
	FUZZ_ASSERT(terminated(c->alert_command, sizeof c->alert_command));
	FUZZ_ASSERT(c->interval == 0 || (c->interval >= 0.5 && c->interval <= 3600));
	FUZZ_ASSERT(c->alert_score >= 0 && isfinite(c->alert_score));
	FUZZ_ASSERT(c->reverse == 0 || c->reverse == 1);
	FUZZ_ASSERT(c->color == 0 || c->color == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), *saved;
	struct settings c, back;
	struct pgt_err err = {{0}};
	int problems;

	settings_defaults(&c);
	problems = settings_parse(text, "config", &c, &err);
	FUZZ_ASSERT(problems >= 0);
	if (problems > 0)
		FUZZ_ASSERT(strncmp(err.msg, "config:", 7) == 0);
	check_bounds(&c);

	saved = settings_format(&c);
	settings_defaults(&back);
	memset(&err, 0, sizeof err);
	problems = settings_parse(saved, "saved", &back, &err);
	if (problems != 0)
		fprintf(stderr, "%s\n", err.msg);
	FUZZ_ASSERT(problems == 0);
	FUZZ_ASSERT(strcmp(back.sort, c.sort) == 0);
	FUZZ_ASSERT(back.reverse == c.reverse);
	FUZZ_ASSERT(back.interval == c.interval);
	FUZZ_ASSERT(back.color == c.color);
	FUZZ_ASSERT(strcmp(back.hidden, c.hidden) == 0);
	FUZZ_ASSERT(back.alert_score == c.alert_score);
	FUZZ_ASSERT(back.alert_anomalies == c.alert_anomalies);
	FUZZ_ASSERT(back.alert_reconnect == c.alert_reconnect);
	FUZZ_ASSERT(back.alert_bell == c.alert_bell);
	FUZZ_ASSERT(strcmp(back.alert_command, c.alert_command) == 0);
	free(saved);
	free(text);
	return 0;
}
