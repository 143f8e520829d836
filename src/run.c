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
#include <termios.h>
#include <unistd.h>

#include "batch.h"
#include "collect.h"
#include "delta.h"
#include "paths.h"
#include "report.h"
#include "sanitize.h"
#include "store.h"

static volatile sig_atomic_t stop_signals;

static void
on_stop(int sig)
{
	(void)sig;
	stop_signals++;
}

static void
install_signals(void)
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

static int locale_utf8(void);

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
	line = sanitize_line(sb_str(&sb), 0, locale_utf8());
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

static int
locale_utf8(void)
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

static struct store *
open_history(const struct options *o, int flags)
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

/* ---- query texts for batch output ---- */

struct text_cache {
	int64_t *ids;
	char **texts;
	int n, alloc;
};

static const char *
cache_get(struct text_cache *tc, int64_t id)
{
	int i;

	for (i = 0; i < tc->n; i++)
		if (tc->ids[i] == id)
			return tc->texts[i];
	return NULL;
}

static void
cache_put(struct text_cache *tc, int64_t id, char *text)
{
	if (tc->n == tc->alloc) {
		tc->alloc = tc->alloc ? tc->alloc * 2 : 256;
		tc->ids = xreallocarray(tc->ids, (size_t)tc->alloc, sizeof *tc->ids);
		tc->texts = xreallocarray(tc->texts, (size_t)tc->alloc, sizeof *tc->texts);
	}
	tc->ids[tc->n] = id;
	tc->texts[tc->n++] = text;
}

static void
cache_free(struct text_cache *tc)
{
	int i;

	for (i = 0; i < tc->n; i++)
		free(tc->texts[i]);
	free(tc->ids);
	free(tc->texts);
}

/* ---- the sampling loop ---- */

struct sampler {
	const struct options *o;
	struct collector *col;
	struct delta_state *delta;
	struct store *st;
	int64_t server_id;
	char server_key[320];
	int lease;        /* 1: this process writes the server's samples */
	int online;       /* connected now; a loss is recorded once per outage */
	double postmaster_start; /* of the server last connected to */
	int lease_warned;
	int store_failed; /* the last write failed; said once until it works again */
	long samples;
	int output_error; /* errno of a failed write to standard output */
	long long last_maintain_hour;
	struct text_cache texts;
	int utf8;
	size_t width;
};

static void
take_lease(struct sampler *s)
{
	struct pgt_err err = {{0}};
	long holder = 0;
	int rc;

	if (s->st == NULL || s->lease)
		return;
	rc = store_lease(s->st, s->server_id, now_wall(), 3 * s->o->interval + 30, &holder, &err);
	if (rc < 0) {
		say("%s", err.msg);
		return;
	}
	if (rc == 0) {
		if (!s->lease_warned) {
			s->lease_warned = 1;
			if (s->o->mode == MODE_COLLECT)
				say("the history of this server in %s is being written by process "
				    "%ld: waiting until it stops",
				    store_path(s->st), holder);
			else
				say("the history of this server in %s is being written by process "
				    "%ld: this one shows live data without storing it",
				    store_path(s->st), holder);
		}
		return;
	}
	s->lease = 1;
	if (s->lease_warned) {
		say("now writing the history of this server");
		s->lease_warned = 0;
	}
	/* whatever this process saw before is not in the history: start clean */
	delta_break(s->delta, 0);
}

static void
on_connected(struct sampler *s, const char *msg)
{
	const struct server_info *srv = collect_server(s->col);
	struct pgt_err err = {{0}};
	int64_t *ids = NULL;
	int n = 0;
	/* the same server with another start time: it restarted while we were away */
	int restarted = strcmp(s->server_key, srv->key) == 0 && s->postmaster_start != 0 &&
			srv->postmaster_start != s->postmaster_start;

	if (s->samples > 0 || s->server_key[0])
		say("%s", msg);
	if (s->server_key[0] && strcmp(s->server_key, srv->key) != 0) {
		say("this is another server than before (%s, was %s): its history is kept apart",
		    srv->key, s->server_key);
		if (s->lease && s->st)
			store_lease_release(s->st, s->server_id);
		s->lease = 0;
	}
	s->online = 1;
	strlcpy_(s->server_key, srv->key, sizeof s->server_key);
	s->postmaster_start = srv->postmaster_start;
	delta_break(s->delta, (s->samples > 0 ? DELTA_GAP : 0) | (restarted ? DELTA_RESTART : 0));
	if (s->st == NULL)
		return;
	if (store_server(s->st, srv, now_wall(), &s->server_id, &err) < 0) {
		say("%s", err.msg);
		return;
	}
	if (store_text_ids(s->st, s->server_id, &ids, &n, &err) < 0)
		say("%s", err.msg);
	collect_texts_known(s->col, ids, n);
	free(ids);
	take_lease(s);
	if (s->lease && store_maintain(s->st, s->server_id, now_wall(),
				       s->o->keep_raw_days * 86400, s->o->keep_hourly_days * 86400,
				       &err) < 0)
		say("%s", err.msg);
}

