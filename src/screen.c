#include "config.h"

#include "screen.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>
#include <term.h>

#include "batch.h"
#include "heatmap.h"
#include "report.h"
#include "rules.h"
#include "run.h"
#include "sampler.h"
#include "sanitize.h"
#include "settings.h"
#include "loader.h"
#include "screen-heatmap.h"
#include "screen-settings.h"
#include "explain-ask.h"
#include "explain.h"
#include "params-load.h"
#include "screen-plan.h"
#include "screen-recs.h"
#include "alert.h"
#include "screen-forecast.h"
#include "store.h"
#include "view.h"

enum window { WIN_INTERVAL, WIN_HOUR, WIN_DAY, WIN_WEEK, WIN_COUNT };
enum pane { PANE_LIST, PANE_DETAIL, PANE_HELP, PANE_SESSIONS, PANE_SETUP, PANE_HEATMAP,
	     PANE_SETTINGS, PANE_PLAN, PANE_RECS, PANE_EXPORT };
/* What the plan pane asks before it takes a plan. */
enum { PLAN_ASK_NONE, PLAN_ASK_WRITE, PLAN_ASK_ANALYZE };
enum prompt { PROMPT_NONE, PROMPT_FILTER, PROMPT_INTERVAL, PROMPT_CONFIRM };

static const char *const window_names[WIN_COUNT] = {"last interval", "last hour", "last day",
						    "last 7 days"};
static const double window_seconds[WIN_COUNT] = {0, 3600, 86400, 7 * 86400};

/* History windows are read again at most this often while the screen is live. */
#define HISTORY_REFRESH_S 10.0
/* The hours of a statement (drill-down, heatmap) are read again at most this often. */
#define SERIES_REFRESH_S 300.0
/* The recommendations behind the list's top line are read again at most this often. */
#define RECS_REFRESH_S 1800.0
#define MIN_INTERVAL 0.5
#define MAX_INTERVAL 3600.0

struct screen {
	const struct options *o;
	struct store *st;   /* NULL without a history */
	struct sampler *sm; /* NULL offline */
	int offline;
	struct server_rec srv; /* offline: the server shown */

	struct view view;
	enum window win;
	int frozen;
	double loaded_at; /* when a history window was last read (monotonic) */
	struct loader *loader; /* reads history windows in its thread; NULL: read here */
	int loader_failed;     /* it could not start: windows are read here */
	double simulated_until; /* the history before this is simulated; 0: none */
	int loading;           /* a window is being read */
	double load_asked;     /* when (monotonic) */
	int64_t open_after_load; /* a statement to open once the window is read, 0: none */
	long loaded_sample; /* the sample count the interval window shows */

	enum pane pane;
	enum prompt prompt;
	char input[256];
	char *filter_before; /* the pattern before the filter prompt opened */

	char message[600];
	int message_error;

	int color;
	int no_color; /* --no-color, NO_COLOR or the saved settings */
	int utf8;
	char *settings_path;
	struct settings saved; /* as loaded: saved again only when something changed */
	int interval_changed;  /* on the screen (+, -, s), not by -s */
	int saved_color_changed; /* C on the screen, not --no-color */
	int colors_ready;
	int hidden[9];    /* fixed columns the user hid (by view_col); QUERYID never */
	int setup_sel;
	int help_scroll;
	int dirty;
	int quit;

	double drawn_at;  /* the last draw (monotonic): the clock is redrawn once a second */
	FILE *key_timing; /* PGMLTOP_KEY_TIMING: one line per key, for make bench */
	double key_at;    /* when the keys being answered arrived (monotonic), 0: none */

	/* the sessions pane */
	int sess_sel;     /* index into the lines drawn */
	int sess_top;
	int sess_pid;     /* the selected session, kept across refreshes */
	int show_idle;
	int confirm_pid;  /* the backend the confirmation is about */
	int confirm_terminate;
	char confirm_query[256]; /* the start of its query, made safe to show */
	enum pane back_to; /* where Esc goes from the statement pane */

	/* the drill-down pane */
	int detail_scroll;
	int64_t detail_id;
	struct stmt_history hist;
	int hist_ok;
	struct literal_text *lits; /* its texts with literals, sampled from the sessions */
	int n_lits;
	struct rule_set *rules;    /* the SQL-text rules; NULL when they could not be read */
	struct ix_table *catalog;  /* the tables last sampled, for the index advice */
	int n_catalog;
	double catalog_read_at;    /* when (monotonic) it was read from the history; 0: never */
	/* the advice section as last made, and what it was made from (not made at each draw) */
	struct strbuf advice;
	int advice_lines;
	int64_t advice_queryid;
	int64_t advice_calls;
	double advice_ms, advice_seconds;
	size_t advice_width;
	int advice_lits;

	/*
	 * The hours of one statement or of the whole server over the --days window, with
	 * their patterns and findings: for the drill-down and the heatmap. Read by a loader
	 * of its own, so that a window of the list and these do not supersede each other.
	 */
	struct loader *series_loader;
	int series_loader_failed;
	struct loader_result an; /* valid when an_ok */
	int an_ok;
	int an_loading;
	int an_has_queryid; /* what was asked last */
	int64_t an_queryid;
	double an_asked; /* monotonic */

	/* the heatmap pane */
	struct heatmap hm;
	int hm_stale; /* hm is to be built again from an */
	enum heatmap_layout hm_layout;
	enum heatmap_metric hm_metric;
	int hm_row, hm_col, hm_top;
	int hm_has_queryid; /* of one statement, else of the whole server */
	int64_t hm_queryid;
	enum pane hm_back;

	/* the settings pane (src/screen-settings.c) */
	struct params_model pm;
	int pm_ok;
	int pm_read;      /* a read was made (pm_ok: it worked) */
	int pm_loading;   /* asked of params_loader, not here yet */
	double pm_asked;  /* when (monotonic) */
	struct loader *params_loader; /* reads the model off the screen's thread */
	int params_loader_failed;
	struct settings_view sv;

	/* the plan pane (src/screen-plan.c) and the thread that takes plans */
	struct plan_pane pp;
	struct plan_rules *plan_rules; /* NULL: the built-in thresholds */
	struct explainer *explainer;
	struct explain_ask ask;  /* of the plan being taken or asked about */
	int ask_pending;         /* PLAN_ASK_*: a question is on the pane */
	int ask_analyze;
	int taking;              /* a plan is being taken */
	enum pane plan_back;

	/* the recommendations pane (src/screen-recs.c), read by a loader of its own */
	struct loader *recs_loader;
	int recs_loader_failed;
	int recs_loading;
	double recs_asked; /* monotonic */
	struct report *rep; /* the latest report read, with its recommendations */
	char recs_status[300];
	struct recs_view rv;
	int rec_reason_prompt;
	struct store *st_rw; /* offline: the history opened to keep the states */
	enum pane open_back; /* where Esc goes from a statement opened by query id */

	/* the export menu */
	int ex_init, ex_format, ex_days, ex_scope;
	char ex_path[4096];
	int ex_path_edited, ex_editing, ex_confirm, ex_writing, ex_error;
	char ex_status[4400];
	enum pane ex_back;
	struct loader *export_loader;
	int export_loader_failed;

	/* alerts (the settings file's alert_* keys) */
	char **alerted; /* keys already alerted in this session */
	int n_alerted;
	char alert_text[300];
	double alert_at; /* monotonic; the header shows it for a while */
	enum sampler_state alert_state_was;
};

/* ---- the terminal ---- */

static volatile sig_atomic_t curses_on;

static void
on_crash(int sig)
{
	if (curses_on)
		endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* SIGCONT: the terminal may have been used while stopped; the loop draws it all again. */
static volatile sig_atomic_t resumed;

static void
on_cont(int sig)
{
	(void)sig;
	resumed = 1;
}

/*
 * The screen's signals beyond run_install_signals(): SIGQUIT ends it as SIGTERM does
 * (the terminal restored, the history closed), and SIGCONT redraws it. SIGTSTP is left
 * to ncurses, which leaves the screen before stopping and draws it again after.
 */
static void
screen_signals(void)
{
	struct sigaction sa;

	if (sigaction(SIGTERM, NULL, &sa) == 0)
		sigaction(SIGQUIT, &sa, NULL);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_cont;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCONT, &sa, NULL);
}

static void
restore_terminal(void)
{
	if (curses_on) {
		curses_on = 0;
		endwin();
	}
}

/* Can this terminal show the screen? Checked before connecting, without drawing. */
static int
term_check(struct pgt_err *err)
{
	const char *term = getenv("TERM");
	int rc = 0, errret = 0;
	char *cup;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		pgt_err_set(err, "the screen needs a terminal: use --batch for a plain table");
		return -1;
	}
	if (term == NULL || term[0] == '\0') {
		pgt_err_set(err, "TERM is not set: set it to the terminal's type, or use --batch "
				 "for a plain table");
		return -1;
	}
	if (strcmp(term, "dumb") == 0) {
		pgt_err_set(err, "the terminal (TERM=%s) cannot show the screen: use --batch",
			    term ? term : "");
		return -1;
	}
	if (setupterm(NULL, STDOUT_FILENO, &errret) != OK) {
		pgt_err_set(err, "unknown terminal type '%s': set TERM, or use --batch", term);
		return -1;
	}
	cup = tigetstr("cup");
	if (cup == NULL || cup == (char *)-1) {
		pgt_err_set(err, "the terminal (TERM=%s) cannot move the cursor: use --batch",
			    term);
		rc = -1;
	}
	del_curterm(cur_term);
	return rc;
}

/* Colour on or off; colours are set up the first time they are turned on. */
static void
set_color(struct screen *s, int on)
{
	s->color = on && has_colors();
	if (s->color && !s->colors_ready) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_BLACK, COLOR_CYAN);  /* column titles, key bar labels */
		init_pair(2, COLOR_RED, -1);            /* errors */
		init_pair(3, COLOR_CYAN, -1);           /* header figures */
		init_pair(4, COLOR_BLACK, COLOR_GREEN); /* the selected row */
		heatmap_colors();
		s->colors_ready = 1;
	}
}

static int
term_start(struct screen *s, struct pgt_err *err)
{
	static const int crash[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	const char *term = getenv("TERM");
	SCREEN *scr;
	char *cup;
	size_t i;

	if (term_check(err) < 0)
		return -1;
	scr = newterm(NULL, stdout, stdin);
	if (scr == NULL) {
		pgt_err_set(err, "unknown terminal type '%s': set TERM, or use --batch", term);
		return -1;
	}
	cup = tigetstr("cup");
	if (cup == NULL || cup == (char *)-1) {
		endwin();
		delscreen(scr);
		pgt_err_set(err, "the terminal (TERM=%s) cannot move the cursor: use --batch",
			    term);
		return -1;
	}
	curses_on = 1;
	atexit(restore_terminal);
	for (i = 0; i < sizeof crash / sizeof crash[0]; i++)
		signal(crash[i], on_crash);
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
			  | BUTTON5_PRESSED
#endif
		  ,
		  NULL);
	/*
	 * No look for typed keys in the middle of a redraw: ncurses would flush its output
	 * and poll the terminal at each line, a hundred system calls a second for nothing.
	 */
	typeahead(-1);
	curs_set(0);
	/*
	 * Until the first endwin(), ncurses takes every cursor move as a call from a
	 * terminfo program and flushes its output there: a redraw went out in a hundred
	 * small writes. Leaving and entering once before anything is drawn ends that; a
	 * redraw is then one write.
	 */
	refresh();
	endwin();
	refresh();
	set_color(s, !s->no_color);
	return 0;
}

/* ---- messages ---- */

static void
set_message(struct screen *s, int error, const char *fmt, ...) PGT_PRINTF(3, 4);

static void
set_message(struct screen *s, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->message, sizeof s->message, fmt, ap);
	va_end(ap);
	s->message_error = error;
	s->dirty = 1;
}

static void
say_cb(void *ctx, const char *msg)
{
	struct screen *s = ctx;

	/* said before the screen starts (while connecting): on the message line too */
	set_message(s, 1, "%s", msg);
	if (!curses_on)
		fprintf(stderr, "pgmltop: %s\n", msg);
}

/* ---- loading the rows of a window ---- */

static int64_t
server_id(const struct screen *s)
{
	return s->offline ? s->srv.id : sampler_server_id(s->sm);
}

/* The name of a database or role from the latest sample, or NULL. */
static const char *
live_name(const struct snapshot *snap, int role, uint32_t oid)
{
	int i;

	if (snap == NULL)
		return NULL;
	if (role) {
		for (i = 0; i < snap->n_roles; i++)
			if (snap->roles[i].oid == oid)
				return snap->roles[i].name;
	} else {
		for (i = 0; i < snap->n_databases; i++)
			if (snap->databases[i].datid == oid)
				return snap->databases[i].datname;
	}
	return NULL;
}

static char *
dup_name(const char *name)
{
	return name != NULL ? xstrdup(name) : NULL;
}

static void
load_interval(struct screen *s)
{
	const struct delta_set *d = sampler_delta(s->sm);
	const struct snapshot *snap = sampler_snapshot(s->sm);
	struct view_row *rows;
	int i, n = 0;

	if (d != NULL && (d->flags & DELTA_NO_PGSS)) {
		/* the statements cannot be read: rates of before would look live */
		view_set_rows(&s->view, NULL, 0, 0);
		return;
	}
	if (d == NULL || (d->flags & (DELTA_BASELINE | DELTA_RESET))) {
		/* a baseline has no rates: keep what is shown until the next interval */
		if (s->view.n_rows == 0)
			view_set_rows(&s->view, NULL, 0, 0);
		return;
	}
	rows = xcalloc((size_t)(d->n_stmts ? d->n_stmts : 1), sizeof *rows);
	for (i = 0; i < d->n_stmts; i++) {
		const char *text = sampler_text(s->sm, d->stmts[i].queryid);

		batch_row_from_stmt(&rows[n].r, &d->stmts[i]);
		rows[n].text = text ? xstrdup(text) : NULL;
		rows[n].dbname = dup_name(live_name(snap, 0, d->stmts[i].dbid));
		rows[n].username = dup_name(live_name(snap, 1, d->stmts[i].userid));
		n++;
	}
	view_set_rows(&s->view, rows, n, d->interval_s);
}

/* The rows of a history window read by store_statements_by_key (which it frees). */
static void
show_history(struct screen *s, struct stmt_total *tot, int n, int samples, double first,
	     double from, double to)
{
	struct view_row *rows = xcalloc((size_t)(n ? n : 1), sizeof *rows);
	double span;
	int i;

	for (i = 0; i < n; i++) {
		rows[i].r.queryid = tot[i].queryid;
		rows[i].r.toplevel = tot[i].toplevel;
		rows[i].r.calls = tot[i].calls;
		rows[i].r.total_ms = tot[i].total_ms;
		rows[i].r.max_ms = tot[i].max_ms;
		rows[i].r.rows = tot[i].rows;
		rows[i].r.shared_blks_read = tot[i].shared_blks_read;
		rows[i].r.shared_blks_hit = tot[i].shared_blks_hit;
		rows[i].r.temp_blks_written = tot[i].temp_blks_written;
		rows[i].text = tot[i].query; /* taken over, with the names */
		rows[i].dbname = tot[i].dbname;
		rows[i].username = tot[i].username;
		tot[i].query = tot[i].dbname = tot[i].username = NULL;
	}
	store_statements_free(tot, n);
	/* rates over the time the history covers, not the whole window */
	span = samples > 0 && first > from ? to - first : to - from;
	view_set_rows(&s->view, rows, n, span > 1 ? span : 1);
}

static void open_selected(struct screen *s, enum pane back);

/* A statement asked for while its window was read (Enter on a session): open it now. */
static void
open_pending(struct screen *s)
{
	int64_t id = s->open_after_load;

	s->open_after_load = 0;
	if (id == 0)
		return;
	if (!view_select_id(&s->view, id)) {
		set_message(s, 1, "statement %lld is not in the %s list%s", (long long)id,
			    window_names[s->win], s->view.pattern ? " (a filter is on)" : "");
		return;
	}
	open_selected(s, s->open_back);
}

/* The window read by the loader's thread has arrived. */
static void
loaded(struct screen *s)
{
	struct loader_result r;

	if (s->loader == NULL || !loader_take(s->loader, &r))
		return;
	s->loading = 0;
	s->dirty = 1;
	if (s->key_timing != NULL) {
		fprintf(s->key_timing, "history_read_ms %.3f to_screen_ms %.3f rows %d\n",
			r.seconds * 1000, (now_mono() - s->load_asked) * 1000, r.n);
		fflush(s->key_timing);
	}
	if (r.failed || s->win == WIN_INTERVAL) {
		if (r.failed)
			set_message(s, 1, "%s", r.error);
		store_statements_free(r.rows, r.n);
		if (r.failed)
			view_set_rows(&s->view, NULL, 0, 0);
		return;
	}
	show_history(s, r.rows, r.n, r.samples, r.first, r.from, r.to);
	open_pending(s);
}

