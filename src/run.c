#include "config.h"

#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "params.h"
#include "plan.h"
#include "paths.h"
#include "report.h"
#include "rules.h"
#include "sampler.h"
#include "sanitize.h"
#include "simulate.h"
#include "store.h"

static volatile sig_atomic_t stop_signals;

static void
on_stop(int sig)
{
	(void)sig;
	stop_signals++;
}

int
run_stop_requested(void)
{
	return stop_signals;
}

void
run_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void
say(const char *fmt, ...) PGT_PRINTF(1, 2);


/* A message on stderr; it may quote the server, so it is made safe for a terminal. */
static void
say(const char *fmt, ...)
{
	struct strbuf sb = {0};
	va_list ap;
	char *line;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	line = sanitize_line(sb_str(&sb), 0, run_locale_utf8());
	fflush(stdout);
	fprintf(stderr, "pgmltop: %s\n", line);
	free(line);
	sb_release(&sb);
}

char *
run_prompt_password(const char *user)
{
	struct termios old, quiet;
	char buf[1024];
	FILE *tty = fopen("/dev/tty", "r+");
	int fd, echo_off = 0;
	size_t n;

	if (tty == NULL)
		return NULL;
	fd = fileno(tty);
	if (user && user[0])
		fprintf(tty, "Password for user %s: ", user);
	else
		fputs("Password: ", tty);
	fflush(tty);
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~ECHO;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	if (fgets(buf, sizeof buf, tty) == NULL)
		buf[0] = '\0';
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	{
		char *p = xstrdup(buf);

		memset(buf, 0, sizeof buf);
		return p;
	}
}

int
run_locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

/* The width for query text: the terminal's, COLUMNS, or a fixed one for a pipe. */
static size_t
out_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	long c;

	if (cols != NULL && parse_long(cols, 20, 100000, &c) == 0)
		return (size_t)c;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 300;
}

struct store *
run_open_history(const struct options *o, int flags)
{
	struct pgt_err err = {{0}};
	char *path = o->history ? xstrdup(o->history) : paths_default_history(&err);
	struct store *st = NULL;

	if (path != NULL)
		st = store_open(path, flags, &err);
	free(path);
	if (st == NULL)
		say("%s", err.msg);
	return st;
}

/* ---- the sampling modes ---- */

struct batch_ctx {
	const struct options *o;
	int utf8;
	size_t width;
};

static void
say_cb(void *ctx, const char *msg)
{
	(void)ctx;
	say("%s", msg);
}

