/*
 * --mark=ID=STATE: what the user did with a recommendation, kept in the history, as the
 * screen's recommendation keys do; --at says when (an applied change is measured from
 * then), --reason why.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "run.h"
#include "sanitize.h"
#include "store.h"

static void
say(const char *msg)
{
	char *line = sanitize_line(msg, 0, run_locale_utf8());

	fflush(stdout);
	fprintf(stderr, "pgmltop: %s\n", line);
	free(line);
}

int
run_mark(const struct options *o)
{
	struct pgt_err err = {{0}};
	struct store *st = run_open_history(o, 0);
	struct report r;
	const struct recommendation *rec;
	struct rec_state s;
	double now = now_wall(), at = o->mark_at > 0 ? o->mark_at : now;
	struct strbuf title = {0};
	char when[48];
	int status = 1;

	if (st == NULL)
		return 1;
	if (report_build_all(st, o->until > 0 ? o->until : now, o->days, 0, 0, &r, &err) < 0) {
		say(err.msg);
		goto out;
	}
	rec = report_rec_find(&r, o->mark_id);
	if (rec == NULL) {
		char *msg = xasprintf("no recommendation %s in the last %ld days of the history%s:"
				      " see the ids in --report=json or on the screen (R)",
				      o->mark_id, o->days, r.has_server ? "" : " (it has no samples)");

		say(msg);
		free(msg);
		goto out;
	}
	memset(&s, 0, sizeof s);
	strlcpy_(s.id, rec->id, sizeof s.id);
	s.state = (char *)o->mark_state;
	s.reason = (char *)o->mark_reason;
	s.changed_at = now;
	s.applied_at = strcmp(o->mark_state, "applied") == 0 ? at : 0;
	s.has_queryid = rec->has_queryid;
	s.queryid = rec->queryid;
	if (rec->n_fixes > 0) {
		const struct finding *f = &r.findings[rec->fixes[0]];

		report_finding_title(&title, f);
		s.rule = (char *)f->rule;
		s.category = (char *)(f->category != NULL ? f->category : "anomaly");
		s.rules = report_rec_rules(&r, rec);
		s.title = (char *)sb_str(&title);
	} else {
		/* known only by its state: keep what that says */
		struct rec_state *old = NULL;
		int n_old = 0;

		if (store_rec_states(st, r.server.id, &old, &n_old, &err) < 0) {
			say(err.msg);
			goto out;
		}
		for (int i = 0; i < n_old; i++) {
			if (strcmp(old[i].id, rec->id) != 0)
				continue;
			s.rule = xstrdup(old[i].rule);
			s.category = old[i].category != NULL ? xstrdup(old[i].category) : NULL;
			s.rules = old[i].rules != NULL ? xstrdup(old[i].rules) : NULL;
			s.title = old[i].title != NULL ? xstrdup(old[i].title) : NULL;
		}
		store_rec_states_free(old, n_old);
	}
	if (store_rec_state_set(st, r.server.id, &s, &err) < 0) {
		say(err.msg);
	} else {
		time_t t = (time_t)at;
		struct tm tm;
		char *shown = sanitize_line(s.title != NULL ? s.title : "", 100, run_locale_utf8());

		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
		printf("%s: %s%s%s (%s)\n", rec->id, o->mark_state,
		       s.applied_at > 0 ? " at " : "", s.applied_at > 0 ? when : "", shown);
		free(shown);
		status = 0;
	}
	free(s.rules);
	if (rec->n_fixes == 0) {
		free(s.rule);
		free(s.category);
		free(s.title);
	}
out:
	sb_release(&title);
	report_free(&r);
	store_close(st);
	return status;
}