/*
 * A history window: asked of the loader's thread (the screen keeps answering keys and
 * says that it reads), or read here when there is no such thread. A new window starts
 * empty; the same window read again keeps its rows until the new ones arrive.
 */
static void analysis_window(struct screen *s, double *from, double *to);

/*
 * The history is read up to the last sample: the one the sampler has not stored yet
 * (it stores one every --history-interval) is stored first.
 */
static void
history_current(struct screen *s)
{
	if (s->sm != NULL)
		sampler_store_now(s->sm);
}

static void
load_history(struct screen *s, int same_window)
{
	struct pgt_err err = {{0}};
	struct stmt_total *tot = NULL;
	double to, from, first = 0, last = 0;
	int n = 0, samples = 0;

	if (s->st == NULL) {
		set_message(s, 1, "no history file (--no-history): only the last interval");
		s->win = WIN_INTERVAL;
		return;
	}
	if (server_id(s) == 0) {
		view_set_rows(&s->view, NULL, 0, 0);
		return;
	}
	s->simulated_until = store_simulated_until(s->st, server_id(s));
	/* the windows end at --until, or offline where the history ends, else now */
	analysis_window(s, &from, &to);
	from = to - window_seconds[s->win];
	if (s->loader == NULL && !s->loader_failed) {
		/* started with the first history window: the live list never needs it */
		s->loader = loader_new(store_path(s->st), &err);
		if (s->loader == NULL) {
			s->loader_failed = 1;
			set_message(s, 1, "history windows are read in the foreground: %s",
				    err.msg);
			err.msg[0] = '\0';
		}
	}
	if (s->loader != NULL) {
		if (!same_window)
			view_set_rows(&s->view, NULL, 0, 0);
		history_current(s);
		loader_request(s->loader, server_id(s), from, to);
		s->loading = 1;
		s->load_asked = now_mono();
		return;
	}
	if (store_sample_span(s->st, server_id(s), from, to, &samples, &first, &last, &err) < 0 ||
	    store_statements_by_key(s->st, server_id(s), from, to, &tot, &n, &err) < 0) {
		if (err.msg[0])
			set_message(s, 1, "%s", err.msg);
		view_set_rows(&s->view, NULL, 0, 0);
		return;
	}
	show_history(s, tot, n, samples, first, from, to);
	open_pending(s);
}

/* Show the window again: same_window when only the data moved on, not the window. */
static void
reload_window(struct screen *s, int same_window)
{
	if (s->win == WIN_INTERVAL) {
		s->loading = 0;
		load_interval(s);
	} else {
		load_history(s, same_window);
	}
	s->loaded_at = now_mono();
	s->dirty = 1;
}

static void
reload(struct screen *s)
{
	reload_window(s, 0);
}

/* ---- the hours of a statement or of the server: analysis and heatmap ---- */

static void put_line(int y, attr_t attr, const char *fmt, ...) PGT_PRINTF(3, 4);

/* A time to the minute, local: "2026-11-26 10:00". */
static void
minute_time(double t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
		strlcpy_(buf, "?", size);
}

/* The --days window of the analyses: up to --until, else now (offline: the history's end). */
static void
analysis_window(struct screen *s, double *from, double *to)
{
	/* the --days window ends at --until, or offline where the history ends, else now */
	*to = s->o->until > 0 ? s->o->until : now_wall();
	if (s->offline && s->o->until <= 0) {
		struct pgt_err err = {{0}};
		double end = 0;

		if (store_history_end(s->st, server_id(s), &end, &err) == 0 && end > 0 &&
		    end < *to)
			*to = ceil(end / 3600) * 3600;
	}
	*from = *to - (double)s->o->days * 86400.0;
}

/* A result of the series loader (or of a read here): kept when it is what was asked last. */
static void
series_take(struct screen *s, struct loader_result *r)
{
	if (r->has_queryid != s->an_has_queryid || r->queryid != s->an_queryid) {
		loader_result_free(r);
		return;
	}
	s->an_loading = 0;
	loader_result_free(&s->an);
	s->an = *r;
	memset(r, 0, sizeof *r);
	s->an_ok = 1;
	s->hm_stale = 1;
	s->dirty = 1;
	if (s->an.failed)
		set_message(s, 1, "%s", s->an.error);
}

static void
series_loaded(struct screen *s)
{
	struct loader_result r;

	if (s->series_loader != NULL && loader_take(s->series_loader, &r))
		series_take(s, &r);
}

/*
 * Ask for the hours of a statement (has_queryid) or of the server, unless they are here
 * or on their way and not older than SERIES_REFRESH_S. What was shown for another
 * statement is dropped at once.
 */
static void
ask_series(struct screen *s, int has_queryid, int64_t queryid)
{
	struct pgt_err err = {{0}};
	double from, to;
	int same = s->an_has_queryid == has_queryid && s->an_queryid == queryid &&
		   (s->an_ok || s->an_loading);

	if (s->st == NULL || server_id(s) == 0)
		return;
	if (same && (s->an_loading || now_mono() - s->an_asked < SERIES_REFRESH_S))
		return;
	if (!same) {
		loader_result_free(&s->an);
		s->an_ok = 0;
		s->hm_stale = 1;
	}
	s->an_has_queryid = has_queryid;
	s->an_queryid = queryid;
	s->an_asked = now_mono();
	analysis_window(s, &from, &to);
	if (s->series_loader == NULL && !s->series_loader_failed) {
		s->series_loader = loader_new(store_path(s->st), &err);
		if (s->series_loader == NULL) {
			s->series_loader_failed = 1;
			set_message(s, 1, "the history is read in the foreground: %s", err.msg);
		}
	}
	if (s->series_loader != NULL) {
		history_current(s);
		loader_request_series(s->series_loader, server_id(s), has_queryid, queryid, from,
				      to);
		s->an_loading = 1;
	} else {
		struct loader_result r;

		memset(&r, 0, sizeof r);
		loader_read(s->st, LOADER_SERIES, server_id(s), has_queryid, queryid, from, to,
			    &r);
		series_take(s, &r);
	}
}

/* The analysis of this statement is here (1), or 0 with what to say instead. */
static int
series_of(const struct screen *s, int has_queryid, int64_t queryid, const char **instead)
{
	*instead = NULL;
	if (s->st == NULL) {
		*instead = "no history file (--no-history)";
		return 0;
	}
	if (s->an_has_queryid != has_queryid || s->an_queryid != queryid ||
	    (!s->an_ok && !s->an_loading)) {
		*instead = "(no history of this server yet)";
		return 0;
	}
	if (!s->an_ok) {
		*instead = "(reading the history...)";
		return 0;
	}
	if (s->an.failed) {
		*instead = s->an.error;
		return 0;
	}
	return 1;
}

static const char *const wday_plural[7] = {"Sundays",	"Mondays", "Tuesdays", "Wednesdays",
					   "Thursdays", "Fridays", "Saturdays"};

/* One line for a pattern, as a DBA would say it. */
static void
pattern_line(struct strbuf *sb, const struct pattern *p)
{
	const char *per = p->wday < 0 ? "days" : "weeks";

	switch (p->type) {
	case PAT_HOUR_PEAK:
		sb_addf(sb, "peak at %02d:00 most days: %.1fx the day's usual hour", p->hour,
			p->height);
		break;
	case PAT_QUIET_HOURS:
		sb_addf(sb, "quiet %02d:00-%02d:59 most days: %.2fx the day's usual hour",
			p->hour, p->hour_to, p->height);
		break;
	case PAT_WEEKDAY_PEAK:
		sb_addf(sb, "busy %s: %.1fx the week's usual day", wday_plural[p->wday % 7],
			p->height);
		break;
	case PAT_QUIET_WEEKDAY:
		sb_addf(sb, "quiet %s: %.2fx the week's usual day", wday_plural[p->wday % 7],
			p->height);
		break;
	case PAT_HOUR_OF_WEEK_PEAK:
		sb_addf(sb, "peak on %s at %02d:00: %.1fx that hour on other days",
			wday_plural[p->wday % 7], p->hour, p->height);
		break;
	}
	sb_addf(sb, ", in %.0f%% of %d %s, confidence %.2f\n", p->recurrence * 100, p->observed,
		per, p->confidence);
}

/* One line for a finding (an anomaly, a change of level). */
static void
finding_line(struct strbuf *sb, const struct finding *f)
{
	char when[32];
	int calls = strcmp(f->metric, "calls") == 0;
	const char *unit = calls ? " calls/h" : " ms";

	minute_time(f->from, when, sizeof when);
	if (strcmp(f->rule, FINDING_REGRESSION_MEAN_TIME) == 0 ||
	    strcmp(f->rule, FINDING_IMPROVEMENT_MEAN_TIME) == 0)
		sb_addf(sb, "%s from %s: mean %.3f ms before, %.3f ms after (%.2fx)",
			strcmp(f->rule, FINDING_REGRESSION_MEAN_TIME) == 0 ? "slower" : "faster",
			when, f->expected, f->observed, f->severity_ratio);
	else
		sb_addf(sb, "%s at %s for %d h: %.*f%s, usual %.*f to %.*f",
			calls ? "unusual calls" : "unusual mean time", when, f->hours, calls ? 0 : 3,
			f->observed, unit, calls ? 0 : 3, f->low, calls ? 0 : 3, f->high);
	sb_addf(sb, ", confidence %.2f\n", f->confidence);
}

/* The patterns and findings sections of the drill-down; returns the lines added. */
static void titled_finding(struct strbuf *body, int *n, const struct finding *f, size_t width,
			   int utf8);

static int
analysis_sections(struct screen *s, struct strbuf *body, int64_t queryid, size_t width)
{
	const char *instead;
	int n = 0, i;
	char from[32], to[32];

	if (series_of(s, 1, queryid, &instead)) {
		minute_time(s->an.from, from, sizeof from);
		minute_time(s->an.to, to, sizeof to);
		sb_addf(body, "\nPatterns (%s to %s, --days %ld)\n", from, to, s->o->days);
		n += 2;
		for (i = 0; i < s->an.n_pats; i++, n++)
			pattern_line(body, &s->an.pats[i]);
		if (s->an.n_pats == 0) {
			sb_addf(body, "%s\n", s->an.note ? s->an.note : "none: no hour or day recurs");
			n++;
		}
		sb_add(body, "\nFindings\n");
		n += 2;
		for (i = 0; i < s->an.n_finds; i++) {
			if (s->an.finds[i].title != NULL) {
				titled_finding(body, &n, &s->an.finds[i], width, s->utf8);
			} else {
				finding_line(body, &s->an.finds[i]);
				n++;
			}
		}
		if (s->an.n_finds == 0) {
			sb_addf(body, "%s\n",
				s->an.note ? s->an.note
					   : "none: no anomaly, no change of level, no N+1 loop");
			n++;
		}
	} else {
		sb_addf(body, "\nPatterns\n%s\n\nFindings\n%s\n", instead, instead);
		n += 5;
	}
	return n;
}

/* Open the heatmap of a statement (has_queryid) or of the server, from pane back. */
static void
open_heatmap(struct screen *s, int has_queryid, int64_t queryid, enum pane back)
{
	if (s->st == NULL) {
		set_message(s, 1, "no history file (--no-history): the heatmap reads the history");
		return;
	}
	if (s->hm_has_queryid != has_queryid || s->hm_queryid != queryid)
		s->hm_stale = 1;
	s->hm_has_queryid = has_queryid;
	s->hm_queryid = queryid;
	s->hm_back = back;
	s->pane = PANE_HEATMAP;
	ask_series(s, has_queryid, queryid);
}

/* The heatmap, built again from the hours read when they, the layout or the metric changed. */
static int
heatmap_update(struct screen *s, const char **instead)
{
	int have = series_of(s, s->hm_has_queryid, s->hm_queryid, instead);

	if (have && (s->hm_stale || s->hm.layout != s->hm_layout ||
		     s->hm.metric != s->hm_metric || s->hm.v == NULL)) {
		heatmap_free(&s->hm);
		heatmap_build(&s->hm, s->hm_layout, s->hm_metric, s->an.sums.h0,
			      s->an.sums.n_hours, s->an.sums.calls, s->an.sums.total_ms,
			      s->an.sums.sampled);
		s->hm_stale = 0;
	}
	return have;
}

static void
draw_heatmap(struct screen *s)
{
	static const char *const layouts[HEATMAP_LAYOUTS] = {"hour x weekday", "day x hour"};
	struct heatmap_view v;
	const char *instead;
	char what[64], from[32], to[32], *title;
	int have;

	ask_series(s, s->hm_has_queryid, s->hm_queryid);
	have = heatmap_update(s, &instead);
	if (s->hm_has_queryid)
		snprintf(what, sizeof what, "statement %lld", (long long)s->hm_queryid);
	else
		snprintf(what, sizeof what, "the whole server");
	if (have) {
		minute_time(s->an.from, from, sizeof from);
		minute_time(s->an.to, to, sizeof to);
	} else {
		strlcpy_(from, "-", sizeof from);
		strlcpy_(to, "-", sizeof to);
	}
	{
		char *t = xasprintf("Heatmap of %s: %s, %s, %s to %s%s", what,
				    heatmap_metric_name(s->hm_metric), layouts[s->hm_layout], from,
				    to, have && s->an.from < s->simulated_until ? " [SIMULATED]" : "");

		title = sanitize_cut(t, (size_t)(COLS > 0 ? COLS : 1), s->utf8);
		free(t);
	}
	memset(&v, 0, sizeof v);
	v.hm = have ? &s->hm : NULL;
	v.row = s->hm_row;
	v.col = s->hm_col;
	v.top = s->hm_top;
	v.title = title;
	v.status = have ? NULL : instead;
	v.color = s->color;
	v.utf8 = s->utf8;
	heatmap_draw(&v, 0, LINES - 3);
	s->hm_row = v.row;
	s->hm_col = v.col;
	s->hm_top = v.top;
	free(title);
	put_line(LINES - 3, 0, "%s",
		 "arrows/hjkl move  m metric  v layout  a server/statement  Esc back");
}

static void
key_heatmap(struct screen *s, int ch)
{
	int page = LINES > 8 ? LINES - 8 : 1;

	switch (ch) {
	case KEY_LEFT:
	case 'h':
		s->hm_col--;
		break;
	case KEY_RIGHT:
	case 'l':
		s->hm_col++;
		break;
	case KEY_UP:
	case 'k':
		if (s->hm.rows > 0 && s->hm_row >= s->hm.rows)
			s->hm_row = s->hm.rows - 1;
		s->hm_row--;
		break;
	case KEY_DOWN:
	case 'j':
		s->hm_row++;
		break;
	case KEY_PPAGE:
		s->hm_row -= page;
		break;
	case KEY_NPAGE:
		s->hm_row += page;
		break;
	case KEY_HOME:
	case 'g':
		s->hm_col = 0;
		break;
	case KEY_END:
	case 'G':
		s->hm_col = HEATMAP_COLS - 1;
		break;
	case 'm':
		s->hm_metric = (enum heatmap_metric)((s->hm_metric + 1) % HEATMAP_METRICS);
		break;
	case 'v': {
		const char *instead;

		s->hm_layout = (enum heatmap_layout)((s->hm_layout + 1) % HEATMAP_LAYOUTS);
		/* days: on the newest, as the keys that follow expect */
		s->hm_row = s->hm_layout == HEATMAP_DAYS && heatmap_update(s, &instead)
				    ? s->hm.rows - 1
				    : 0;
		s->hm_top = 0;
		break;
	}
	case 'a': {
		const struct view_row *r = view_selected(&s->view);

		if (s->hm_has_queryid)
			open_heatmap(s, 0, 0, s->hm_back);
		else if (r != NULL)
			open_heatmap(s, 1, r->r.queryid, s->hm_back);
		else
			set_message(s, 0, "no statement selected");
		break;
	}
	case '?':
	case KEY_F(1):
		s->back_to = PANE_HEATMAP;
		s->pane = PANE_HELP;
		break;
	case 'q':
	case 27:
	case KEY_F(10):
		s->pane = s->hm_back;
		break;
	default:
		s->dirty = 0;
		break;
	}
}

/* ---- drawing ---- */

static int screen_utf8; /* the locale takes UTF-8 */

/*
 * The usual case of put(): printable ASCII (white space as blanks) goes straight into
 * the cells, as sanitize_cut would render it, without the multibyte path of addstr.
 * 0 when the text has anything else (or is wider than the buffer): put() renders it.
 */