static void
print_batch(struct batch_ctx *b, struct sampler *sm)
{
	const struct server_info *srv = sampler_server(sm);
	const struct snapshot *snap = sampler_snapshot(sm);
	const struct delta_set *d = sampler_delta(sm);
	char when[32];
	double tps = batch_tps(d), hit = batch_hit_ratio(d);
	struct batch_table t;
	int i;
	char *host = sanitize_line(srv->host, 0, b->utf8);
	char *port = sanitize_line(srv->port, 0, b->utf8);
	char *version = sanitize_line(srv->version, 0, b->utf8);
	char *dbname = sanitize_line(srv->dbname, 0, b->utf8);

	batch_time(snap->ts, when, sizeof when);
	printf("pgmltop %s - %s - %s:%s PostgreSQL %s, database %s - interval %.1f s\n",
	       PACKAGE_VERSION, when, host, port, version, dbname,
	       d->interval_s > 0 ? d->interval_s : sampler_interval(sm));
	free(host);
	free(port);
	free(version);
	free(dbname);
	if (!srv->read_all_stats || snap->n_hidden > 0 || snap->sessions.total > snap->n_activity)
		/*
		 * the sessions of other roles are all NULL to this role: how many there are
		 * and what they do is unknown, so not shown as 0 of anything
		 */
		printf("Sessions: those of other roles are hidden (no pg_read_all_stats); of the "
		       "%d seen: %d active, %d idle, %d idle in transaction, %d waiting\n",
		       snap->n_activity, snap->sessions.active, snap->sessions.idle,
		       snap->sessions.idle_in_xact, snap->sessions.waiting);
	else
		printf("Sessions: %d total, %d active, %d idle, %d idle in transaction, %d "
		       "waiting\n",
		       snap->sessions.total, snap->sessions.active, snap->sessions.idle,
		       snap->sessions.idle_in_xact, snap->sessions.waiting);
	if (d->flags & DELTA_BASELINE) {
		const char *why = d->flags & DELTA_RESTART ? "the server restarted"
				  : d->flags & DELTA_CLOCK ? "the server clock went back"
				  : d->flags & DELTA_GAP   ? "the connection was lost"
							   : "first sample";
		printf("Baseline (%s): counters read; rates from the next interval\n\n", why);
		return;
	}
	if (tps >= 0)
		printf("Transactions: %.1f/s", tps);
	else
		printf("Transactions: -");
	if (hit >= 0)
		printf("   Cache hit: %.2f%%", 100.0 * hit);
	else
		printf("   Cache hit: -");
	if (snap->pgss_ok)
		printf("   Statements: %d, %d ran in the interval\n", snap->n_stmts, d->n_stmts);
	else
		printf("\n");
	if (d->flags & DELTA_NO_PGSS) {
		char *why = sanitize_line(snap->pgss_error, 0, b->utf8);

		printf("Statements unavailable: %s\n\n", why);
		free(why);
		return;
	}
	if (d->flags & DELTA_RESET) {
		printf("pg_stat_statements was reset: new baseline\n\n");
		return;
	}
	if (d->flags & DELTA_EVICTED)
		printf("Note: pg_stat_statements evicted entries %lld time%s in the interval "
		       "(pg_stat_statements.max is too small)\n",
		       (long long)d->dealloc, d->dealloc == 1 ? "" : "s");
	if (snap->n_hidden > 0)
		printf("Note: %d statements of other roles are hidden (no pg_read_all_stats)\n",
		       snap->n_hidden);
	memset(&t, 0, sizeof t);
	t.seconds = d->interval_s;
	t.top = b->o->top;
	t.width = b->width;
	t.utf8 = b->utf8;
	t.n_rows = d->n_stmts;
	t.rows = xcalloc((size_t)(d->n_stmts ? d->n_stmts : 1), sizeof *t.rows);
	for (i = 0; i < d->n_stmts; i++)
		batch_row_from_stmt(&t.rows[i], &d->stmts[i]);
	/* texts are looked up only for the rows that will be printed */
	batch_sort(&t);
	for (i = 0; i < t.n_rows && (t.top == 0 || i < t.top); i++)
		t.rows[i].query = sampler_text(sm, t.rows[i].queryid);
	batch_print_table(stdout, &t);
	putchar('\n');
	free(t.rows);
}

/*
 * Connect before anything else is shown: a failed first connection is an error with
 * exit status 1, after a password prompt where that may help. Returns 0 once connected.
 */
int
run_connect(struct sampler *sm, const struct options *o)
{
	int prompted = o->prompt == PROMPT_ALWAYS;

	while (sampler_state(sm) == SAMPLER_CONNECTING && !stop_signals) {
		struct pollfd pfd = {sampler_fd(sm), sampler_events(sm), 0};
		double wake = sampler_wake(sm);
		int timeout_ms = wake > 0 ? (int)ceil((wake - now_mono()) * 1000) : 1000;

		if (poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms) < 0 && errno != EINTR)
			return -1;
		if (!(sampler_process(sm, pfd.revents) & SAMPLER_FAILED))
			continue;
		if (sampler_needs_password(sm) && !prompted && o->prompt != PROMPT_NEVER &&
		    isatty(STDIN_FILENO)) {
			char *password = run_prompt_password(o->conn.user);

			prompted = 1;
			if (password != NULL) {
				sampler_retry(sm, password);
				memset(password, 0, strlen(password));
				free(password);
				continue;
			}
		}
		return -1;
	}
	return sampler_state(sm) == SAMPLER_CONNECTED ? 0 : -1;
}

/* The password of -W, asked before connecting; NULL on error (said). */
char *
run_password_first(const struct options *o, int *failed)
{
	char *password;

	*failed = 0;
	if (o->prompt != PROMPT_ALWAYS)
		return NULL;
	password = run_prompt_password(o->conn.user);
	if (password == NULL) {
		say("cannot ask for a password: there is no terminal (use ~/.pgpass or "
		    "PGPASSWORD)");
		*failed = 1;
	}
	return password;
}