static const char *
text_for(struct sampler *s, int64_t id)
{
	const char *t = cache_get(&s->texts, id);
	char *stored;

	if (t != NULL || s->st == NULL)
		return t;
	stored = store_text(s->st, s->server_id, id);
	if (stored != NULL)
		cache_put(&s->texts, id, stored);
	return stored;
}

static void
print_batch(struct sampler *s, const struct snapshot *snap, const struct delta_set *d)
{
	const struct server_info *srv = collect_server(s->col);
	char when[32];
	double tps = batch_tps(d), hit = batch_hit_ratio(d);
	struct batch_table t;
	int i;

	char *host = sanitize_line(srv->host, 0, s->utf8);
	char *port = sanitize_line(srv->port, 0, s->utf8);
	char *version = sanitize_line(srv->version, 0, s->utf8);
	char *dbname = sanitize_line(srv->dbname, 0, s->utf8);

	batch_time(snap->ts, when, sizeof when);
	printf("pgmltop %s - %s - %s:%s PostgreSQL %s, database %s - interval %.1f s\n",
	       PACKAGE_VERSION, when, host, port, version, dbname,
	       d->interval_s > 0 ? d->interval_s : s->o->interval);
	free(host);
	free(port);
	free(version);
	free(dbname);
	printf("Sessions: %d total, %d active, %d idle, %d idle in transaction, %d waiting\n",
	       snap->sessions.total, snap->sessions.active, snap->sessions.idle,
	       snap->sessions.idle_in_xact, snap->sessions.waiting);
	if (d->flags & DELTA_BASELINE) {
		const char *why = d->flags & DELTA_RESTART ? "the server restarted"
				  : d->flags & DELTA_CLOCK ? "the server clock went back"
				  : d->flags & DELTA_GAP   ? "the connection was lost"
							   : "first sample";
		printf("Baseline (%s): counters read; rates from the next interval\n\n", why);
		fflush(stdout);
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
		char *why = sanitize_line(snap->pgss_error, 0, s->utf8);

		printf("Statements unavailable: %s\n\n", why);
		free(why);
		fflush(stdout);
		return;
	}
	if (d->flags & DELTA_RESET) {
		printf("pg_stat_statements was reset: new baseline\n\n");
		fflush(stdout);
		return;
	}
	if (d->flags & DELTA_EVICTED)
		printf("Note: %lld entries were evicted (pg_stat_statements.max is too small)\n",
		       (long long)d->dealloc);
	if (snap->n_hidden > 0)
		printf("Note: %d statements of other roles are hidden (no pg_read_all_stats)\n",
		       snap->n_hidden);
	memset(&t, 0, sizeof t);
	t.seconds = d->interval_s;
	t.top = s->o->top;
	t.width = s->width;
	t.utf8 = s->utf8;
	t.n_rows = d->n_stmts;
	t.rows = xcalloc((size_t)(d->n_stmts ? d->n_stmts : 1), sizeof *t.rows);
	for (i = 0; i < d->n_stmts; i++) {
		const struct stmt_row *r = &d->stmts[i];
		struct batch_row *b = &t.rows[i];

		b->queryid = r->queryid;
		b->toplevel = r->toplevel;
		b->calls = r->calls;
		b->total_ms = r->total_exec_ms;
		b->max_ms = r->max_ms;
		b->rows = r->rows;
		b->shared_blks_read = r->shared_blks_read;
		b->shared_blks_hit = r->shared_blks_hit;
		b->temp_blks_written = r->temp_blks_written;
	}
	/* texts are looked up only for the rows that will be printed */
	batch_sort(&t);
	for (i = 0; i < t.n_rows && (t.top == 0 || i < t.top); i++)
		t.rows[i].query = text_for(s, t.rows[i].queryid);
	batch_print_table(stdout, &t);
	putchar('\n');
	fflush(stdout);
	free(t.rows);
}