static int
put_ascii(int y, int x, attr_t attr, const char *text, int width)
{
	chtype cells[512];
	const unsigned char *p = (const unsigned char *)text;
	int n = 0;

	while (*p != '\0' && n < width) {
		unsigned char c = *p++;

		if (c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
			c = ' ';
		else if (c < 0x20 || c >= 0x7f)
			return 0;
		if (n == (int)(sizeof cells / sizeof cells[0]))
			return 0;
		cells[n++] = (chtype)c | (chtype)attr;
	}
	if (n > 0)
		mvaddchnstr(y, x, cells, n);
	move(y, x + n < COLS ? x + n : COLS - 1);
	return 1;
}

/* Text at (y, x), made safe and cut at the right edge (never wrapped). */
static void
put(int y, int x, attr_t attr, const char *text)
{
	int width = COLS - x;
	char *line;

	if (y < 0 || y >= LINES || width <= 0)
		return;
	/* the last cell of the last line is left alone: writing it would scroll */
	if (y == LINES - 1)
		width--;
	if (width <= 0)
		return;
	if (put_ascii(y, x, attr, text, width))
		return;
	line = sanitize_cut(text, (size_t)width, screen_utf8);
	attron(attr);
	mvaddstr(y, x, line);
	attroff(attr);
	free(line);
}

/* A whole line (put() makes it safe and cuts it); with attr, the rest is filled too. */
static void
put_line(int y, attr_t attr, const char *fmt, ...) PGT_PRINTF(3, 4);

static void
put_line(int y, attr_t attr, const char *fmt, ...)
{
	struct strbuf sb = {0};
	va_list ap;

	if (y < 0 || y >= LINES || COLS <= 0)
		return;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	move(y, 0);
	if (attr) {
		attron(attr);
		hline(' ', COLS);
	}
	put(y, 0, attr, sb_str(&sb));
	if (attr)
		attroff(attr);
	sb_release(&sb);
}

/* The state of the header; reconnecting with the attempt it is at. */
static const char *
state_name(const struct screen *s, char *buf, size_t size)
{
	if (s->offline)
		return "offline";
	if (s->frozen)
		return "paused";
	switch (sampler_state(s->sm)) {
	case SAMPLER_CONNECTED:
		return "connected";
	case SAMPLER_RECONNECTING:
		if (sampler_attempt(s->sm) <= 0)
			return "reconnecting";
		snprintf(buf, size, "reconnecting (%d)", sampler_attempt(s->sm));
		return buf;
	default:
		return "connecting";
	}
}

static void
fmt_uptime(char *buf, size_t size, double seconds)
{
	long t = seconds > 0 ? (long)seconds : 0;

	if (t >= 86400)
		snprintf(buf, size, "%ldd %02ld:%02ld", t / 86400, t % 86400 / 3600, t % 3600 / 60);
	else
		snprintf(buf, size, "%02ld:%02ld:%02ld", t / 3600, t % 3600 / 60, t % 60);
}

static void
draw_header(struct screen *s)
{
	attr_t fig = s->color ? COLOR_PAIR(3) : A_BOLD;
	char line[512], sim[64], state[48];

	if (s->offline) {
		put_line(0, 0, "pgmltop %s  [offline]  %s:%s  PostgreSQL %.*s  history %s",
			 PACKAGE_VERSION, s->srv.host, s->srv.port,
			 (int)strcspn(s->srv.version, " "), s->srv.version, store_path(s->st));
		put_line(1, 0, "History of the server sampled most recently into this file");
	} else {
		const struct server_info *srv = sampler_server(s->sm);
		const struct snapshot *snap = sampler_snapshot(s->sm);
		const struct delta_set *d = sampler_delta(s->sm);
		char up[32] = "-";
		double tps = d ? batch_tps(d) : -1, hit = d ? batch_hit_ratio(d) : -1;
		char tps_s[32] = "-", hit_s[32] = "-";

		if (srv->postmaster_start > 0)
			fmt_uptime(up, sizeof up, now_wall() - srv->postmaster_start);
		double quiet = sampler_quiet(s->sm);
		double late = 3 * sampler_interval(s->sm) > 5 ? 3 * sampler_interval(s->sm) : 5;
		char waited[48] = "";

		/* a server that stopped answering shows before the connection is given up */
		if (quiet > late && sampler_state(s->sm) != SAMPLER_CONNECTING)
			snprintf(waited, sizeof waited, "  no answer for %.0f s", quiet);
		/* the state first: it must stay visible on a narrow terminal */
		put_line(0, 0, "pgmltop %s  [%s]%s  every %.1fs  %s:%s  PostgreSQL %.*s  up %s",
			 PACKAGE_VERSION, state_name(s, state, sizeof state), waited,
			 sampler_interval(s->sm), srv->host, srv->port,
			 (int)strcspn(srv->version, " "), srv->version, up);
		if (tps >= 0)
			snprintf(tps_s, sizeof tps_s, "%.1f", tps);
		if (hit >= 0)
			snprintf(hit_s, sizeof hit_s, "%.2f%%", 100 * hit);
		if (snap != NULL)
			/* other roles' sessions are all NULL without pg_read_all_stats: not counted */
			snprintf(line, sizeof line,
				 "Tps %s  Hit %s  Sessions%s %d active, %d idle, %d idle in xact, "
				 "%d waiting",
				 tps_s, hit_s,
				 !srv->read_all_stats || snap->sessions.total > snap->n_activity
					 ? " (yours: no pg_read_all_stats)"
					 : "",
				 snap->sessions.active, snap->sessions.idle,
				 snap->sessions.idle_in_xact, snap->sessions.waiting);
		else
			snprintf(line, sizeof line, "Tps -  Hit -  Sessions -");
		put_line(1, 0, "%s", line);
		mvchgat(1, 0, -1, fig, s->color ? 3 : 0, NULL);
	}
	if (s->alert_text[0] != '\0' && now_mono() - s->alert_at < 300) {
		/* the latest alert, for five minutes, on the second line */
		put_line(1, s->color ? COLOR_PAIR(2) | A_BOLD : A_REVERSE, "ALERT %s", s->alert_text);
	}
	sim[0] = '\0';
	if (s->win != WIN_INTERVAL && s->simulated_until > now_wall() - window_seconds[s->win]) {
		time_t t = (time_t)s->simulated_until;
		struct tm tm;
		char when[32];

		localtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
		snprintf(sim, sizeof sim, "  [SIMULATED before %s]", when);
	}
	put_line(2, 0, "Window: %s%s%s  Sort: %s %s  Filter: %s%s%s%s%s  %d of %d statements",
		 window_names[s->win], s->loading ? " (reading the history...)" : "", sim,
		 view_col_name(s->view.sort), s->view.reverse ? "asc" : "desc",
		 s->view.pattern ? s->view.pattern : "none", s->view.db ? "  db: " : "",
		 s->view.db ? s->view.db : "", s->view.user ? "  user: " : "",
		 s->view.user ? s->view.user : "", s->view.n_shown, s->view.n_rows);
}

/*
 * The fixed columns as batch_format_row lays them out (each after one space, QUERYID at
 * 0), and which go first when the terminal is narrow: the query keeps 30 columns.
 */
static const struct {
	int start, width;
} fixed_cols[] = {{0, 20}, {21, 8}, {30, 6}, {37, 9}, {47, 9}, {57, 9}, {67, 9}, {77, 9}, {87, 8}};
static const int drop_order[] = {7, 5, 4, 8, 6}; /* SHR_HIT ROWS/CALL MAX_MS TEMP_WR SHR_READ */
#define QUERY_MIN_COLS 30

/*
 * Copy the columns that fit into out: not those the user hid, and, on a narrow terminal,
 * not the least important ones; never the sort column. Returns the width used.
 */
static int
fit_columns(char *out, size_t size, const char *fixed, enum view_col sort, const int *hidden)
{
	int shown[9], width = 0, i;
	size_t off = 0;

	for (i = 0; i < 9; i++) {
		shown[i] = i == 0 || i == (int)sort || !hidden[i];
		if (shown[i])
			width += fixed_cols[i].width + (i > 0);
	}
	for (i = 0; i < 5 && width + 2 + QUERY_MIN_COLS > COLS; i++) {
		if (drop_order[i] == (int)sort || !shown[drop_order[i]])
			continue;
		shown[drop_order[i]] = 0;
		width -= fixed_cols[drop_order[i]].width + 1;
	}
	for (i = 0; i < 9 && off + 12 < size; i++) {
		if (!shown[i])
			continue;
		if (off > 0)
			out[off++] = ' ';
		memcpy(out + off, fixed + fixed_cols[i].start, (size_t)fixed_cols[i].width);
		off += (size_t)fixed_cols[i].width;
	}
	out[off] = '\0';
	return (int)off;
}

static int
list_height(void)
{
	return LINES - 6 > 0 ? LINES - 6 : 0;
}

static void
draw_list(struct screen *s)
{
	attr_t title = s->color ? COLOR_PAIR(1) : A_REVERSE;
	attr_t sel = s->color ? COLOR_PAIR(4) : A_REVERSE;
	int height = list_height(), i, used;
	char fixed[256], cols[256];

	batch_format_header(fixed, sizeof fixed, s->view.seconds);
	used = fit_columns(cols, sizeof cols, fixed, s->view.sort, s->hidden);
	put_line(3, title, "%s  QUERY", cols);
	view_scroll(&s->view, height);
	for (i = 0; i < height && s->view.top + i < s->view.n_shown; i++) {
		int k = s->view.top + i;
		const struct view_row *r = &s->view.rows[s->view.shown[k]];
		size_t qwidth = COLS > used + 2 ? (size_t)(COLS - used - 2) : 1;
		char *q;

		batch_format_row(fixed, sizeof fixed, &r->r, s->view.seconds, s->view.total_ms);
		fit_columns(cols, sizeof cols, fixed, s->view.sort, s->hidden);
		q = r->text ? sanitize_line(r->text, qwidth, s->utf8)
			    : xstrdup("(text not read yet)");
		put_line(4 + i, k == s->view.selected ? sel : 0, "%s  %s%s", cols,
			 r->r.toplevel ? "" : "(nested) ", q);
		free(q);
	}
	if (s->view.n_rows == 0 && height > 0) {
		const struct delta_set *d = s->sm != NULL ? sampler_delta(s->sm) : NULL;
		int no_pgss = d != NULL && (d->flags & DELTA_NO_PGSS);

		put_line(4, 0, "%s",
			 s->loading ? "(reading the history...)"
			 : s->win == WIN_INTERVAL && !s->offline && no_pgss
				 ? "(pg_stat_statements cannot be read: no statements; see the "
				   "message below)"
			 : s->win == WIN_INTERVAL && !s->offline
				 ? "(waiting for the first interval: rates need two samples)"
				 : "(no statements in this window)");
	}
}

static const char *const help_lines[] = {
	"pgmltop help",
	"",
	"  q, F10        quit (in a pane: back to the list)",
	"  Up/Down j/k   move the selection; PgUp/PgDn, Home/End (g/G)",
	"  Enter         drill down: the selected statement's text, counters, history",
	"  < >  F6       sort by the column to the left / right",
	"  I             invert the sort order",
	"  / F3 F4       filter: a PCRE2 pattern on the query text, caseless,",
	"                applied as you type; Enter keeps it, Esc clears it",
	"  d u           only one database / one user: the next one; after the last, all",
	"  \\             clear the filter, the database and the user",
	"  w F5          window: last interval, last hour, last day, last 7 days",
	"  space p       freeze the list (sampling goes on); again to go on",
	"  + -           double / halve the interval",
	"  s             type an interval in seconds",
	"  C             colours on or off",
	"Sort, order, interval and colours are saved when the screen quits.",
	"  ? h F1        this help",
	"  F2            setup: which columns are shown, colours",
	"  Tab 2 / 1     the sessions screen / the statements",
	"  H 3           heatmap of the whole server (in a statement's pane: of it)",
	"  S 4           settings: current values, recommendations, changes and their effect",
	"  E F7          export a report: format (html, md, csv, json), window, scope (the",
	"                server, the selected statement, the listed ones), file; Enter writes",
	"  R 5           recommendations, ranked by the time they save a day (the top one",
	"                is on the line above the keys)",
	"  mouse         a click selects a row, a double click opens it, a click on",
	"                the key bar presses that key, the wheel moves the selection",
	"Sessions: longest first, a blocked session under its blocker; i shows idle",
	"ones; c cancels the selected session's query, K (F9) terminates it, after",
	"a y to confirm; Enter opens the statement it runs (by query id).",
	"Heatmap: calls, time or mean time by hour of the day and weekday (or day",
	"by day) over the --days window; arrows or h j k l move the cursor, whose",
	"value is shown below; m: the metric, v: hour x weekday / day x hour, a: the",
	"whole server / the selected statement. Marks from light to dense (and",
	"colours) scale from 0 to the largest value; a dot is an hour not in history.",
	"Recommendations: Enter shows one's story (its fixes, the suggestion to copy,",
	"the evidence); s its statement's pane; a acknowledged, x applied (measured against",
	"the week before once a day has passed), d dismissed (asks for a reason), u new;",
	"f: open, applied, dismissed or all; c: one category after the other; r: read again.",
	"Plan (P in a statement's pane): its plan as a tree, cost and rows per node, the",
	"nodes with a problem marked ! and explained, and a change since the plan",
	"before. Taken with EXPLAIN, which does not run the statement, in a read-only",
	"transaction; a plan younger than an hour is shown as kept. e takes it again;",
	"A: EXPLAIN ANALYZE, which runs it (a SELECT with values seen in the sessions",
	"only), after a y; a statement that writes is planned only after a y.",
	"",
	"Columns: CALLS/S calls per second, TIME% share of the time of all statements,",
	"MEAN_MS and MAX_MS execution time (MAX_MS since the entry began), ROWS/CALL,",
	"SHR_READ and SHR_HIT shared blocks read and found in cache, TEMP_WR temporary",
	"blocks written. Query text is shown on one line; control characters as \\xNN.",
	"",
	"Up/Down, PgUp/PgDn scroll this help; q or Esc: back",
};

#define HELP_LINES ((int)(sizeof help_lines / sizeof help_lines[0]))

static void
draw_help(struct screen *s)
{
	int height = LINES - 1, i;

	if (s->help_scroll > HELP_LINES - height)
		s->help_scroll = HELP_LINES - height;
	if (s->help_scroll < 0)
		s->help_scroll = 0;
	for (i = 0; i < height && s->help_scroll + i < HELP_LINES; i++)
		put_line(i, s->help_scroll + i == 0 ? A_BOLD : 0, "%s",
			 help_lines[s->help_scroll + i]);
}

/* Text wrapped to width columns (by display width), one line per newline in body. */
static void
wrap_into(struct strbuf *body, int *n, const char *text, size_t width, int utf8)
{
	char *one = sanitize_line(text, 0, utf8);
	const char *p = one;

	while (*p) {
		size_t len = strlen(p), cut = len;

		if (sanitize_width(p, utf8) > width) {
			/* the longest prefix that fits, at a character boundary */
			size_t cols = 0, i = 0;

			while (p[i]) {
				size_t clen = 1;
				char tmp[8];

				if (utf8 && ((unsigned char)p[i] & 0xc0) == 0xc0)
					while (clen < 4 && ((unsigned char)p[i + clen] & 0xc0) == 0x80)
						clen++;
				memcpy(tmp, p + i, clen);
				tmp[clen] = '\0';
				if (cols + sanitize_width(tmp, utf8) > width)
					break;
				cols += sanitize_width(tmp, utf8);
				i += clen;
			}
			cut = i > 0 ? i : 1;
			/* at a blank, when there is one in the last two thirds of the line */
			for (i = cut; i > cut / 3 && p[i - 1] != ' '; i--)
				;
			if (i > cut / 3)
				cut = i;
		}
		sb_addn(body, p, cut);
		sb_addc(body, '\n');
		(*n)++;
		p += cut;
	}
	free(one);
}

static void
sparkline(char *buf, size_t size, const double *v, int n, int utf8)
{
	static const char *const bars[] = {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
					   "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
					   "\xe2\x96\x87", "\xe2\x96\x88"};
	static const char ascii[] = "_.:-=+*#";
	double max = 0;
	size_t off = 0;
	int i;

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	buf[0] = '\0';
	for (i = 0; i < n && off + 4 < size; i++) {
		int level = max > 0 ? (int)floor(v[i] / max * 7.999) : 0;

		if (v[i] <= 0) {
			buf[off++] = ' ';
		} else if (utf8) {
			memcpy(buf + off, bars[level], 3);
			off += 3;
		} else {
			buf[off++] = ascii[level];
		}
		buf[off] = '\0';
	}
}

static void
load_detail(struct screen *s, const struct view_row *r)
{
	struct pgt_err err = {{0}};
	double from, to;

	if (s->hist_ok && s->detail_id == r->r.queryid)
		return;
	store_stmt_history_free(&s->hist);
	store_literal_texts_free(s->lits, s->n_lits);
	s->lits = NULL;
	s->n_lits = 0;
	s->hist_ok = 0;
	s->detail_id = r->r.queryid;
	if (s->st == NULL || server_id(s) == 0)
		return;
	/* the days up to now, or offline up to where the history ends (or --until) */
	analysis_window(s, &from, &to);
	history_current(s);
	if (store_literal_texts(s->st, server_id(s), 1, r->r.queryid, to - 2 * 86400, to,
				RULES_LITERALS, &s->lits, &s->n_lits, &err) < 0) {
		set_message(s, 1, "%s", err.msg);
		err.msg[0] = '\0';
	}
	/* the collector reads the catalog every 10 minutes: read it again once a minute */
	if (s->catalog_read_at == 0 || now_mono() - s->catalog_read_at >= 60) {
		store_catalog_free(s->catalog, s->n_catalog);
		s->catalog = NULL;
		s->n_catalog = 0;
		s->catalog_read_at = now_mono();
		if (store_catalog(s->st, server_id(s), &s->catalog, &s->n_catalog, &err) < 0) {
			set_message(s, 1, "%s", err.msg);
			err.msg[0] = '\0';
		}
	}
	if (store_stmt_history(s->st, server_id(s), r->r.queryid, to - 7 * 86400, to, &s->hist,
			       &err) < 0) {
		set_message(s, 1, "%s", err.msg);
		return;
	}
	s->hist_ok = 1;
}

/*
 * A finding that explains itself (a rule's, an N+1 loop): its severity, title, the time
 * it may save a day, the explanation and the suggestion, wrapped to width.
 */
static void
titled_finding(struct strbuf *body, int *n, const struct finding *f, size_t width, int utf8)
{
	char *head, *copy, *line, *next;

	if (isfinite(f->saving_ms_per_day)) {
		double ms = f->saving_ms_per_day;
		char save[32];

		if (ms < 1000)
			snprintf(save, sizeof save, "%.0f ms", ms);
		else if (ms < 60000)
			snprintf(save, sizeof save, "%.1f s", ms / 1000);
		else if (ms < 3600000)
			snprintf(save, sizeof save, "%.1f min", ms / 60000);
		else
			snprintf(save, sizeof save, "%.1f h", ms / 3600000);
		head = xasprintf("[%s] %s (%s): saves about %s a day, confidence %.2f",
				 f->severity ? f->severity : "-", f->title, f->rule, save,
				 f->confidence);
	}
	else
		head = xasprintf("[%s] %s (%s), confidence %.2f", f->severity ? f->severity : "-",
				 f->title, f->rule, f->confidence);
	wrap_into(body, n, head, width, utf8);
	free(head);
	if (f->detail != NULL) {
		head = xasprintf("  %s", f->detail);
		wrap_into(body, n, head, width, utf8);
		free(head);
	}
	if (f->suggestion == NULL)
		return;
	/* the suggestion keeps its lines */
	copy = xstrdup(f->suggestion);
	for (line = copy; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		head = xasprintf("%s %s", line == copy ? "  Do:" : "     ", line);
		wrap_into(body, n, head, width, utf8);
		free(head);
	}
	free(copy);
}

/*
 * What the SQL-text rules say of the statement, over the window shown: each finding with
 * its severity, the time it may save a day, the explanation and the rewrite. Returns the
 * lines added.
 */
static int
advice_section(struct screen *s, struct strbuf *body, const struct view_row *r, size_t width)
{
	const char *texts[RULES_LITERALS];
	struct finding *out = NULL;
	struct rule_stmt rst;
	int n = 0, i, n_out = 0;
	double seconds = s->view.seconds > 0 ? s->view.seconds : 1;

	sb_add(body, "\nAdvice (SQL rules and indexes, over the window shown)\n");
	n += 2;
	if (s->rules == NULL) {
		sb_add(body, "(the rules could not be read: see the message at start)\n");
		return n + 1;
	}
	if (r->text == NULL) {
		sb_add(body, "(the text is not read yet)\n");
		return n + 1;
	}
	memset(&rst, 0, sizeof rst);
	rst.queryid = r->r.queryid;
	rst.text = r->text;
	for (i = 0; i < s->n_lits && i < RULES_LITERALS; i++)
		texts[i] = s->lits[i].text;
	rst.literals = texts;
	rst.n_literals = i;
	rst.calls = (double)r->r.calls;
	rst.total_ms = r->r.total_ms;
	rst.rows = (double)r->r.rows;
	rst.shared_blks_read = (double)r->r.shared_blks_read;
	rst.shared_blks_hit = (double)r->r.shared_blks_hit;
	rst.temp_blks_written = (double)r->r.temp_blks_written;
	rst.days = seconds / 86400.0;
	rules_apply(s->rules, &rst, &out, &n_out);
	if (s->n_catalog > 0) {
		/* and the index advice, from the tables last sampled */
		struct ix_stmt ixs;
		struct ix_opts o;
		struct finding *ix = NULL;
		int n_ix, k;

		memset(&ixs, 0, sizeof ixs);
		ixs.queryid = r->r.queryid;
		ixs.text = r->text;
		ixs.calls = (double)r->r.calls;
		ixs.total_ms = r->r.total_ms;
		ixs.rows = (double)r->r.rows;
		ixs.shared_blks_hit = (double)r->r.shared_blks_hit;
		ixs.shared_blks_read = (double)r->r.shared_blks_read;
		ixs.days = rst.days;
		ix_opts_default(&o);
		n_ix = indexadv_find(s->catalog, s->n_catalog, &ixs, 1, &o, &ix);
		for (k = 0; k < n_ix; k++) {
			out = xreallocarray(out, (size_t)n_out + 1, sizeof *out);
			out[n_out++] = ix[k];
		}
		free(ix);
	}
	for (i = 0; i < n_out; i++)
		titled_finding(body, &n, &out[i], width, s->utf8);
	if (n_out == 0) {
		sb_addf(body, "none of the %d rules applies%s\n", rules_count(s->rules),
			s->n_lits ? "" : " (no text with literals sampled)");
		n++;
	}
	findings_free(out, n_out);
	return n;
}

static int settings_effects_section(struct screen *s, struct strbuf *body, int64_t queryid,
				    size_t width);

static void
draw_detail(struct screen *s)
{
	const struct view_row *r = view_selected(&s->view);
	struct strbuf body = {0};
	int n = 0, i, y, height = LINES - 2;
	size_t width = COLS > 4 ? (size_t)COLS - 2 : 1;
	const char *p, *instead = NULL;
	char when[32], buf[1024];

	if (r == NULL) {
		put_line(0, 0, "No statement selected: Esc goes back");
		return;
	}
	load_detail(s, r);
	sb_addf(&body, "Query\n");
	n++;
	wrap_into(&body, &n, r->text ? r->text : "(text not read yet)", width, s->utf8);
	sb_addf(&body, "\nCounters (%s)\n", window_names[s->win]);
	n += 2;
	{
		char *db = sanitize_line(r->dbname ? r->dbname : "?", 64, s->utf8);
		char *user = sanitize_line(r->username ? r->username : "?", 64, s->utf8);

		sb_addf(&body, "database %s   user %s\n", db, user);
		n++;
		free(db);
		free(user);
	}
	sb_addf(&body, "calls %lld   total %.3f ms   mean %.3f ms   max %.3f ms\n",
		(long long)r->r.calls, r->r.total_ms,
		r->r.calls > 0 ? r->r.total_ms / (double)r->r.calls : 0, r->r.max_ms);
	sb_addf(&body, "rows %lld (%.1f per call)   shared read %lld   hit %lld   temp written %lld\n",
		(long long)r->r.rows, r->r.calls > 0 ? (double)r->r.rows / (double)r->r.calls : 0,
		(long long)r->r.shared_blks_read, (long long)r->r.shared_blks_hit,
		(long long)r->r.temp_blks_written);
	sb_addf(&body, "\nHistory (last 7 days, one mark per bucket of hours)\n");
	n += 4;
	if (!s->hist_ok) {
		sb_add(&body, "no history for this statement\n");
		n++;
	} else {
		int cols = (int)(width > 60 ? 56 : width > 8 ? width - 4 : 4);
		int per = (s->hist.n + cols - 1) / cols, k = 0, j;
		double calls[64] = {0}, mean[64] = {0};

		for (i = 0; i < s->hist.n && k < 64; i += per, k++) {
			double c = 0, t = 0;

			for (j = i; j < i + per && j < s->hist.n; j++) {
				c += (double)s->hist.calls[j];
				t += s->hist.total_ms[j];
			}
			calls[k] = c;
			mean[k] = c > 0 ? t / c : 0;
		}
		if (s->hist.first_seen > 0)
			batch_time(s->hist.first_seen, when, sizeof when);
		else
			strlcpy_(when, "-", sizeof when);
		sb_addf(&body, "first seen %s", when);
		if (s->hist.last_seen > 0)
			batch_time(s->hist.last_seen, when, sizeof when);
		else
			strlcpy_(when, "-", sizeof when);
		sb_addf(&body, "   last seen %s\n", when);
		sparkline(buf, sizeof buf, calls, k, s->utf8);
		sb_addf(&body, "calls     |%s|\n", buf);
		sparkline(buf, sizeof buf, mean, k, s->utf8);
		sb_addf(&body, "mean time |%s|\n", buf);
		n += 3;
	}
	ask_series(s, 1, r->r.queryid);
	n += analysis_sections(s, &body, r->r.queryid, width);
	n += settings_effects_section(s, &body, r->r.queryid, width);
	if (s->advice.buf == NULL || s->advice_queryid != r->r.queryid ||
	    s->advice_calls != r->r.calls || s->advice_ms != r->r.total_ms ||
	    s->advice_seconds != s->view.seconds || s->advice_width != width ||
	    s->advice_lits != s->n_lits) {
		/* the rules and the index advice, again only when the statement's figures moved */
		sb_release(&s->advice);
		s->advice_lines = advice_section(s, &s->advice, r, width);
		s->advice_queryid = r->r.queryid;
		s->advice_calls = r->r.calls;
		s->advice_ms = r->r.total_ms;
		s->advice_seconds = s->view.seconds;
		s->advice_width = width;
		s->advice_lits = s->n_lits;
	}
	sb_add(&body, sb_str(&s->advice));
	n += s->advice_lines;
	sb_add(&body, "\nPlan\nP: its plan (EXPLAIN, which does not run it), with its problems\n");
	n += 3;
	/* computed in the series loader's thread with the statement's hours */
	n += forecast_section(&body,
			      series_of(s, 1, r->r.queryid, &instead) && s->an.have_fc ? &s->an.fc
											: NULL,
			      instead, width);

	if (s->detail_scroll > n - height)
		s->detail_scroll = n - height;
	if (s->detail_scroll < 0)
		s->detail_scroll = 0;
	snprintf(buf, sizeof buf, "Statement %lld%s   (H: its heatmap; P: its plan; Esc: back)",
		 (long long)r->r.queryid, r->r.toplevel ? "" : " (nested)");
	put_line(0, A_BOLD, "%s", buf);
	p = sb_str(&body);
	for (i = 0, y = 1; *p && y < height; i++) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (i >= s->detail_scroll) {
			char *one = xstrndup(p, len);
			int is_title = strcmp(one, "Query") == 0 || strncmp(one, "Counters (", 10) == 0 ||
				       strncmp(one, "History (", 9) == 0 ||
				       strncmp(one, "Patterns", 8) == 0 ||
				       strcmp(one, "Findings") == 0 ||
				       strcmp(one, "Settings changes") == 0 ||
				       strncmp(one, "Advice", 6) == 0 ||
				       strcmp(one, "Plan") == 0 || strcmp(one, "Forecast") == 0;

			/* the body are sanitized already (or made here): print them as they are */
			move(y, 0);
			put(y, 1, is_title ? A_BOLD : 0, one);
			free(one);
			y++;
		}
		p += len + (e ? 1 : 0);
	}
	sb_release(&body);
}

