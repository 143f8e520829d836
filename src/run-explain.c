/*
 * --explain=QUERYID: one sample (so that the statement's text and the catalog are up to
 * date), then the plan of one statement, printed with its problems and kept in the
 * history.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "explain-ask.h"
#include "explain.h"
#include "finding.h"
#include "paths.h"
#include "plan.h"
#include "run.h"
#include "sampler.h"
#include "sanitize.h"
#include "store.h"

static void
say_cb(void *ctx, const char *msg)
{
	(void)ctx;
	fflush(stdout);
	fprintf(stderr, "pgmltop: %s\n", msg);
}

static void
say_safe(const char *prefix, const char *msg)
{
	char *line = sanitize_line(msg, 0, run_locale_utf8());

	fflush(stdout);
	fprintf(stderr, "pgmltop: %s%s\n", prefix, line);
	free(line);
}

/* Ask on the terminal; only "y" or "yes" is a yes. Without a terminal: no. */
static int
ask_yes(const char *question)
{
	FILE *tty;
	char buf[32];
	int yes = 0;

	if (!isatty(STDIN_FILENO) || (tty = fopen("/dev/tty", "r+")) == NULL)
		return 0;
	fprintf(tty, "%s [y/N] ", question);
	fflush(tty);
	if (fgets(buf, sizeof buf, tty) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		yes = strcmp(buf, "y") == 0 || strcmp(buf, "Y") == 0 || strcmp(buf, "yes") == 0;
	}
	fclose(tty);
	return yes;
}

/* Wait for the first sample; 0 once it came. */
static int
first_sample(struct sampler *sm)
{
	while (sampler_count(sm) < 1 && !run_stop_requested()) {
		struct pollfd pfd = {sampler_fd(sm), sampler_events(sm), 0};
		double wake = sampler_wake(sm);
		int timeout_ms = wake > 0 ? (int)ceil((wake - now_mono()) * 1000) : 1000;

		if (poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms) < 0 && errno != EINTR)
			return -1;
		(void)sampler_process(sm, pfd.revents);
		if (sampler_state(sm) != SAMPLER_CONNECTED && sampler_state(sm) != SAMPLER_CONNECTING)
			return -1;
	}
	return sampler_count(sm) >= 1 ? 0 : -1;
}

static void
print_plan(const struct explain_result *r, const struct explain_ask *a, struct store *st,
	   int64_t server_id)
{
	int utf8 = run_locale_utf8();
	struct pgt_err err = {{0}};
	struct plan *p;
	struct plan_rules *rules = plan_rules_new();
	struct plan_issue *iss = NULL;
	struct plan_table_stats *ts = NULL;
	struct rel_stat *rs = NULL;
	int n_iss = 0, n_ts;

	if ((p = plan_parse(r->plan, strlen(r->plan), &err)) == NULL) {
		say_safe("the plan could not be read: ", err.msg);
		plan_rules_free(rules);
		return;
	}
	if (plan_rules_load_default(rules, &err) < 0)
		say_safe("", err.msg); /* the built-in thresholds are used */
	n_ts = explain_table_stats(st, server_id, &rs, &ts);
	n_iss = plan_check(p, rules, ts, n_ts, &iss);
	for (int i = 0; i < p->n; i++) {
		char label[1024];
		char *line;
		int marked = 0;

		for (int k = 0; k < n_iss; k++)
			marked |= iss[k].node == i;
		plan_node_label(p, i, label, sizeof label);
		line = sanitize_line(label, 0, utf8);
		printf("%s %*s%s%s\n", marked ? "!" : " ", 4 * p->nodes[i].depth, "",
		       p->nodes[i].depth > 0 ? "-> " : "", line);
		free(line);
	}
	if (n_iss == 0) {
		printf("\nNo problem found in this plan.\n");
	} else {
		printf("\nProblems (marked ! above):\n");
		for (int k = 0; k < n_iss; k++) {
			char *t = sanitize_line(iss[k].text, 0, utf8);
			char *sug = iss[k].suggestion != NULL ? sanitize_line(iss[k].suggestion, 0, utf8)
							      : NULL;

			printf("  %s (%s): %s\n", iss[k].rule, iss[k].severity, t);
			if (sug != NULL)
				printf("      %s\n", sug);
			free(t);
			free(sug);
		}
	}
	for (int i = 0; i < r->n_hypo && i < a->n_hypo; i++) {
		char *ddl = sanitize_line(a->hypo[i], 0, utf8);

		if (i == 0)
			printf("\nSuggested indexes, planned with hypopg (never built):\n");
		printf("  %s\n", ddl);
		free(ddl);
		if (r->hypo_plans[i] != NULL) {
			double before = explain_plan_cost(r->plan);
			double after = explain_plan_cost(r->hypo_plans[i]);

			printf("      planned cost %.2f without it, %.2f with it", before, after);
			if (before > 0 && after < before)
				printf(" (%.0f%% less)", 100.0 * (before - after) / before);
			printf("\n");
		} else {
			char *why = sanitize_line(r->hypo_errors[i] ? r->hypo_errors[i] : "not planned",
						  0, utf8);

			printf("      not checked: %s\n", why);
			free(why);
		}
	}
	plan_issues_free(iss, n_iss);
	free(ts);
	store_rel_stats_free(rs);
	plan_free(p);
	plan_rules_free(rules);
}