static void
on_sample(struct sampler *s, struct snapshot *snap)
{
	struct delta_set d;
	struct pgt_err err = {{0}};
	int i;

	delta_compute(s->delta, snap, &d);
	if (s->st != NULL && !s->lease)
		take_lease(s);
	/* -n counts what the mode delivers: stored samples for --collect, tables for -b */
	if (s->o->mode != MODE_COLLECT || s->st == NULL)
		s->samples++;
	if (s->st != NULL && s->lease) {
		int rc = store_sample(s->st, s->server_id, snap, &d, &err);

		if (rc > 0 && s->o->mode == MODE_COLLECT)
			s->samples++;

		if (rc < 0) {
			if (!s->store_failed)
				say("%s; samples are not stored until this is solved", err.msg);
			s->store_failed = 1;
		} else if (rc == 0) {
			s->lease = 0; /* another process took the lease over */
			take_lease(s);
		} else {
			long long hour = (long long)floor(snap->ts / 3600.0);

			if (s->store_failed)
				say("storing samples again in %s", store_path(s->st));
			s->store_failed = 0;
			if (hour != s->last_maintain_hour) {
				s->last_maintain_hour = hour;
				if (store_maintain(s->st, s->server_id, now_wall(),
						   s->o->keep_raw_days * 86400,
						   s->o->keep_hourly_days * 86400, &err) < 0)
					say("%s", err.msg);
			}
		}
	}
	/* texts now stored (or, without a history, kept here) need not be read again */
	if (s->st == NULL || (s->lease && !s->store_failed)) {
		int64_t *ids = xcalloc((size_t)(snap->n_texts + 1), sizeof *ids);

		for (i = 0; i < snap->n_texts; i++)
			ids[i] = snap->texts[i].queryid;
		collect_texts_known(s->col, ids, snap->n_texts);
		free(ids);
	}
	for (i = 0; i < snap->n_texts; i++) {
		if (cache_get(&s->texts, snap->texts[i].queryid) == NULL) {
			cache_put(&s->texts, snap->texts[i].queryid, snap->texts[i].query);
			snap->texts[i].query = NULL;
		}
	}
	if (s->o->mode == MODE_BATCH) {
		print_batch(s, snap, &d);
		if (fflush(stdout) != 0 || ferror(stdout))
			s->output_error = errno ? errno : EIO;
	}
	delta_set_free(&d);
}

int
run_sampling(const struct options *o)
{
	struct sampler s;
	struct conn_opts conn = o->conn;
	char *password = NULL;
	double next_sample = 0;
	int status = 0, prompted = 0;

	memset(&s, 0, sizeof s);
	s.o = o;
	s.utf8 = locale_utf8();
	s.width = out_width();
	s.last_maintain_hour = -1;
	if (!o->no_history && (s.st = open_history(o, 0)) == NULL)
		return 1;
	if (o->prompt == PROMPT_ALWAYS) {
		password = run_prompt_password(o->conn.user);
		prompted = 1;
		if (password == NULL) {
			say("cannot ask for a password: there is no terminal (use ~/.pgpass or "
			    "PGPASSWORD)");
			store_close(s.st);
			return 1;
		}
	}
	conn.password = password;
	s.col = collect_new(&conn, 5000);
	if (password != NULL) {
		memset(password, 0, strlen(password));
		free(password);
		password = NULL;
	}
	s.delta = delta_new();
	install_signals();
	collect_start(s.col, now_mono());

	for (;;) {
		struct pollfd pfd;
		double now = now_mono(), wake, dl;
		enum collect_event ev;
		const char *msg;
		int timeout_ms, idle;

		if (stop_signals > 1 || (stop_signals > 0 && !collect_sampling(s.col)))
			break;
		idle = collect_connected(s.col) && !collect_sampling(s.col);
		if (idle && now >= next_sample && o->mode == MODE_COLLECT && s.st && !s.lease) {
			/* another process writes this server's history: wait for its lease */
			take_lease(&s);
			if (!s.lease)
				next_sample = now + o->interval;
		}
		if (idle && now >= next_sample && collect_sample(s.col, now) == 0) {
			/* a fixed schedule; after a stall, start again from now */
			next_sample = next_sample == 0 ? now + o->interval : next_sample + o->interval;
			if (next_sample < now)
				next_sample = now + o->interval;
		}

		/* what to wait for, from the state the collector is in now */
		idle = collect_connected(s.col) && !collect_sampling(s.col);
		pfd.fd = collect_fd(s.col);
		pfd.events = idle ? POLLIN : collect_poll_events(s.col); /* idle: notice a close */
		pfd.revents = 0;
		if (pfd.events == 0)
			pfd.fd = -1;
		wake = idle ? next_sample : 0;
		dl = collect_deadline(s.col);
		if (dl > 0 && (wake == 0 || dl < wake))
			wake = dl;
		timeout_ms = wake > 0 ? (int)ceil((wake - now) * 1000) : 1000;
		if (timeout_ms < 0)
			timeout_ms = 0;
		if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			status = 1;
			break;
		}
		collect_process(s.col, pfd.revents, now_mono());
		while ((ev = collect_next(s.col, &msg)) != COLLECT_NONE) {
			switch (ev) {
			case COLLECT_CONNECTED:
				on_connected(&s, msg);
				next_sample = 0;
				break;
			case COLLECT_SAMPLE: {
				struct snapshot *snap = collect_take(s.col);

				if (snap != NULL) {
					on_sample(&s, snap);
					snapshot_free(snap);
					free(snap);
				}
				break;
			}
			case COLLECT_LOST:
				say("%s", msg);
				if (s.st != NULL && s.lease && s.online) {
					struct pgt_err err = {{0}};

					store_event(s.st, s.server_id, now_wall(), "lost", msg, &err);
				}
				s.online = 0;
				delta_break(s.delta, DELTA_GAP);
				break;
			case COLLECT_FAILED:
				if (collect_needs_password(s.col) && !prompted &&
				    o->prompt != PROMPT_NEVER && isatty(STDIN_FILENO)) {
					prompted = 1;
					password = run_prompt_password(o->conn.user);
					if (password != NULL) {
						collect_set_password(s.col, password);
						memset(password, 0, strlen(password));
						free(password);
						password = NULL;
						collect_start(s.col, now_mono());
						break;
					}
				}
				say("%s", msg);
				status = 1;
				goto out;
			case COLLECT_WARNING:
			case COLLECT_SKIPPED:
				say("%s", msg);
				break;
			case COLLECT_NONE:
				break;
			}
		}
		if (o->iterations > 0 && s.samples >= o->iterations)
			break;
		if (s.output_error) {
			/* the reader went away (as with head): end as top -b would, quietly */
			if (s.output_error != EPIPE) {
				say("cannot write to standard output: %s", strerror(s.output_error));
				status = 1;
			}
			break;
		}
	}