/* The key bar: a key's name, its label, and the key a click on it stands for. */
static const struct {
	const char *name, *label;
	int key;
} footer_keys[] = {
	{"F1", "Help", KEY_F(1)},     {"F2", "Setup", KEY_F(2)},	{"F3", "Filter", KEY_F(3)},
	{"F5", "Window", KEY_F(5)},   {"F6", "Sort", KEY_F(6)},		{"Tab", "Sessions", '\t'},
	{"Enter", "Detail", '\n'}, {"H", "Heatmap", 'H'},		{"p", "Freeze", 'p'},
	{"F10", "Quit", KEY_F(10)},
};

/* The key of the key bar's entry at column x (as draw_footer lays it out), or 0. */
static int
footer_key_at(int x)
{
	int x0 = 0;
	size_t i;

	for (i = 0; i < sizeof footer_keys / sizeof footer_keys[0]; i++) {
		int w = (int)(strlen(footer_keys[i].name) + strlen(footer_keys[i].label));

		if (x >= x0 && x < x0 + w)
			return footer_keys[i].key;
		x0 += w + 1;
	}
	return 0;
}

static void
draw_footer(struct screen *s)
{
	attr_t key = s->color ? COLOR_PAIR(1) : A_REVERSE;
	int x = 0;
	size_t i;

	if (LINES < 2)
		return;
	move(LINES - 1, 0);
	clrtoeol();
	for (i = 0; i < sizeof footer_keys / sizeof footer_keys[0] && x < COLS; i++) {
		put(LINES - 1, x, 0, footer_keys[i].name);
		x += (int)strlen(footer_keys[i].name);
		put(LINES - 1, x, key, footer_keys[i].label);
		x += (int)strlen(footer_keys[i].label) + 1;
	}
	if (s->prompt == PROMPT_FILTER && (s->view.error[0] || s->view.limit_hits > 0))
		put_line(LINES - 2, s->color ? COLOR_PAIR(2) : A_BOLD, "Filter: %s   %s", s->input,
			 s->view.error[0] ? s->view.error : s->message);
	else if (s->prompt == PROMPT_FILTER)
		put_line(LINES - 2, 0, "Filter: %s", s->input);
	else if (s->prompt == PROMPT_INTERVAL)
		put_line(LINES - 2, 0, "Interval (seconds): %s", s->input);
	else if (s->prompt == PROMPT_CONFIRM)
		put_line(LINES - 2, A_BOLD,
			 "%s backend %d (%s)? y to confirm, any other key to keep it",
			 s->confirm_terminate ? "Terminate" : "Cancel the query of", s->confirm_pid,
			 s->confirm_query);
	else if (s->message[0])
		put_line(LINES - 2, s->message_error ? (s->color ? COLOR_PAIR(2) : A_BOLD) : 0,
			 "%s", s->message);
	else if (s->pane == PANE_LIST && s->rep != NULL) {
		char top[512];

		recs_top_line(s->rep, top, sizeof top);
		if (top[0])
			put_line(LINES - 2, A_BOLD, "%s", top);
	}
}

/* ---- the sessions pane ---- */

struct sess_line {
	const struct activity_row *a;
	int depth;
	double seconds; /* how long it has been in its state */
};

static double
sess_seconds(const struct activity_row *a, double now)
{
	double since = 0;

	if (a->state != NULL && strcmp(a->state, "active") == 0)
		since = a->query_start;
	else if (a->state != NULL && strncmp(a->state, "idle in transaction", 19) == 0)
		since = a->xact_start > 0 ? a->xact_start : a->state_change;
	else
		since = a->state_change;
	return since > 0 && now > since ? now - since : 0;
}