int
run_sampling(const struct options *o)
{
	struct batch_ctx b = {o, run_locale_utf8(), out_width()};
	struct store *st = NULL;
	struct sampler *sm;
	char *password;
	int status = 0, failed;

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
	if (run_connect(sm, o) < 0) {
		status = stop_signals ? 0 : 1;
		goto out;
	}
	for (;;) {
		struct pollfd pfd = {sampler_fd(sm), sampler_events(sm), 0};
		double wake;
		int timeout_ms;
		unsigned ev;

		/* a signal ends the loop, after the sample being read is stored */
		if (stop_signals > 1 || (stop_signals > 0 && !sampler_busy(sm)))
			break;
		wake = sampler_wake(sm);
		timeout_ms = wake > 0 ? (int)ceil((wake - now_mono()) * 1000) : 1000;
		if (poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms) < 0 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			status = 1;
			break;
		}
		ev = sampler_process(sm, pfd.revents);
		if ((ev & SAMPLER_SAMPLE) && o->mode == MODE_BATCH) {
			print_batch(&b, sm);
			if (fflush(stdout) != 0 || ferror(stdout)) {
				/* the reader went away (as with head): end as top -b would, quietly */
				if (errno != EPIPE) {
					say("cannot write to standard output: %s", strerror(errno));
					status = 1;
				}
				break;
			}
		}
		if (o->iterations > 0 && sampler_count(sm) >= o->iterations)
			break;
	}
out:
	sampler_free(sm);
	store_close(st);
	return status;
}

/* ---- from the history only ---- */