out:
	if (s.st != NULL && s.lease)
		store_lease_release(s.st, s.server_id);
	collect_free(s.col);
	delta_free(s.delta);
	store_close(s.st);
	cache_free(&s.texts);
	return status;
}

/* ---- from the history only ---- */

int
run_offline(const struct options *o)
{
	struct store *st = open_history(o, STORE_READONLY);
	struct report r;
	struct pgt_err err = {{0}};
	struct batch_table t;
	char from[32], to[32];
	int i;

	if (st == NULL)
		return 1;
	if (report_build(st, now_wall(), o->days, &r, &err) < 0) {
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
		int utf8 = locale_utf8();
		char *path = sanitize_line(store_path(st), 0, utf8);
		char *host = sanitize_line(r.server.host, 0, utf8);
		char *port = sanitize_line(r.server.port, 0, utf8);
		char *version = sanitize_line(r.server.version, 0, utf8);

		printf("pgmltop %s - history %s\n", PACKAGE_VERSION, path);
		printf("Server %s:%s PostgreSQL %s - %s to %s - %d samples\n", host, port, version,
		       from, to, r.n_samples);
		free(path);
		free(host);
		free(port);
		free(version);
	}
	memset(&t, 0, sizeof t);
	t.seconds = 0; /* a long window: total calls say more than a rate */
	t.top = o->top;
	t.width = out_width();
	t.utf8 = locale_utf8();
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
	struct store *st = open_history(o, STORE_READONLY);
	struct report r;
	struct pgt_err err = {{0}};
	FILE *out = stdout;
	int rc;

	if (st == NULL)
		return 1;
	if (report_build(st, now_wall(), o->days, &r, &err) < 0) {
		say("%s", err.msg);
		store_close(st);
		return 1;
	}
	if (o->output != NULL && strcmp(o->output, "-") != 0) {
		int fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);

		if (fd < 0 || (out = fdopen(fd, "w")) == NULL) {
			if (errno == ELOOP)
				say("cannot write the report to %s: it is a symbolic link; give the "
				    "file it points to",
				    o->output);
			else
				say("cannot write the report to %s: %s", o->output, strerror(errno));
			if (fd >= 0)
				close(fd);
			report_free(&r);
			store_close(st);
			return 1;
		}
	}
	rc = report_write_json(&r, out);
	if (out != stdout) {
		if (fclose(out) != 0)
			rc = -1;
	} else if (fflush(out) != 0) {
		rc = -1;
	}
	if (rc < 0)
		say("cannot write the report to %s: %s", o->output ? o->output : "standard output",
		    strerror(errno));
	report_free(&r);
	store_close(st);
	return rc < 0 ? 1 : 0;
}