static int
blocked_by(const struct activity_row *a, int pid)
{
	const char *p = a->blocked_by;

	while (p != NULL && *p) {
		if (atoi(p) == pid)
			return 1;
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return 0;
}

static const struct sess_line *sorting_lines;

static int
cmp_seconds(const void *a, const void *b)
{
	const struct sess_line *x = &sorting_lines[*(const int *)a];
	const struct sess_line *y = &sorting_lines[*(const int *)b];

	if (x->seconds != y->seconds)
		return x->seconds < y->seconds ? 1 : -1;
	return x->a->pid - y->a->pid;
}

/* Append a session, then the sessions it blocks, one level deeper. */
static void
sess_emit(struct sess_line *all, const int *order, int n, int i, int depth, char *done,
	  struct sess_line *out, int *n_out)
{
	int k;

	if (done[i])
		return;
	done[i] = 1;
	out[*n_out] = all[i];
	out[(*n_out)++].depth = depth;
	for (k = 0; k < n; k++)
		if (!done[order[k]] && blocked_by(all[order[k]].a, all[i].a->pid))
			sess_emit(all, order, n, order[k], depth + 1, done, out, n_out);
}

/*
 * The sessions to show, longest first, each blocked session under the one blocking it.
 * Returns how many; *out is the caller's to free.
 */
static int
sess_build(struct screen *s, struct sess_line **out)
{
	const struct snapshot *snap = s->sm ? sampler_snapshot(s->sm) : NULL;
	struct sess_line *all;
	int *order, i, k, n = 0, n_out = 0;
	char *done;

	*out = NULL;
	if (snap == NULL || snap->n_activity == 0)
		return 0;
	all = xcalloc((size_t)snap->n_activity, sizeof *all);
	for (i = 0; i < snap->n_activity; i++) {
		const struct activity_row *a = &snap->activity[i];

		if (!s->show_idle && a->state != NULL && strcmp(a->state, "idle") == 0)
			continue;
		all[n].a = a;
		all[n++].seconds = sess_seconds(a, snap->ts);
	}
	order = xcalloc((size_t)(n ? n : 1), sizeof *order);
	for (i = 0; i < n; i++)
		order[i] = i;
	sorting_lines = all;
	if (n > 1)
		qsort(order, (size_t)n, sizeof *order, cmp_seconds);
	sorting_lines = NULL;
	done = xcalloc((size_t)(n ? n : 1), 1);
	*out = xcalloc((size_t)(n ? n : 1), sizeof **out);
	/* roots: not blocked by a session shown here */
	for (k = 0; k < n; k++) {
		int blocked = 0, j;

		for (j = 0; j < n && !blocked; j++)
			blocked = j != order[k] && blocked_by(all[order[k]].a, all[j].a->pid);
		if (!blocked)
			sess_emit(all, order, n, order[k], 0, done, *out, &n_out);
	}
	for (k = 0; k < n; k++) /* what is left waits in a cycle (a deadlock) */
		sess_emit(all, order, n, order[k], 0, done, *out, &n_out);
	free(done);
	free(order);
	free(all);
	return n_out;
}

static void
fmt_seconds(char *buf, size_t size, double t)
{
	if (t < 60)
		snprintf(buf, size, "%.1fs", t);
	else if (t < 3600)
		snprintf(buf, size, "%dm%02ds", (int)t / 60, (int)t % 60);
	else if (t < 86400)
		snprintf(buf, size, "%dh%02dm", (int)t / 3600, (int)t % 3600 / 60);
	else
		snprintf(buf, size, "%dd%02dh", (int)(t / 86400), (int)t % 86400 / 3600);
}

static int
sess_height(void)
{
	return LINES - 6 > 0 ? LINES - 6 : 0;
}

static void
draw_sessions(struct screen *s)
{
	attr_t title = s->color ? COLOR_PAIR(1) : A_REVERSE;
	attr_t sel = s->color ? COLOR_PAIR(4) : A_REVERSE;
	struct sess_line *l;
	int n = sess_build(s, &l), i, height = sess_height();

	/* the selection follows its session */
	for (i = 0; i < n; i++)
		if (l[i].a->pid == s->sess_pid) {
			s->sess_sel = i;
			break;
		}
	if (s->sess_sel >= n)
		s->sess_sel = n - 1;
	if (s->sess_sel < 0)
		s->sess_sel = 0;
	s->sess_pid = n > 0 ? l[s->sess_sel].a->pid : 0;
	if (s->sess_sel < s->sess_top)
		s->sess_top = s->sess_sel;
	if (height > 0 && s->sess_sel >= s->sess_top + height)
		s->sess_top = s->sess_sel - height + 1;

	put_line(2, 0, "Sessions: %d shown, idle ones %s (i)  longest first, blocked ones under "
			  "their blocker",
		 n, s->show_idle ? "shown" : "hidden");
	put_line(3, title, "%7s %-12s %-12s %-14s %-16s %9s %20s  %s", "PID", "USER",
		 "DATABASE", "STATE", "WAIT", "DURATION", "QUERYID", "QUERY");
	for (i = 0; i < height && s->sess_top + i < n; i++) {
		const struct sess_line *x = &l[s->sess_top + i];
		const struct activity_row *a = x->a;
		char dur[32], wait[64], qid[32], indent[40];
		int d;

		fmt_seconds(dur, sizeof dur, x->seconds);
		if (a->wait_event_type != NULL)
			snprintf(wait, sizeof wait, "%s:%s", a->wait_event_type,
				 a->wait_event ? a->wait_event : "");
		else
			wait[0] = '\0';
		if (a->has_query_id && a->query_id != 0)
			snprintf(qid, sizeof qid, "%lld", (long long)a->query_id);
		else
			qid[0] = '\0';
		indent[0] = '\0';
		for (d = 0; d < x->depth && d < 8; d++)
			strcat(indent, d + 1 == x->depth ? "`- " : "   ");
		{
			/* each field from the server made safe and cut to its column */
			char *user = sanitize_line(a->usename ? a->usename : "", 12, s->utf8);
			char *db = sanitize_line(a->datname ? a->datname : "", 12, s->utf8);
			char *st = sanitize_line(a->state ? a->state : "", 14, s->utf8);
			char *w = sanitize_line(wait, 16, s->utf8);
			char *q = sanitize_line(a->query ? a->query : "", 0, s->utf8);

			/* names padded by display columns: a wide character takes two */
			int pu = 12 - (int)sanitize_width(user, s->utf8);
			int pd = 12 - (int)sanitize_width(db, s->utf8);

			put_line(4 + i, s->sess_top + i == s->sess_sel ? sel : 0,
				 "%7d %s%*s %s%*s %-14s %-16s %9s %20s  %s%s", a->pid, user,
				 pu > 0 ? pu : 0, "", db, pd > 0 ? pd : 0, "", st, w, dur, qid,
				 indent, q);
			free(user);
			free(db);
			free(st);
			free(w);
			free(q);
		}
	}
	if (n == 0 && height > 0)
		put_line(4, 0, "%s",
			 s->sm == NULL ? "(sessions are shown live only: not with --offline)"
				       : "(no sessions to show: i shows idle ones)");
	free(l);
}

static const struct activity_row *
sess_selected(struct screen *s)
{
	const struct snapshot *snap = s->sm ? sampler_snapshot(s->sm) : NULL;
	int i;

	for (i = 0; snap != NULL && i < snap->n_activity; i++)
		if (snap->activity[i].pid == s->sess_pid)
			return &snap->activity[i];
	return NULL;
}

static void
sess_confirm(struct screen *s, int terminate)
{
	const struct activity_row *a = sess_selected(s);

	if (s->o->read_only) {
		set_message(s, 1, "--read-only: sessions are not cancelled or terminated");
		return;
	}
	if (a == NULL) {
		set_message(s, 1, "no session selected");
		return;
	}
	s->confirm_pid = a->pid;
	s->confirm_terminate = terminate;
	{
		/* the prompt names the query too: a PID alone is easy to mistake */
		char *q = sanitize_line(a->query != NULL ? a->query : "query not visible", 60,
					s->utf8);

		size_t n = strlen(q);

		if (n >= sizeof s->confirm_query) { /* cut before a character, not inside one */
			n = sizeof s->confirm_query - 1;
			while (n > 0 && ((unsigned char)q[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(s->confirm_query, q, n);
		s->confirm_query[n] = '\0';
		free(q);
	}
	s->prompt = PROMPT_CONFIRM;
	s->input[0] = '\0';
}

/* Enter on a session: the pane of the statement it runs, found by query id. */
static void
sess_open_statement(struct screen *s)
{
	const struct activity_row *a = sess_selected(s);

	if (a == NULL || !a->has_query_id || a->query_id == 0) {
		set_message(s, 1, "this session has no query id (PostgreSQL 14 and later, with "
				  "compute_query_id): no statement to open");
		return;
	}
	if (!view_select_id(&s->view, a->query_id) && s->st != NULL && s->win != WIN_DAY) {
		s->win = WIN_DAY; /* not in this interval: look at the last day */
		s->open_back = PANE_SESSIONS;
		s->open_after_load = a->query_id;
		reload(s); /* opens it once the day is read */
		return;
	}
	s->open_back = PANE_SESSIONS;
	s->open_after_load = a->query_id;
	open_pending(s);
}

/* The drill-down pane of the selected statement; Esc goes back to 'back'. */
static void
open_selected(struct screen *s, enum pane back)
{
	s->pane = PANE_DETAIL;
	s->back_to = back;
	s->detail_scroll = 0;
}

/* ---- the setup pane ---- */

#define SETUP_ITEMS 9 /* the columns CALLS/S .. TEMP_WR, then colours */

static void
draw_setup(struct screen *s)
{
	attr_t sel = s->color ? COLOR_PAIR(4) : A_REVERSE;
	int i;

	put_line(0, A_BOLD, "Setup: space or Enter turns an item on or off; Esc or F2 goes back");
	put_line(1, 0, "Saved when the screen quits. QUERYID and QUERY are always shown, and so is "
		       "the sort column.");
	for (i = 0; i < SETUP_ITEMS; i++) {
		int on = i < 8 ? !s->hidden[i + 1] : s->color;
		const char *name = i < 8 ? view_col_name((enum view_col)(i + 1)) : "colours";

		put_line(3 + i, i == s->setup_sel ? sel : 0, "  [%c] %s", on ? 'x' : ' ', name);
	}
}

static void
key_setup(struct screen *s, int ch)
{
	switch (ch) {
	case KEY_UP:
	case 'k':
		if (s->setup_sel > 0)
			s->setup_sel--;
		break;
	case KEY_DOWN:
	case 'j':
		if (s->setup_sel < SETUP_ITEMS - 1)
			s->setup_sel++;
		break;
	case ' ':
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (s->setup_sel < 8) {
			s->hidden[s->setup_sel + 1] = !s->hidden[s->setup_sel + 1];
		} else {
			set_color(s, !s->color);
			s->saved_color_changed = 1;
		}
		break;
	case 27:
	case 'q':
	case KEY_F(2):
	case KEY_F(10):
		s->pane = PANE_LIST;
		break;
	}
}

/* ---- the plan pane ---- */

/* The plans kept of the pane's statement (the two newest), shown again. */
static void
plan_reload(struct screen *s)
{
	struct pgt_err err = {{0}};
	struct plan_rec *recs = NULL;
	struct rel_stat *rs = NULL;
	struct plan_table_stats *ts = NULL;
	int n = 0, n_ts;

	if (s->st == NULL || server_id(s) == 0)
		return;
	if (store_plans(s->st, server_id(s), 1, s->pp.queryid, 0, now_wall() + 86400, 2, &recs,
			&n, &err) < 0) {
		snprintf(s->pp.status, sizeof s->pp.status, "%s", err.msg);
		s->pp.status_error = 1;
		return;
	}
	n_ts = explain_table_stats(s->st, server_id(s), &rs, &ts);
	plan_pane_set(&s->pp, recs, n, s->plan_rules, ts, n_ts);
	free(ts);
	store_rel_stats_free(rs);
}

static void
plan_status(struct screen *s, int error, const char *fmt, ...) PGT_PRINTF(3, 4);

static void
plan_status(struct screen *s, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->pp.status, sizeof s->pp.status, fmt, ap);
	va_end(ap);
	s->pp.status_error = error;
	s->dirty = 1;
}

/* Start taking the plan, once what needs a yes got one. */
static void
plan_send(struct screen *s)
{
	struct pgt_err err = {{0}};
	struct conn_opts conn = sampler_conn(s->sm);

	if (s->explainer == NULL)
		s->explainer = explainer_new(&conn);
	s->ask.rq.analyze = s->ask_analyze;
	if (explainer_request(s->explainer, &s->ask.rq, &err) < 0) {
		plan_status(s, 1, "%s", err.msg);
		return;
	}
	s->taking = 1;
	plan_status(s, 0, "Taking the plan%s...",
		    s->ask_analyze ? " with EXPLAIN ANALYZE (the statement runs)" : " (not run)");
}

/* Take the plan of the pane's statement (analyze: EXPLAIN ANALYZE, after a yes). */
static void
plan_take(struct screen *s, int analyze)
{
	struct pgt_err err = {{0}};
	const struct view_row *r = view_selected(&s->view);
	struct explain_check ck;
	struct stmt_total fig, *figp = NULL;

	if (s->offline || s->sm == NULL) {
		plan_status(s, 1, "offline: there is no server to take a plan from");
		return;
	}
	if (s->taking) {
		plan_status(s, 0, "a plan is being taken already");
		return;
	}
	if (analyze && s->o->read_only) {
		plan_status(s, 1, "--read-only: EXPLAIN ANALYZE, which runs the statement, is off");
		return;
	}
	explain_ask_free(&s->ask);
	s->ask_pending = PLAN_ASK_NONE;
	memset(&fig, 0, sizeof fig);
	if (r != NULL && r->r.queryid == s->pp.queryid && s->view.seconds > 0) {
		fig.queryid = r->r.queryid;
		fig.calls = r->r.calls;
		fig.total_ms = r->r.total_ms;
		fig.rows = r->r.rows;
		fig.shared_blks_hit = r->r.shared_blks_hit;
		fig.shared_blks_read = r->r.shared_blks_read;
		figp = &fig;
	}
	if (explain_ask_build(&s->ask, s->sm, s->st, server_id(s), s->pp.queryid, now_wall(), figp,
			      figp != NULL ? s->view.seconds / 86400.0 : 0, &err) < 0) {
		plan_status(s, 1, "%s", err.msg);
		return;
	}
	explain_check_text(s->ask.text, &ck);
	s->ask_analyze = analyze;
	if (ck.kind == EXPLAIN_REFUSED) {
		plan_status(s, 1, "No plan: %s", ck.why);
		return;
	}
	if (ck.kind == EXPLAIN_WRITE) {
		if (analyze) {
			plan_status(s, 1, "EXPLAIN ANALYZE would run this %s, which writes: only its"
					  " plan can be taken (e)",
				    ck.verb);
			return;
		}
		s->ask_pending = PLAN_ASK_WRITE;
		s->ask.rq.allow_write = 1;
		plan_status(s, 0, "This %s writes. Take its plan? EXPLAIN without ANALYZE does not"
				  " run it. y: yes, n: no",
			    ck.verb);
		return;
	}
	if (analyze) {
		s->ask_pending = PLAN_ASK_ANALYZE;
		plan_status(s, 0, "EXPLAIN ANALYZE RUNS the statement (read-only, at most %d s)."
				  " Run it? y: yes, n: no",
			    EXPLAIN_ANALYZE_TIMEOUT_MS / 1000);
		return;
	}
	plan_send(s);
}

static void
open_plan(struct screen *s, int64_t queryid, enum pane back)
{
	int fresh;

	if (s->pp.queryid != queryid || s->pane != PANE_PLAN) {
		if (s->taking && s->pp.queryid != queryid) {
			set_message(s, 0, "a plan of statement %lld is being taken: wait for it",
				    (long long)s->pp.queryid);
			return;
		}
		plan_pane_clear(&s->pp);
	}
	s->pp.utf8 = s->utf8;
	s->pp.queryid = queryid;
	s->plan_back = back;
	s->pane = PANE_PLAN;
	if (s->plan_rules == NULL) {
		struct pgt_err err = {{0}};

		s->plan_rules = plan_rules_new();
		if (plan_rules_load_default(s->plan_rules, &err) < 0)
			set_message(s, 1, "%s; built-in thresholds", err.msg);
	}
	if (s->taking)
		return;
	plan_reload(s);
	/* a plan younger than an hour is shown as it is; else a new one is taken */
	fresh = s->pp.n_recs > 0 && now_wall() - s->pp.recs[0].ts < 3600;
	if (!fresh && !s->offline)
		plan_take(s, 0);
	else if (!fresh)
		plan_status(s, 0, "offline: the plans kept in the history");
}

/* A plan came back from the thread. */
static void
plan_taken(struct screen *s)
{
	struct explain_result r;
	struct pgt_err err = {{0}};

	if (s->explainer == NULL || !explainer_take(s->explainer, &r))
		return;
	s->taking = 0;
	s->dirty = 1;
	if (r.failed) {
		plan_status(s, 1, "%s", r.error);
		explain_result_free(&r);
		return;
	}
	if (s->st == NULL || server_id(s) == 0) {
		/* no history: show it without keeping it */
		struct plan_rec *rec = xcalloc(1, sizeof *rec);

		rec->queryid = r.queryid;
		rec->ts = r.taken_at;
		rec->method = xstrdup(r.method);
		rec->analyzed = r.analyzed;
		rec->total_cost = explain_plan_cost(r.plan);
		rec->plan = r.plan;
		r.plan = NULL;
		plan_pane_set(&s->pp, rec, 1, s->plan_rules, NULL, 0);
		plan_status(s, 0, "Not kept: there is no history");
	} else if (explain_keep(s->st, server_id(s), &s->ask, &r, &err) < 0) {
		plan_status(s, 1, "the plan was not kept: %s", err.msg);
	} else {
		plan_reload(s);
		plan_status(s, 0, "e: take it again; A: EXPLAIN ANALYZE (runs it)");
	}
	free(s->pp.extra);
	s->pp.extra = NULL;
	if (r.n_hypo > 0) {
		struct strbuf sb = {0};

		sb_add(&sb, r.hypopg ? "Suggested indexes, planned with hypopg (never built)\n"
				     : "Suggested indexes (hypopg is not installed: not planned)\n");
		for (int i = 0; i < r.n_hypo && i < s->ask.n_hypo; i++) {
			sb_addf(&sb, "  %s\n", s->ask.hypo[i]);
			if (r.hypo_plans[i] != NULL)
				sb_addf(&sb, "      planned cost %.2f without it, %.2f with it\n",
					explain_plan_cost(r.plan != NULL ? r.plan : s->pp.recs[0].plan),
					explain_plan_cost(r.hypo_plans[i]));
			else if (r.hypopg && r.hypo_errors[i] != NULL)
				sb_addf(&sb, "      not planned: %s\n", r.hypo_errors[i]);
		}
		s->pp.extra = sb_detach(&sb);
	}
	explain_result_free(&r);
}

static void
draw_plan(struct screen *s)
{
	char title[200];

	snprintf(title, sizeof title,
		 "Plan of statement %lld   (e: take again; A: EXPLAIN ANALYZE; Esc: back)",
		 (long long)s->pp.queryid);
	plan_pane_draw(&s->pp, title, 0, LINES - 2);
}

static void
key_plan(struct screen *s, int ch)
{
	if (s->ask_pending != PLAN_ASK_NONE) {
		if (ch == 'y' || ch == 'Y') {
			s->ask_pending = PLAN_ASK_NONE;
			plan_send(s);
		} else if (ch == 'n' || ch == 'N' || ch == 27 || ch == 'q') {
			s->ask_pending = PLAN_ASK_NONE;
			explain_ask_free(&s->ask);
			plan_status(s, 0, "Not taken. e: take the plan; A: EXPLAIN ANALYZE");
		}
		return;
	}
	switch (ch) {
	case 27:
	case 'q':
	case KEY_F(10):
	case KEY_LEFT:
		s->pane = s->plan_back;
		break;
	case 'e':
		plan_take(s, 0);
		break;
	case 'A':
		plan_take(s, 1);
		break;
	default:
		if (!plan_pane_key(&s->pp, ch, LINES - 2))
			s->dirty = 0;
	}
}

/* ---- alerts ---- */

/* Alert once per key in a session: the header shows it, the bell, the command. */
static void
raise_alert(struct screen *s, const char *kind, const char *key, const char *text)
{
	char *safe;

	for (int i = 0; i < s->n_alerted; i++)
		if (strcmp(s->alerted[i], key) == 0)
			return;
	s->alerted = xreallocarray(s->alerted, (size_t)s->n_alerted + 1, sizeof *s->alerted);
	s->alerted[s->n_alerted++] = xstrdup(key);
	safe = sanitize_line(text, 200, 0);
	snprintf(s->alert_text, sizeof s->alert_text, "%s: %s", kind, safe);
	s->alert_at = now_mono();
	s->dirty = 1;
	if (s->saved.alert_bell)
		beep();
	if (s->saved.alert_command[0] != '\0' &&
	    alert_run(s->saved.alert_command, kind, key, safe) < 0)
		set_message(s, 1, "cannot run the alert command %s: %s", s->saved.alert_command,
			    strerror(errno));
	free(safe);
}

/* After the recommendations were read: new ones above the score, recent anomalies. */
static void
alert_recs(struct screen *s)
{
	double now = now_wall();

	if (s->rep == NULL)
		return;
	for (int i = 0; i < s->rep->n_recs; i++) {
		const struct recommendation *r = &s->rep->recs[i];
		struct strbuf t = {0};

		if (r->n_fixes == 0 || strcmp(r->state, "new") != 0)
			continue;
		report_finding_title(&t, &s->rep->findings[r->fixes[0]]);
		if (s->saved.alert_score > 0 && r->score >= s->saved.alert_score)
			raise_alert(s, "recommendation", r->id, sb_str(&t));
		for (int k = 0; k < r->n_fixes && s->saved.alert_anomalies && !s->offline; k++) {
			const struct finding *f = &s->rep->findings[r->fixes[k]];
			char key[96];

			if (strncmp(f->rule, "anomaly_", 8) != 0 || f->to < now - 2 * 3600)
				continue;
			snprintf(key, sizeof key, "%s|%lld|%.0f", f->rule, (long long)f->queryid,
				 f->from);
			sb_release(&t);
			report_finding_title(&t, f);
			raise_alert(s, "anomaly", key, sb_str(&t));
		}
		sb_release(&t);
	}
}

/* The server lost or found again. */
static void
alert_state(struct screen *s)
{
	enum sampler_state now = sampler_state(s->sm);
	char key[64];

	if (s->saved.alert_reconnect && now != s->alert_state_was) {
		snprintf(key, sizeof key, "state|%.0f", now_wall());
		if (now == SAMPLER_RECONNECTING)
			raise_alert(s, "reconnect", key, "the server was lost: reconnecting");
		else if (now == SAMPLER_CONNECTED && s->alert_state_was == SAMPLER_RECONNECTING)
			raise_alert(s, "reconnect", key, "connected again");
	}
	s->alert_state_was = now;
}

/* ---- the export menu ---- */

static const char *const export_formats[] = {"html", "md", "csv", "json"};
#define EXPORT_FORMATS 4
static const char *const export_scopes[] = {"the whole server", "the selected statement",
					    "the statements listed (filter, database, user)"};
static const long export_days[] = {1, 7, 30, 90};
#define EXPORT_DAYS 4

/* pgmltop-report-YYYYMMDD-HHMM.EXT in the current folder. */
static void
export_default_path(struct screen *s)
{
	time_t t = time(NULL);
	struct tm tm;
	char stamp[32];

	localtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M", &tm);
	snprintf(s->ex_path, sizeof s->ex_path, "pgmltop-report-%s.%s", stamp,
		 export_formats[s->ex_format]);
}

static void
open_export(struct screen *s, enum pane back)
{
	if (s->st == NULL || server_id(s) == 0) {
		set_message(s, 1, "no history: reports are written from the history");
		return;
	}
	if (!s->ex_init) {
		/* the first time: the --days window, else the nearest shorter choice */
		s->ex_init = 1;
		for (int i = 0; i < EXPORT_DAYS; i++)
			if (export_days[i] <= s->o->days)
				s->ex_days = i;
	}
	s->ex_back = back;
	if (!s->ex_path_edited)
		export_default_path(s);
	s->ex_confirm = 0;
	s->ex_editing = 0;
	if (!s->ex_writing)
		s->ex_status[0] = '\0';
	s->pane = PANE_EXPORT;
}

/* Start writing: in the export loader's thread (here when there is none). */
static void
export_start(struct screen *s)
{
	struct loader_export ex;
	struct pgt_err err = {{0}};
	double from, to;
	int64_t *ids = NULL;
	int n = 0;

	memset(&ex, 0, sizeof ex);
	strlcpy_(ex.format, export_formats[s->ex_format], sizeof ex.format);
	strlcpy_(ex.path, s->ex_path, sizeof ex.path);
	if (s->ex_scope == 1) {
		const struct view_row *r = view_selected(&s->view);

		if (r == NULL) {
			snprintf(s->ex_status, sizeof s->ex_status, "no statement is selected");
			return;
		}
		ids = xcalloc(1, sizeof *ids);
		ids[n++] = r->r.queryid;
	} else if (s->ex_scope == 2) {
		ids = xcalloc((size_t)(s->view.n_shown ? s->view.n_shown : 1), sizeof *ids);
		for (int i = 0; i < s->view.n_shown; i++)
			ids[n++] = s->view.rows[s->view.shown[i]].r.queryid;
		if (n == 0) {
			free(ids);
			snprintf(s->ex_status, sizeof s->ex_status, "the list is empty");
			return;
		}
	}
	ex.ids = ids;
	ex.n_ids = n;
	analysis_window(s, &from, &to);
	from = to - (double)export_days[s->ex_days] * 86400.0;
	if (s->export_loader == NULL && !s->export_loader_failed) {
		s->export_loader = loader_new(store_path(s->st), &err);
		if (s->export_loader == NULL)
			s->export_loader_failed = 1;
	}
	if (s->export_loader != NULL) {
		history_current(s);
		loader_request_export(s->export_loader, &ex, from, to);
		s->ex_writing = 1;
		snprintf(s->ex_status, sizeof s->ex_status, "Writing %s...", s->ex_path);
	} else if (report_export(s->st, to, export_days[s->ex_days], ex.format, NULL, ids, n,
				 ex.path, &err) < 0) {
		snprintf(s->ex_status, sizeof s->ex_status, "%s", err.msg);
		s->ex_error = 1;
	} else {
		char *abs = realpath(ex.path, NULL);

		snprintf(s->ex_status, sizeof s->ex_status, "Written: %s",
			 abs != NULL ? abs : ex.path);
		free(abs);
		s->ex_error = 0;
	}
	free(ids);
}

static void
export_done(struct screen *s)
{
	struct loader_result r;

	if (s->export_loader == NULL || !loader_take(s->export_loader, &r))
		return;
	s->ex_writing = 0;
	s->dirty = 1;
	if (r.failed) {
		snprintf(s->ex_status, sizeof s->ex_status, "%s", r.error);
		s->ex_error = 1;
	} else {
		char *abs = realpath(r.path, NULL);

		snprintf(s->ex_status, sizeof s->ex_status, "Written: %s (%.1f s)",
			 abs != NULL ? abs : r.path, r.seconds);
		free(abs);
		s->ex_error = 0;
		/* a second export gets a name of its own */
		if (!s->ex_path_edited)
			export_default_path(s);
	}
	if (s->pane != PANE_EXPORT)
		set_message(s, s->ex_error, "%s", s->ex_status);
	loader_result_free(&r);
}

static void
draw_export(struct screen *s)
{
	int y = 0;

	put_line(y++, A_BOLD, "Export a report   (Enter: write; Esc: back)");
	y++;
	put_line(y++, 0, "  f  format   %s", export_formats[s->ex_format]);
	put_line(y++, 0, "  w  window   the last %ld days", export_days[s->ex_days]);
	put_line(y++, 0, "  s  scope    %s", export_scopes[s->ex_scope]);
	put_line(y++, s->ex_editing ? A_BOLD : 0, "  e  file     %s%s", s->ex_path,
		 s->ex_editing ? "_" : "");
	y++;
	if (s->ex_editing)
		put_line(y++, 0, "Type the file name; Enter keeps it, Esc gives the default back.");
	else if (s->ex_confirm)
		put_line(y++, A_BOLD, "%s exists: replace it? y: yes, any other key: no", s->ex_path);
	if (s->ex_status[0])
		put_line(y++, s->ex_error ? (s->color ? COLOR_PAIR(2) | A_BOLD : A_BOLD) : A_BOLD,
			 "%s", s->ex_status);
}

static void
key_export(struct screen *s, int ch)
{
	size_t len = strlen(s->ex_path);
	struct stat sb;

	if (s->ex_editing) {
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			s->ex_editing = 0;
			s->ex_path_edited = len > 0;
			if (len == 0)
				export_default_path(s);
		} else if (ch == 27) {
			s->ex_editing = 0;
			s->ex_path_edited = 0;
			export_default_path(s);
		} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len > 0) {
			s->ex_path[len - 1] = '\0';
		} else if (ch >= ' ' && ch < 256 && ch != 127 && len + 1 < sizeof s->ex_path) {
			s->ex_path[len] = (char)ch;
			s->ex_path[len + 1] = '\0';
		}
		return;
	}
	if (s->ex_confirm) {
		s->ex_confirm = 0;
		if (ch == 'y' || ch == 'Y')
			export_start(s);
		else
			snprintf(s->ex_status, sizeof s->ex_status, "Not written.");
		return;
	}
	switch (ch) {
	case 27:
	case 'q':
	case KEY_F(10):
		s->pane = s->ex_back;
		break;
	case 'f':
		s->ex_format = (s->ex_format + 1) % EXPORT_FORMATS;
		if (!s->ex_path_edited)
			export_default_path(s);
		break;
	case 'w':
		s->ex_days = (s->ex_days + 1) % EXPORT_DAYS;
		break;
	case 's':
		s->ex_scope = (s->ex_scope + 1) % 3;
		break;
	case 'e':
		s->ex_editing = 1;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (s->ex_writing) {
			snprintf(s->ex_status, sizeof s->ex_status, "a report is being written");
			break;
		}
		s->ex_error = 0;
		if (lstat(s->ex_path, &sb) == 0 && !S_ISCHR(sb.st_mode) && !S_ISFIFO(sb.st_mode))
			s->ex_confirm = 1;
		else
			export_start(s);
		break;
	default:
		s->dirty = 0;
	}
}

/* ---- the recommendations pane ---- */

/* Ask for the report of the --days window with its recommendations (in a thread). */
static void
recs_ask(struct screen *s)
{
	struct pgt_err err = {{0}};
	double from, to;

	if (s->st == NULL || server_id(s) == 0 || s->recs_loading)
		return;
	if (s->recs_loader == NULL && !s->recs_loader_failed) {
		s->recs_loader = loader_new(store_path(s->st), &err);
		if (s->recs_loader == NULL) {
			s->recs_loader_failed = 1;
			set_message(s, 1, "%s", err.msg);
			return;
		}
	}
	if (s->recs_loader == NULL)
		return;
	analysis_window(s, &from, &to);
	history_current(s);
	loader_request_recs(s->recs_loader, from, to);
	s->recs_loading = 1;
	s->recs_asked = now_mono();
}

static void
recs_loaded(struct screen *s)
{
	struct loader_result r;

	if (s->recs_loader == NULL || !loader_take(s->recs_loader, &r))
		return;
	s->recs_loading = 0;
	s->dirty = 1;
	if (r.failed || r.report == NULL) {
		snprintf(s->recs_status, sizeof s->recs_status, "%s",
			 r.failed ? r.error : "the recommendations could not be read");
		if (s->rep == NULL)
			s->rv.status = s->recs_status;
		loader_result_free(&r);
		return;
	}
	if (s->rep != NULL) {
		report_free(s->rep);
		free(s->rep);
	}
	s->rep = r.report;
	r.report = NULL;
	s->rv.rep = s->rep;
	loader_result_free(&r);
	alert_recs(s);
}

static void
open_recs(struct screen *s)
{
	if (s->st == NULL || server_id(s) == 0) {
		set_message(s, 1, "no history: the recommendations are read from the history");
		return;
	}
	s->rv.utf8 = s->utf8;
	s->rv.color = s->color;
	s->rv.story = 0;
	s->pane = PANE_RECS;
	if (s->rep == NULL || now_mono() - s->recs_asked > 60)
		recs_ask(s);
}

/* The history, writable: the screen's own when live; offline, opened for it once. */
static struct store *
recs_store(struct screen *s)
{
	struct pgt_err err = {{0}};

	if (!s->offline)
		return s->st;
	if (s->st_rw == NULL) {
		s->st_rw = store_open(store_path(s->st), 0, &err);
		if (s->st_rw == NULL)
			set_message(s, 1, "%s", err.msg);
	}
	return s->st_rw;
}

/* Keep what the user did with the selected recommendation. */
static void
recs_mark(struct screen *s, const char *state, const char *reason)
{
	struct pgt_err err = {{0}};
	struct recommendation *rec = (struct recommendation *)recs_selected(&s->rv);
	struct store *st = recs_store(s);
	struct rec_state rs;
	struct strbuf title = {0};
	double now = now_wall();

	if (rec == NULL || st == NULL)
		return;
	memset(&rs, 0, sizeof rs);
	strlcpy_(rs.id, rec->id, sizeof rs.id);
	rs.state = (char *)state;
	rs.reason = (char *)reason;
	rs.changed_at = now;
	rs.applied_at = strcmp(state, "applied") == 0 ? now : 0;
	rs.has_queryid = rec->has_queryid;
	rs.queryid = rec->queryid;
	if (rec->n_fixes > 0) {
		const struct finding *f = &s->rep->findings[rec->fixes[0]];

		report_finding_title(&title, f);
		rs.rule = (char *)f->rule;
		rs.category = (char *)(f->category != NULL ? f->category : "anomaly");
		rs.rules = report_rec_rules(s->rep, rec);
	} else {
		sb_add(&title, rec->title != NULL ? rec->title : "");
		rs.rule = (char *)(rec->rule != NULL ? rec->rule : "");
	}
	rs.title = (char *)sb_str(&title);
	if (store_rec_state_set(st, server_id(s), &rs, &err) < 0) {
		set_message(s, 1, "%s", err.msg);
	} else {
		/* shown at once; the outcomes and records come with the next read */
		rec->state = strcmp(state, "applied") == 0	   ? "applied"
			     : strcmp(state, "dismissed") == 0	   ? "dismissed"
			     : strcmp(state, "acknowledged") == 0 ? "acknowledged"
								   : "new";
		rec->reopened = 0;
		free(rec->reason);
		rec->reason = reason != NULL ? xstrdup(reason) : NULL;
		rec->changed_at = now;
		rec->applied_at = rs.applied_at;
		rec->outcome = rs.applied_at > 0 ? REC_OUTCOME_PENDING : REC_OUTCOME_NONE;
		set_message(s, 0, "%s: %s", rec->id, rec->state);
		recs_ask(s);
	}
	free(rs.rules);
	sb_release(&title);
}

static void
draw_recs(struct screen *s)
{
	char title[240];

	if (s->rv.story)
		snprintf(title, sizeof title,
			 "Recommendation   (s: its statement; a: acknowledged, x: applied, d: dismissed,"
			 " u: new; Esc: the list)");
	else
		snprintf(title, sizeof title,
			 "Recommendations, last %ld days: %s%s%s%s   (Enter: its story; a x d u: mark;"
			 " f: state; c: category; r: read again; Esc: back)",
			 s->o->days, recs_filter_name(s->rv.filter), s->rv.category[0] ? ", " : "",
			 s->rv.category, s->recs_loading ? " (reading...)" : "");
	recs_pane_draw(&s->rv, title, 0, LINES - 2);
	if (s->rec_reason_prompt)
		put_line(LINES - 2, A_BOLD, "Dismiss, reason (Enter to keep it, Esc: not dismissed): %s",
			 s->input);
}

static void
key_recs(struct screen *s, int ch)
{
	const struct recommendation *rec;

	if (s->rec_reason_prompt) {
		size_t len = strlen(s->input);

		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			s->rec_reason_prompt = 0;
			recs_mark(s, "dismissed", len > 0 ? s->input : NULL);
		} else if (ch == 27) {
			s->rec_reason_prompt = 0;
		} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len > 0) {
			s->input[len - 1] = '\0';
		} else if (ch >= ' ' && ch < 256 && ch != 127 && len + 1 < sizeof s->input) {
			s->input[len] = (char)ch;
			s->input[len + 1] = '\0';
		}
		return;
	}
	switch (ch) {
	case 27:
	case 'q':
	case KEY_F(10):
	case KEY_LEFT:
		if (s->rv.story)
			s->rv.story = 0;
		else
			s->pane = PANE_LIST;
		return;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case KEY_RIGHT:
		rec = recs_selected(&s->rv);
		if (rec != NULL && !s->rv.story) {
			strlcpy_(s->rv.story_id, rec->id, sizeof s->rv.story_id);
			s->rv.story = 1;
			s->rv.story_top = 0;
		}
		return;
	case 'a':
		recs_mark(s, "acknowledged", NULL);
		return;
	case 'x':
		recs_mark(s, "applied", NULL);
		return;
	case 'u':
		recs_mark(s, "new", NULL);
		return;
	case 'd':
		if (recs_selected(&s->rv) != NULL) {
			s->rec_reason_prompt = 1;
			s->input[0] = '\0';
		}
		return;
	case 'f':
		s->rv.filter = (enum recs_filter)((s->rv.filter + 1) % RECS_FILTERS);
		s->rv.sel = s->rv.top = 0;
		s->rv.story = 0;
		return;
	case 'c':
		recs_next_category(&s->rv);
		s->rv.story = 0;
		return;
	case 'r':
		recs_ask(s);
		return;
	case 's':
		rec = recs_selected(&s->rv);
		if (rec == NULL || !rec->has_queryid) {
			set_message(s, 0, "this recommendation is about the whole server");
			return;
		}
		s->open_back = PANE_RECS;
		if (!view_select_id(&s->view, rec->queryid) && s->st != NULL && s->win != WIN_WEEK) {
			s->win = WIN_WEEK; /* not in this window: look at the last 7 days */
			s->open_after_load = rec->queryid;
			reload(s);
			return;
		}
		s->open_after_load = rec->queryid;
		open_pending(s);
		return;
	default:
		if (!recs_pane_key(&s->rv, ch, LINES - 2))
			s->dirty = 0;
	}
}