int
run_explain(const struct options *o)
{
	struct pgt_err err = {{0}};
	struct store *st = NULL;
	struct sampler *sm;
	struct explain_ask a;
	struct explain_check ck;
	struct explain_result r;
	struct conn_opts conn;
	char *password;
	int status = 1, failed;
	int64_t server_id;

	if (!o->no_history && (st = run_open_history(o, 0)) == NULL)
		return 1;
	password = run_password_first(o, &failed);
	if (failed) {
		store_close(st);
		return 1;
	}
	run_install_signals();
	sm = sampler_new(o, st, password, say_cb, NULL);
	if (password != NULL) {
		memset(password, 0, strlen(password));
		free(password);
	}
	if (run_connect(sm, o) < 0 || first_sample(sm) < 0) {
		status = run_stop_requested() ? 0 : 1;
		goto out;
	}
	server_id = sampler_server_id(sm);
	if (explain_ask_build(&a, sm, st, server_id, o->explain_queryid, now_wall(), NULL, 0,
			      &err) < 0) {
		say_safe("", err.msg);
		goto out;
	}
	explain_check_text(a.text, &ck);
	if (ck.kind == EXPLAIN_WRITE && !o->yes) {
		char q[200];

		snprintf(q, sizeof q,
			 "Statement %lld is an %s, which writes. Take its plan (EXPLAIN without"
			 " ANALYZE does not run it)?",
			 (long long)o->explain_queryid, ck.verb);
		if (!ask_yes(q)) {
			say_safe("", "refused: the statement writes; its plan is taken only when"
				     " confirmed (answer y on a terminal, or give --yes)");
			explain_ask_free(&a);
			goto out;
		}
	}
	if (ck.kind == EXPLAIN_WRITE || o->yes)
		a.rq.allow_write = 1;
	if (o->explain_analyze) {
		a.rq.analyze = 1;
		if (!o->yes && ck.kind == EXPLAIN_READ &&
		    !ask_yes("EXPLAIN ANALYZE RUNS the statement (read-only, at most 30 s). Run it?")) {
			say_safe("", "refused: EXPLAIN ANALYZE runs the statement; it runs only when"
				     " confirmed (answer y on a terminal, or give --yes)");
			explain_ask_free(&a);
			goto out;
		}
	}
	conn = sampler_conn(sm);
	if (explain_run(&conn, &a.rq, &r) < 0) {
		say_safe("", r.error);
		explain_result_free(&r);
		explain_ask_free(&a);
		goto out;
	}
	{
		char *db = sanitize_line(a.dbname != NULL ? a.dbname : "(the one connected to)", 0,
					 run_locale_utf8());
		char *text = sanitize_line(a.text, 0, run_locale_utf8());

		printf("Plan of statement %lld in database %s (%s%s):\n  %s\n\n",
		       (long long)o->explain_queryid, db, r.method,
		       r.analyzed ? ", with ANALYZE" : ", not run", text);
		free(db);
		free(text);
	}
	print_plan(&r, &a, st, server_id);
	if (explain_keep(st, server_id, &a, &r, &err) < 0)
		say_safe("the plan was not kept: ", err.msg);
	else if (st != NULL && server_id != 0)
		printf("\nKept in the history.\n");
	status = 0;
	explain_result_free(&r);
	explain_ask_free(&a);
out:
	sampler_free(sm);
	store_close(st);
	return status;
}