int
run_offline(const struct options *o)
{
	struct store *st = run_open_history(o, STORE_READONLY);
	struct report r;
	struct pgt_err err = {{0}};
	struct batch_table t;
	char from[32], to[32];
	int i;

	if (st == NULL)
		return 1;
	if (report_build(st, o->until > 0 ? o->until : now_wall(), o->days, &r, &err) < 0) {
		say("%s", err.msg);
		store_close(st);
		return 1;
	}
	if (!r.has_server) {
		printf("The history %s holds no samples yet.\n", store_path(st));
		store_close(st);
		return 0;
	}
	batch_time(r.from, from, sizeof from);
	batch_time(r.to, to, sizeof to);
	{
		int utf8 = run_locale_utf8();
		char *path = sanitize_line(store_path(st), 0, utf8);
		char *host = sanitize_line(r.server.host, 0, utf8);
		char *port = sanitize_line(r.server.port, 0, utf8);
		char *version = sanitize_line(r.server.version, 0, utf8);

		printf("pgmltop %s - history %s\n", PACKAGE_VERSION, path);
		double sim = store_simulated_until(st, r.server.id);

		printf("Server %s:%s PostgreSQL %s - %s to %s - %d sample%s\n", host, port,
		       version, from, to, r.n_samples, r.n_samples == 1 ? "" : "s");
		if (sim > r.from) {
			char until[32];

			batch_time(sim, until, sizeof until);
			printf("The history before %s is simulated (pgmltop --simulate), not measured\n",
			       until);
		}
		free(path);
		free(host);
		free(port);
		free(version);
	}
	memset(&t, 0, sizeof t);
	t.seconds = 0; /* a long window: total calls say more than a rate */
	t.top = o->top;
	t.width = out_width();
	t.utf8 = run_locale_utf8();
	t.n_rows = r.n_stmts;
	t.rows = xcalloc((size_t)(r.n_stmts ? r.n_stmts : 1), sizeof *t.rows);
	for (i = 0; i < r.n_stmts; i++) {
		t.rows[i].queryid = r.stmts[i].queryid;
		t.rows[i].toplevel = r.stmts[i].toplevel;
		t.rows[i].calls = r.stmts[i].calls;
		t.rows[i].total_ms = r.stmts[i].total_ms;
		t.rows[i].max_ms = r.stmts[i].max_ms;
		t.rows[i].rows = r.stmts[i].rows;
		t.rows[i].shared_blks_read = r.stmts[i].shared_blks_read;
		t.rows[i].shared_blks_hit = r.stmts[i].shared_blks_hit;
		t.rows[i].temp_blks_written = r.stmts[i].temp_blks_written;
		t.rows[i].query = r.stmts[i].query;
	}
	batch_print_table(stdout, &t);
	free(t.rows);
	report_free(&r);
	store_close(st);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
run_report(const struct options *o)
{
	struct store *st;
	struct report r;
	struct pgt_err err = {{0}};
	struct report_out ro;
	const char *fmt = o->report_format != NULL ? o->report_format : "json";
	int rc, series = 0;
	struct stat sb;

	/* a file there is kept unless --force (a link, a directory: report_out_open says) */
	if (o->output != NULL && strcmp(o->output, "-") != 0 && !o->force &&
	    lstat(o->output, &sb) == 0 && S_ISREG(sb.st_mode)) {
		say("%s exists: give --force to replace it, or another file with -o", o->output);
		return 1;
	}
	st = run_open_history(o, STORE_READONLY);
	if (st == NULL)
		return 1;
	/* the charts' hours: those of the server, and of the statements given a section */
	if (strcmp(fmt, "html") == 0 || strcmp(fmt, "md") == 0)
		series = REPORT_SERIES;
	if (report_build_all(st, o->until > 0 ? o->until : now_wall(), o->days, series,
			     o->csv_table != NULL && strcmp(o->csv_table, "hours") == 0, &r,
			     &err) < 0) {
		say("%s", err.msg);
		report_free(&r);
		store_close(st);
		return 1;
	}
	store_close(st);
	if (o->n_only > 0)
		report_scope(&r, o->only, o->n_only);
	if (report_out_open(&ro, o->output, &err) < 0) {
		say("%s", err.msg);
		report_free(&r);
		return 1;
	}
	ro.keep = !o->force; /* also a file made there while the report was built */
	rc = report_write(&r, fmt, o->csv_table, ro.f);
	rc = report_out_close(&ro, rc, &err);
	if (rc < 0)
		say("%s", err.msg);
	report_free(&r);
	return rc < 0 ? 1 : 0;
}

int
run_simulate(const struct options *o)
{
	struct sim_spec spec;
	struct sim_stats stats;
	struct pgt_err err = {{0}};
	const char *truth;
	char from[32], to[32], servers[32] = "";
	time_t t;
	struct tm tm;

	if (simspec_load(o->simulate, &spec, &err) < 0) {
		say("%s", err.msg);
		return 1;
	}
	if (o->seed_set)
		spec.seed = o->seed;
	truth = o->truth != NULL ? o->truth : spec.truth;
	if (simulate_run(&spec, o->history, truth, isatty(STDERR_FILENO) ? stderr : NULL, &stats,
			 &err) < 0) {
		say("%s", err.msg);
		simspec_free(&spec);
		return 1;
	}
	if (spec.servers > 1)
		snprintf(servers, sizeof servers, " on %d servers", spec.servers);
	t = (time_t)stats.start;
	localtime_r(&t, &tm);
	strftime(from, sizeof from, "%Y-%m-%d %H:%M", &tm);
	t = (time_t)stats.end;
	localtime_r(&t, &tm);
	strftime(to, sizeof to, "%Y-%m-%d %H:%M", &tm);
	printf("simulated %d days (%s to %s) of %d statements%s: %ld samples, %ld statement "
	       "rows, %.1f s\n",
	       spec.days, from, to, spec.n_stmts + spec.filler,
	       servers, stats.samples,
	       stats.stmt_rows, stats.seconds);
	printf("stored in %.1f s (%.2f ms a sample); rolled up in %.1f s (the longest run %.0f "
	       "ms)\n",
	       stats.store_s, stats.samples > 0 ? 1000 * stats.store_s / (double)stats.samples : 0,
	       stats.maintain_s, 1000 * stats.maintain_max_s);
	printf("history: %s\n", o->history);
	if (truth != NULL)
		printf("truth: %s\n", truth);
	simspec_free(&spec);
	return 0;
}