/* ---- the settings pane ---- */

/* The model read (by the loader's thread, or here): it replaces the one shown. */
static void
params_take(struct screen *s, struct loader_result *r)
{
	params_model_free(&s->pm);
	s->pm = r->pm;
	memset(&r->pm, 0, sizeof r->pm);
	s->pm_ok = r->pm_ok;
	s->pm_loading = 0;
	if (r->warning[0])
		set_message(s, 1, "%s", r->warning);
	if (r->failed)
		set_message(s, 1, "%s", r->error);
	s->sv.m = s->pm_ok ? &s->pm : NULL;
	s->sv.status = s->pm_ok ? NULL : "the settings could not be read";
	s->dirty = 1;
	loader_result_free(r);
}

static void
params_loaded(struct screen *s)
{
	struct loader_result r;

	if (s->params_loader != NULL && loader_take(s->params_loader, &r))
		params_take(s, &r);
}

/*
 * Read the settings, their changes and the recommendations over the --days window: in
 * a thread of their own (the screen answers keys and says that it reads), or here when
 * no thread could be started.
 */
static void
read_params(struct screen *s)
{
	struct pgt_err err = {{0}};
	double from, to, mem = s->o->server_memory > 0 ? s->o->server_memory : NAN;

	s->pm_read = 1;
	s->pm_asked = now_mono();
	analysis_window(s, &from, &to);
	if (s->params_loader == NULL && !s->params_loader_failed) {
		s->params_loader = loader_new(store_path(s->st), &err);
		if (s->params_loader == NULL) {
			s->params_loader_failed = 1;
			set_message(s, 1, "the settings are read in the foreground: %s", err.msg);
		}
	}
	params_model_free(&s->pm);
	s->pm_ok = 0;
	s->sv.m = NULL;
	s->sv.status = "(reading the history...)";
	if (s->params_loader != NULL) {
		history_current(s);
		loader_request_params(s->params_loader, server_id(s), from, to, mem);
		s->pm_loading = 1;
	} else {
		struct loader_result r;

		memset(&r, 0, sizeof r);
		loader_read_params(s->st, server_id(s), from, to, mem, &r);
		params_take(s, &r);
	}
}

/* The settings model for a pane: read unless read less than SERIES_REFRESH_S ago. */
static void
ask_params(struct screen *s)
{
	if (s->st == NULL || server_id(s) == 0)
		return;
	if (s->pm_loading || (s->pm_read && now_mono() - s->pm_asked < SERIES_REFRESH_S))
		return;
	read_params(s);
}

static void
open_settings(struct screen *s)
{
	if (s->st == NULL || server_id(s) == 0) {
		set_message(s, 1, "no history: the settings pane reads the history");
		return;
	}
	read_params(s);
	s->sv.utf8 = s->utf8;
	s->pane = PANE_SETTINGS;
}

/* The settings changes with a measured effect on the statement; returns the lines added. */
static int
settings_effects_section(struct screen *s, struct strbuf *body, int64_t queryid, size_t width)
{
	int n = 2, shown = 0, i, k;

	sb_add(body, "\nSettings changes\n");
	ask_params(s);
	if (!s->pm_ok) {
		sb_addf(body, "%s\n", s->st == NULL ? "no history file (--no-history)"
				       : s->pm_loading || !s->pm_read ? "(reading the history...)"
								      : "(the settings could not be read)");
		return n + 1;
	}
	for (i = s->pm.n_changes - 1; i >= 0; i--) {
		const struct param_change *c = &s->pm.changes[i];
		int by_role = c->scope != NULL && strcmp(c->scope, "system") != 0;

		for (k = 0; k < c->n_effects; k++) {
			const struct param_effect *e = &c->effects[k];
			char when[32], *line, *safe;

			if (!e->has_queryid || e->queryid != queryid)
				continue;
			minute_time(c->ts, when, sizeof when);
			line = xasprintf("%s  %s%s%s%s %s -> %s: %s %.4g -> %.4g%s, x%.2f [%.2f, %.2f] "
					 "%s (%d hours against the week before)",
					 when, c->name, by_role ? " (" : "", by_role ? c->scope : "",
					 by_role ? ")" : "", c->from != NULL ? c->from : "(none)",
					 c->to != NULL ? c->to : "(reset)",
					 strcmp(e->metric, "mean_ms") == 0 ? "mean" : "calls/h",
					 e->r.before, e->r.after,
					 strcmp(e->metric, "mean_ms") == 0 ? " ms" : "", e->r.ratio,
					 e->r.low, e->r.high, e->r.ratio > 1 ? "increase" : "decrease",
					 e->r.pairs);
			safe = sanitize_line(line, width, s->utf8);
			sb_addf(body, "%s\n", safe);
			free(safe);
			free(line);
			n++;
			shown++;
		}
	}
	if (shown == 0) {
		sb_addf(body, "none with a measured effect on it (%d change%s in the --days window; "
			      "S: the settings pane)\n",
			s->pm.n_changes, s->pm.n_changes == 1 ? "" : "s");
		n++;
	}
	return n;
}

static void
draw_settings(struct screen *s)
{
	char title[160];

	snprintf(title, sizeof title, "Settings, last %ld days   (a: all settings; Esc: back)",
		 s->o->days);
	s->sv.title = title;
	settings_pane_draw(&s->sv, 0, LINES - 2);
	s->sv.title = NULL;
}

static void
draw(struct screen *s)
{
	erase();
	if (LINES < 1 || COLS < 1)
		return;
	switch (s->pane) {
	case PANE_HELP:
		draw_help(s);
		break;
	case PANE_DETAIL:
		draw_detail(s);
		break;
	case PANE_SESSIONS:
		draw_header(s);
		draw_sessions(s);
		break;
	case PANE_SETUP:
		draw_setup(s);
		break;
	case PANE_HEATMAP:
		draw_heatmap(s);
		break;
	case PANE_SETTINGS:
		draw_settings(s);
		break;
	case PANE_PLAN:
		draw_plan(s);
		break;
	case PANE_RECS:
		draw_recs(s);
		break;
	case PANE_EXPORT:
		draw_export(s);
		break;
	default:
		draw_header(s);
		draw_list(s);
		break;
	}
	draw_footer(s);
	refresh();
	s->dirty = 0;
	s->drawn_at = now_mono();
}


/* ---- keys ---- */

static void
set_interval(struct screen *s, double v)
{
	if (s->offline) {
		set_message(s, 0, "offline: there is no interval");
		return;
	}
	if (v < MIN_INTERVAL)
		v = MIN_INTERVAL;
	if (v > MAX_INTERVAL)
		v = MAX_INTERVAL;
	sampler_set_interval(s->sm, v);
	s->interval_changed = 1;
	set_message(s, 0, "interval %.1f s", v);
}

static void
next_window(struct screen *s)
{
	s->win = (enum window)((s->win + 1) % WIN_COUNT);
	if (s->win == WIN_INTERVAL && (s->offline || s->st == NULL)) {
		if (s->offline)
			s->win = WIN_HOUR;
	}
	if (s->win != WIN_INTERVAL && s->st == NULL) {
		set_message(s, 1, "no history file (--no-history): only the last interval");
		s->win = WIN_INTERVAL;
	}
	reload(s);
}

static void
key_prompt(struct screen *s, int ch)
{
	size_t len = strlen(s->input);

	if (s->prompt == PROMPT_CONFIRM) {
		s->prompt = PROMPT_NONE;
		s->dirty = 1;
		if (ch != 'y' && ch != 'Y') {
			set_message(s, 0, "backend %d left alone", s->confirm_pid);
			return;
		}
		if (sampler_admin(s->sm, s->confirm_terminate, s->confirm_pid) < 0)
			set_message(s, 1, "not connected (or a request is still running): try again");
		else
			set_message(s, 0, "asked the server to %s backend %d",
				    s->confirm_terminate ? "terminate" : "cancel the query of",
				    s->confirm_pid);
		return;
	}
	if (ch == 27) { /* Esc */
		if (s->prompt == PROMPT_FILTER) {
			view_set_filter(&s->view, NULL, s->utf8);
			s->message[0] = '\0';
		}
		s->prompt = PROMPT_NONE;
		s->dirty = 1;
		return;
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		if (s->prompt == PROMPT_INTERVAL) {
			double v;

			if (parse_double(s->input, MIN_INTERVAL, MAX_INTERVAL, &v) == 0)
				set_interval(s, v);
			else
				set_message(s, 1, "invalid interval '%s': give seconds from %.1f to %.0f",
					    s->input, MIN_INTERVAL, MAX_INTERVAL);
		} else if (s->view.error[0] == '\0' && s->view.limit_hits == 0) {
			s->message[0] = '\0';
		}
		s->prompt = PROMPT_NONE;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (len > 0)
			s->input[len - 1] = '\0';
	} else if (ch >= 32 && ch < 256 && ch != 127 && len + 1 < sizeof s->input) {
		s->input[len] = (char)ch;
		s->input[len + 1] = '\0';
	} else {
		return;
	}
	if (s->prompt == PROMPT_FILTER) {
		/* applied as it is typed; an invalid pattern shows all rows and says why */
		char why[sizeof s->view.error];

		if (view_set_filter(&s->view, s->input, s->utf8) < 0) {
			/* all rows are shown while the pattern is invalid; the reason stays */
			strlcpy_(why, s->view.error, sizeof why);
			view_set_filter(&s->view, NULL, s->utf8);
			strlcpy_(s->view.error, why, sizeof s->view.error);
			set_message(s, 1, "%s", why);
		} else if (s->view.limit_hits > 0) {
			set_message(s, 1,
				    "the pattern is too costly for %d statements: they are shown "
				    "unfiltered",
				    s->view.limit_hits);
		} else {
			s->message[0] = '\0';
		}
	}
	s->dirty = 1;
}

static void
open_prompt(struct screen *s, enum prompt p)
{
	s->prompt = p;
	s->input[0] = '\0';
	if (p == PROMPT_FILTER && s->view.pattern)
		strlcpy_(s->input, s->view.pattern, sizeof s->input);
	s->dirty = 1;
}

static void key(struct screen *s, int ch);

/*
 * A click: on the key bar, the key it shows; on a row of the statement or session list,
 * that row is selected (a double click opens it); the wheel moves the selection.
 */
static void
mouse(struct screen *s)
{
	MEVENT ev;
	int dbl, row;

	if (getmouse(&ev) != OK || s->prompt != PROMPT_NONE)
		return;
	if (ev.bstate & BUTTON4_PRESSED) {
		key(s, KEY_UP);
		key(s, KEY_UP);
		key(s, KEY_UP);
		return;
	}
#ifdef BUTTON5_PRESSED
	if (ev.bstate & BUTTON5_PRESSED) {
		key(s, KEY_DOWN);
		key(s, KEY_DOWN);
		key(s, KEY_DOWN);
		return;
	}
#endif
	if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED)))
		return;
	dbl = (ev.bstate & BUTTON1_DOUBLE_CLICKED) != 0;
	if (ev.y == LINES - 1) {
		int k = footer_key_at(ev.x);

		if (k != 0)
			key(s, k);
		return;
	}
	row = ev.y - 4;
	if (s->pane == PANE_LIST && row >= 0 && row < list_height() &&
	    s->view.top + row < s->view.n_shown) {
		view_move(&s->view, s->view.top + row - s->view.selected);
		if (dbl)
			open_selected(s, PANE_LIST);
	} else if (s->pane == PANE_SESSIONS && row >= 0 && row < sess_height()) {
		struct sess_line *l;
		int n = sess_build(s, &l);

		if (s->sess_top + row < n) {
			s->sess_sel = s->sess_top + row;
			s->sess_pid = l[s->sess_sel].a->pid;
		}
		free(l);
		if (dbl && s->sess_top + row < n)
			sess_open_statement(s);
	}
}

static void
key(struct screen *s, int ch)
{
	int page = list_height() > 1 ? list_height() - 1 : 1;

	s->dirty = 1;
	if (ch == KEY_RESIZE)
		return;
	if (ch == KEY_MOUSE) {
		mouse(s);
		return;
	}
	if (s->prompt != PROMPT_NONE) {
		key_prompt(s, ch);
		return;
	}
	if (s->pane == PANE_HELP) {
		if (ch == KEY_UP || ch == 'k')
			s->help_scroll--;
		else if (ch == KEY_DOWN || ch == 'j')
			s->help_scroll++;
		else if (ch == KEY_PPAGE)
			s->help_scroll -= page;
		else if (ch == KEY_NPAGE || ch == ' ')
			s->help_scroll += page;
		else if (ch == 'q' || ch == 27 || ch == KEY_F(10) || ch == '?' || ch == 'h' ||
			 ch == KEY_F(1))
			s->pane = s->back_to;
		return;
	}
	if (s->pane == PANE_SETUP) {
		key_setup(s, ch);
		return;
	}
	if (s->pane == PANE_SETTINGS) {
		if (ch == 27 || ch == 'q' || ch == KEY_F(10))
			s->pane = PANE_LIST;
		else if (!settings_pane_key(&s->sv, ch, LINES - 2))
			s->dirty = 0;
		return;
	}
	if (s->pane == PANE_HEATMAP) {
		key_heatmap(s, ch);
		return;
	}
	if (s->pane == PANE_PLAN) {
		key_plan(s, ch);
		return;
	}
	if (s->pane == PANE_RECS) {
		key_recs(s, ch);
		return;
	}
	if (s->pane == PANE_EXPORT) {
		key_export(s, ch);
		return;
	}
	if (s->pane == PANE_SESSIONS) {
		int spage = sess_height() > 1 ? sess_height() - 1 : 1;

		switch (ch) {
		case 'q':
		case KEY_F(10):
			s->quit = 1;
			return;
		case KEY_UP:
		case 'k':
			s->sess_sel--;
			break;
		case KEY_DOWN:
		case 'j':
			s->sess_sel++;
			break;
		case KEY_PPAGE:
			s->sess_sel -= spage;
			break;
		case KEY_NPAGE:
			s->sess_sel += spage;
			break;
		case KEY_HOME:
		case 'g':
			s->sess_sel = 0;
			break;
		case KEY_END:
		case 'G':
			s->sess_sel = 1 << 20;
			break;
		case 'i':
			s->show_idle = !s->show_idle;
			break;
		case 'c':
			sess_confirm(s, 0);
			break;
		case 'K':
		case KEY_F(9):
			sess_confirm(s, 1);
			break;
		case '\n':
		case '\r':
		case KEY_ENTER:
			sess_open_statement(s);
			break;
		case '\t':
		case '1':
		case 27:
			s->pane = PANE_LIST;
			break;
		case '?':
		case 'h':
		case KEY_F(1):
			s->back_to = PANE_SESSIONS;
			s->pane = PANE_HELP;
			break;
		case ' ':
		case 'p':
			s->frozen = !s->frozen;
			break;
		default:
			s->dirty = 0;
			return;
		}
		/* the selection moves by index: remember which session it is on now */
		s->sess_pid = -1;
		{
			struct sess_line *l;
			int n = sess_build(s, &l);

			if (s->sess_sel >= n)
				s->sess_sel = n - 1;
			if (s->sess_sel < 0)
				s->sess_sel = 0;
			s->sess_pid = n > 0 ? l[s->sess_sel].a->pid : 0;
			free(l);
		}
		return;
	}
	if (s->pane == PANE_DETAIL) {
		switch (ch) {
		case 'q':
		case 27:
		case KEY_F(10):
		case KEY_LEFT:
			s->pane = s->back_to;
			break;
		case KEY_UP:
		case 'k':
			s->detail_scroll--;
			break;
		case KEY_DOWN:
		case 'j':
			s->detail_scroll++;
			break;
		case KEY_PPAGE:
			s->detail_scroll -= page;
			break;
		case KEY_NPAGE:
		case ' ':
			s->detail_scroll += page;
			break;
		case KEY_HOME:
			s->detail_scroll = 0;
			break;
		case 'H': {
			const struct view_row *r = view_selected(&s->view);

			if (r != NULL)
				open_heatmap(s, 1, r->r.queryid, PANE_DETAIL);
			break;
		}
		case 'P': {
			const struct view_row *r = view_selected(&s->view);

			if (r != NULL)
				open_plan(s, r->r.queryid, PANE_DETAIL);
			break;
		}
		}
		return;
	}
	switch (ch) {
	case 'q':
	case KEY_F(10):
		s->quit = 1;
		break;
	case KEY_UP:
	case 'k':
		view_move(&s->view, -1);
		break;
	case KEY_DOWN:
	case 'j':
		view_move(&s->view, 1);
		break;
	case KEY_PPAGE:
		view_move(&s->view, -page);
		break;
	case KEY_NPAGE:
		view_move(&s->view, page);
		break;
	case KEY_HOME:
	case 'g':
		view_home(&s->view);
		break;
	case KEY_END:
	case 'G':
		view_end(&s->view);
		break;
	case '<':
	case ',':
		view_sort_step(&s->view, -1);
		break;
	case '>':
	case '.':
	case KEY_F(6):
		view_sort_step(&s->view, 1);
		break;
	case 'I':
		view_reverse(&s->view);
		break;
	case 'C':
		set_color(s, !s->color);
		s->saved_color_changed = 1;
		if (!s->color && !has_colors())
			set_message(s, 0, "this terminal has no colours");
		break;
	case ' ':
	case 'p':
		if (s->offline) {
			set_message(s, 0, "offline: nothing to freeze");
			break;
		}
		s->frozen = !s->frozen;
		if (!s->frozen)
			reload(s);
		break;
	case '+':
	case '=':
		if (!s->offline)
			set_interval(s, sampler_interval(s->sm) * 2);
		break;
	case '-':
		if (!s->offline)
			set_interval(s, sampler_interval(s->sm) / 2);
		break;
	case 's':
		if (s->offline)
			set_message(s, 0, "offline: there is no interval");
		else
			open_prompt(s, PROMPT_INTERVAL);
		break;
	case 'w':
	case KEY_F(5):
		next_window(s);
		break;
	case '/':
	case KEY_F(3):
	case KEY_F(4):
		open_prompt(s, PROMPT_FILTER);
		break;
	case '\\':
		view_set_filter(&s->view, NULL, s->utf8);
		view_set_scope(&s->view, NULL, NULL);
		s->message[0] = '\0';
		break;
	case 'd':
	case 'u': {
		/* the next database (or role) among the rows; after the last, all again */
		int user = ch == 'u';
		const char *next = view_next_name(&s->view, user, user ? s->view.user : s->view.db);
		char *keep = next ? xstrdup(next) : NULL;

		if (user)
			view_set_scope(&s->view, s->view.db, keep);
		else
			view_set_scope(&s->view, keep, s->view.user);
		free(keep);
		if (next == NULL && !(user ? s->view.user : s->view.db))
			set_message(s, 0, "all %s", user ? "users" : "databases");
		break;
	}
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (view_selected(&s->view) != NULL)
			open_selected(s, PANE_LIST);
		break;
	case '?':
	case 'h':
	case KEY_F(1):
		s->back_to = PANE_LIST;
		s->pane = PANE_HELP;
		break;
	case KEY_F(2):
		s->pane = PANE_SETUP;
		break;
	case '\t':
	case '2':
		if (s->offline)
			set_message(s, 0, "offline: the sessions screen needs a server");
		else
			s->pane = PANE_SESSIONS;
		break;
	case '1':
		break;
	case 'H':
	case '3':
		open_heatmap(s, 0, 0, PANE_LIST);
		break;
	case 'S':
	case '4':
		open_settings(s);
		break;
	case 'R':
	case '5':
		open_recs(s);
		break;
	case 'E':
	case KEY_F(7):
		open_export(s, PANE_LIST);
		break;
	case 27:
		s->message[0] = '\0';
		break;
	default:
		s->dirty = 0;
		break;
	}
}

/* ---- settings ---- */

/* "SHR_HIT,TEMP_WR" to flags by column, and back. */
static void
hidden_from_text(int *hidden, const char *text)
{
	char *list = xstrdup(text), *tok, *save = NULL;
	int i;

	for (i = 0; i < 9; i++)
		hidden[i] = 0;
	for (tok = strtok_r(list, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		int col = view_col_by_name(tok);

		if (col > 0 && col < 9)
			hidden[col] = 1;
	}
	free(list);
}

static void
hidden_to_text(const int *hidden, char *buf, size_t size)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 1; i < 9; i++)
		if (hidden[i] && off + 16 < size)
			off += (size_t)snprintf(buf + off, size - off, "%s%s", off ? "," : "",
					       view_col_name((enum view_col)i));
}

static void
apply_settings(struct screen *s)
{
	int col = view_col_by_name(s->saved.sort);

	if (col >= 0)
		s->view.sort = (enum view_col)col;
	s->view.reverse = s->saved.reverse;
	s->no_color = s->o->no_color || !s->saved.color;
	hidden_from_text(s->hidden, s->saved.hidden);
}

/* Save what the user changed; a failure is said on stderr (the screen is gone). */
static void
save_settings(struct screen *s)
{
	struct settings now = s->saved;
	struct pgt_err err = {{0}};

	if (s->settings_path == NULL)
		return;
	strlcpy_(now.sort, view_col_name(s->view.sort), sizeof now.sort);
	now.reverse = s->view.reverse;
	if (s->sm != NULL && s->interval_changed)
		now.interval = sampler_interval(s->sm);
	if (s->saved_color_changed)
		now.color = s->color;
	hidden_to_text(s->hidden, now.hidden, sizeof now.hidden);
	if (strcmp(now.sort, s->saved.sort) == 0 && now.reverse == s->saved.reverse &&
	    now.interval == s->saved.interval && now.color == s->saved.color &&
	    strcmp(now.hidden, s->saved.hidden) == 0)
		return;
	if (settings_save(s->settings_path, &now, &err) < 0)
		fprintf(stderr, "pgmltop: %s\n", err.msg);
}

/* ---- the loop ---- */

static int
loop(struct screen *s)
{
	while (!s->quit) {
		struct pollfd fds[8] = {{STDIN_FILENO, POLLIN, 0}, {-1, 0, 0},
					{-1, POLLIN, 0},	   {-1, POLLIN, 0},
					{-1, POLLIN, 0},	   {-1, POLLIN, 0},
					{-1, POLLIN, 0},	   {-1, POLLIN, 0}};
		int n = 2, timeout_ms = 1000, ch, pr;

		if (run_stop_requested())
			break;
		if (resumed) { /* leave and enter again: ncurses then redraws it whole */
			resumed = 0;
			endwin();
			refresh();
			s->dirty = 1;
		}
		if (s->dirty)
			draw(s);
		if (s->key_at > 0 && s->key_timing != NULL) {
			fprintf(s->key_timing, "key_to_screen_ms %.3f rows %d\n",
				(now_mono() - s->key_at) * 1000, s->view.n_rows);
			fflush(s->key_timing);
		}
		s->key_at = 0;
		if (s->sm != NULL) {
			double wake = sampler_wake(s->sm);

			fds[1].fd = sampler_fd(s->sm);
			fds[1].events = sampler_events(s->sm);
			if (wake > 0) {
				int t = (int)ceil((wake - now_mono()) * 1000);

				timeout_ms = t < 0 ? 0 : t < timeout_ms ? t : timeout_ms;
			}
		}
		if (s->loader != NULL)
			fds[2].fd = loader_fd(s->loader);
		if (s->series_loader != NULL)
			fds[3].fd = loader_fd(s->series_loader);
		if (s->explainer != NULL)
			fds[4].fd = explainer_fd(s->explainer);
		if (s->recs_loader != NULL)
			fds[5].fd = loader_fd(s->recs_loader);
		if (s->params_loader != NULL)
			fds[6].fd = loader_fd(s->params_loader);
		if (s->export_loader != NULL)
			fds[7].fd = loader_fd(s->export_loader);
		n = 8; /* poll skips the entries whose fd is -1 */
		pr = poll(fds, (nfds_t)n, timeout_ms);
		if (pr < 0 && errno != EINTR)
			return 1;
		if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			break; /* the terminal is gone */
		if (fds[0].revents & POLLIN)
			s->key_at = now_mono();
		/* keys, or a signal such as SIGWINCH that getch turns into KEY_RESIZE */
		if (pr < 0 || (fds[0].revents & POLLIN))
			while ((ch = getch()) != ERR)
				key(s, ch);
		if (fds[2].revents & POLLIN)
			loaded(s);
		if (fds[3].revents & POLLIN)
			series_loaded(s);
		if (fds[4].revents & POLLIN)
			plan_taken(s);
		if (fds[5].revents & POLLIN)
			recs_loaded(s);
		if (fds[6].revents & POLLIN)
			params_loaded(s);
		if (fds[7].revents & POLLIN)
			export_done(s);
		alert_reap();
		/*
		 * the top recommendation of the list's line, read again every 30 minutes: the
		 * whole report (forecasts included) is read for it, seconds of a thread's time
		 * on a long history, which the screen's sampling must not pay every minute
		 */
		if (!s->recs_loading && s->st != NULL && now_mono() - s->recs_asked > RECS_REFRESH_S)
			recs_ask(s);
		if (s->sm != NULL) {
			unsigned ev = sampler_process(s->sm, fds[1].fd >= 0 ? fds[1].revents : 0);

			if (ev & SAMPLER_STATE) {
				s->dirty = 1;
				alert_state(s);
			}
			if ((ev & SAMPLER_SAMPLE) && !s->frozen) {
				if (s->win == WIN_INTERVAL ||
				    (!s->loading && now_mono() - s->loaded_at >= HISTORY_REFRESH_S))
					reload_window(s, 1);
				s->dirty = 1;
			}
			if (s->o->iterations > 0 && sampler_count(s->sm) >= s->o->iterations)
				break;
		}
		/* the clock in the header (uptime) moves on: once a second, not at each wake-up */
		if (now_mono() - s->drawn_at >= 1.0)
			s->dirty = 1;
	}
	return 0;
}

int
screen_run(const struct options *o)
{
	struct screen s;
	struct pgt_err err = {{0}};
	char *password = NULL;
	int status = 0, failed;

	struct pgt_err settings_err = {{0}};
	int settings_problems = 0;

	memset(&s, 0, sizeof s);
	s.o = o;
	s.utf8 = screen_utf8 = run_locale_utf8();
	s.offline = o->mode == MODE_OFFLINE;
	view_init(&s.view);
	run_install_signals();
	screen_signals();
	settings_defaults(&s.saved);
	s.settings_path = settings_path(&settings_err);
	if (s.settings_path != NULL)
		settings_problems = settings_load(s.settings_path, &s.saved, &settings_err);
	apply_settings(&s);

	if (s.offline) {
		int found;

		if ((s.st = run_open_history(o, STORE_READONLY)) == NULL)
			return 1;
		found = store_latest_server(s.st, &s.srv, &err);
		if (found < 0) {
			fprintf(stderr, "pgmltop: %s\n", err.msg);
			store_close(s.st);
			return 1;
		}
		s.win = WIN_WEEK;
	} else {
		if (term_check(&err) < 0) {
			fprintf(stderr, "pgmltop: %s\n", err.msg);
			return 1;
		}
		if (!o->no_history && (s.st = run_open_history(o, 0)) == NULL)
			return 1;
		password = run_password_first(o, &failed);
		if (failed) {
			store_close(s.st);
			return 1;
		}
		s.sm = sampler_new(o, s.st, password, say_cb, &s);
		if (password != NULL) {
			memset(password, 0, strlen(password));
			free(password);
		}
		if (run_connect(s.sm, o) < 0) {
			sampler_free(s.sm);
			store_close(s.st);
			return run_stop_requested() ? 0 : 1;
		}
	}
	if (term_start(&s, &err) < 0) {
		fprintf(stderr, "pgmltop: %s\n", err.msg);
		sampler_free(s.sm);
		store_close(s.st);
		return 1;
	}
	if (s.sm != NULL && !o->interval_set && s.saved.interval > 0)
		sampler_set_interval(s.sm, s.saved.interval);
	if (settings_problems > 0 || s.settings_path == NULL)
		set_message(&s, 1, "%s", settings_err.msg);
	if (s.offline && s.srv.id == 0)
		set_message(&s, 0, "the history %s holds no samples yet", store_path(s.st));
	{
		struct pgt_err rerr = {{0}};

		s.rules = rules_new();
		if (rules_load_default(s.rules, &rerr) < 0) {
			rules_free(s.rules);
			s.rules = NULL;
			set_message(&s, 1, "%s; no SQL advice", rerr.msg);
		}
	}
	if (getenv("PGMLTOP_KEY_TIMING") != NULL && getenv("PGMLTOP_KEY_TIMING")[0] != '\0')
		s.key_timing = fopen(getenv("PGMLTOP_KEY_TIMING"), "a");
	reload(&s);
	status = loop(&s);
	if (s.key_timing != NULL)
		fclose(s.key_timing);
	restore_terminal();
	save_settings(&s);
	free(s.settings_path);
	view_free(&s.view);
	store_stmt_history_free(&s.hist);
	store_literal_texts_free(s.lits, s.n_lits);
	store_catalog_free(s.catalog, s.n_catalog);
	sb_release(&s.advice);
	rules_free(s.rules);
	loader_free(s.loader);
	loader_free(s.series_loader);
	loader_free(s.params_loader);
	loader_result_free(&s.an);
	heatmap_free(&s.hm);
	params_model_free(&s.pm);
	loader_free(s.recs_loader);
	loader_free(s.export_loader);
	if (s.rep != NULL) {
		report_free(s.rep);
		free(s.rep);
	}
	store_close(s.st_rw);
	for (int i = 0; i < s.n_alerted; i++)
		free(s.alerted[i]);
	free(s.alerted);
	explainer_free(s.explainer);
	explain_ask_free(&s.ask);
	plan_pane_clear(&s.pp);
	plan_rules_free(s.plan_rules);
	sampler_free(s.sm);
	store_close(s.st);
	return status;
}
