#include "config.h"

#include "sampler.h"

#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "delta.h"
#include "xutil.h"

/* Query texts seen, by query id: sorted, for binary search. */
struct text_cache {
	int64_t *ids;
	char **texts;
	int n, alloc;
};

struct sampler {
	const struct options *o;
	struct collector *col;
	struct delta_state *delta;       /* sample to sample: what the screen shows */
	struct delta_state *store_delta; /* stored sample to stored sample: the history */
	struct store *st;
	sampler_say_fn say_fn;
	void *say_ctx;
	double interval;
	double next_sample; /* monotonic; 0: as soon as connected */

	int64_t server_id;
	char server_key[320];
	int lease;               /* 1: this process writes the server's samples */
	int lease_warned;
	int online;              /* connected now; a loss is recorded once per outage */
	int ever_online;
	int failed;              /* the first connection failed */
	double postmaster_start; /* of the server last connected to */
	int store_failed;        /* the last write failed; said once until it works again */
	long samples;
	long long last_maintain_hour;
	struct text_cache texts;

	double heard_at; /* monotonic: the last sample, or the connection; 0: never */
	double store_every; /* seconds between stored samples; 0: every sample */
	double stored_at;   /* monotonic: the last sample stored; 0: none yet */
	struct snapshot *snap; /* the latest sample */
	int snap_stored;       /* snap is in the history (or needs not be) */
	struct delta_set delta_set;
	int have_delta;
};

static void
say(struct sampler *s, const char *fmt, ...) PGT_PRINTF(2, 3);

static void
say(struct sampler *s, const char *fmt, ...)
{
	struct strbuf sb = {0};
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (s->say_fn)
		s->say_fn(s->say_ctx, sb_str(&sb));
	sb_release(&sb);
}

/* ---- texts ---- */

static int
cache_find(const struct text_cache *tc, int64_t id, int *at)
{
	int lo = 0, hi = tc->n - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (tc->ids[mid] == id) {
			*at = mid;
			return 1;
		}
		if (tc->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	*at = lo;
	return 0;
}

/* Takes text (which may be NULL: remembered as unknown in the history too). */
static const char *
cache_put(struct text_cache *tc, int64_t id, char *text)
{
	int at;

	if (cache_find(tc, id, &at)) {
		free(text);
		return tc->texts[at];
	}
	if (tc->n == tc->alloc) {
		tc->alloc = tc->alloc ? tc->alloc * 2 : 256;
		tc->ids = xreallocarray(tc->ids, (size_t)tc->alloc, sizeof *tc->ids);
		tc->texts = xreallocarray(tc->texts, (size_t)tc->alloc, sizeof *tc->texts);
	}
	memmove(tc->ids + at + 1, tc->ids + at, (size_t)(tc->n - at) * sizeof *tc->ids);
	memmove(tc->texts + at + 1, tc->texts + at, (size_t)(tc->n - at) * sizeof *tc->texts);
	tc->ids[at] = id;
	tc->texts[at] = text;
	tc->n++;
	return text;
}

static void
cache_free(struct text_cache *tc)
{
	int i;

	for (i = 0; i < tc->n; i++)
		free(tc->texts[i]);
	free(tc->ids);
	free(tc->texts);
	memset(tc, 0, sizeof *tc);
}

const char *
sampler_text(struct sampler *s, int64_t id)
{
	int at;

	if (cache_find(&s->texts, id, &at))
		return s->texts.texts[at];
	if (s->st == NULL || s->server_id == 0)
		return NULL;
	/* a miss is remembered too: a text the history does not have is not asked again */
	return cache_put(&s->texts, id, store_text(s->st, s->server_id, id));
}

double
sampler_quiet(const struct sampler *s)
{
	return s->heard_at > 0 ? now_mono() - s->heard_at : 0;
}

struct conn_opts
sampler_conn(const struct sampler *s)
{
	return collect_conn(s->col);
}

const char *
sampler_stmt_dbname(const struct sampler *s, int64_t queryid)
{
	const struct snapshot *snap = s->snap;

	if (snap == NULL)
		return NULL;
	for (int i = 0; i < snap->n_stmts; i++) {
		if (snap->stmts[i].queryid != queryid)
			continue;
		for (int j = 0; j < snap->n_databases; j++)
			if (snap->databases[j].datid == snap->stmts[i].dbid)
				return snap->databases[j].datname;
		return NULL;
	}
	return NULL;
}

const char *
sampler_literal(const struct sampler *s, int64_t queryid)
{
	const struct snapshot *snap = s->snap;
	const char *best = NULL;
	double best_start = 0;

	if (snap == NULL)
		return NULL;
	for (int i = 0; i < snap->n_activity; i++) {
		const struct activity_row *a = &snap->activity[i];

		if (!a->has_query_id || a->query_id != queryid || a->query == NULL)
			continue;
		if (best == NULL || a->query_start > best_start) {
			best = a->query;
			best_start = a->query_start;
		}
	}
	return best;
}

/* ---- lease and connection ---- */

static void
take_lease(struct sampler *s)
{
	struct pgt_err err = {{0}};
	long holder = 0;
	int rc;

	if (s->st == NULL || s->lease || s->server_id == 0)
		return;
	rc = store_lease(s->st, s->server_id, now_wall(),
			 3 * (s->interval > s->store_every ? s->interval : s->store_every) + 30,
			 &holder, &err);
	if (rc < 0) {
		say(s, "%s", err.msg);
		return;
	}
	if (rc == 0) {
		if (!s->lease_warned) {
			s->lease_warned = 1;
			if (s->o->mode == MODE_COLLECT)
				say(s,
				    "the history of this server in %s is being written by process "
				    "%ld: waiting until it stops",
				    store_path(s->st), holder);
			else
				say(s,
				    "the history of this server in %s is being written by process "
				    "%ld: this one shows live data without storing it",
				    store_path(s->st), holder);
		}
		return;
	}
	s->lease = 1;
	if (s->lease_warned) {
		say(s, "now writing the history of this server");
		s->lease_warned = 0;
	}
	/* whatever this process saw before is not in the history: start clean */
	delta_break(s->store_delta, 0);
	s->snap_stored = 1;
}

static void
maintain(struct sampler *s)
{
	struct pgt_err err = {{0}};

	if (s->lease && store_maintain(s->st, s->server_id, now_wall(),
				       s->o->keep_raw_days * 86400, s->o->keep_hourly_days * 86400,
				       &err) < 0)
		say(s, "%s", err.msg);
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

	if (s->ever_online)
		say(s, "%s", msg);
	if (s->server_key[0] && strcmp(s->server_key, srv->key) != 0) {
		say(s, "this is another server than before (%s, was %s): its history is kept apart",
		    srv->key, s->server_key);
		if (s->lease && s->st)
			store_lease_release(s->st, s->server_id);
		s->lease = 0;
		s->server_id = 0;
		cache_free(&s->texts);
	}
	s->online = s->ever_online = 1;
	s->snap_stored = 1; /* a sample from before the connection belongs before the break */
	strlcpy_(s->server_key, srv->key, sizeof s->server_key);
	s->postmaster_start = srv->postmaster_start;
	delta_break(s->delta, (s->samples > 0 ? DELTA_GAP : 0) | (restarted ? DELTA_RESTART : 0));
	delta_break(s->store_delta,
		    (s->samples > 0 ? DELTA_GAP : 0) | (restarted ? DELTA_RESTART : 0));
	s->next_sample = 0;
	if (s->st == NULL)
		return;
	if (store_server(s->st, srv, now_wall(), &s->server_id, &err) < 0) {
		say(s, "%s", err.msg);
		return;
	}
	if (store_text_ids(s->st, s->server_id, &ids, &n, &err) < 0)
		say(s, "%s", err.msg);
	collect_texts_known(s->col, ids, n);
	free(ids);
	take_lease(s);
	maintain(s);
}

/*
 * Store snap with its deltas since the sample stored before it: 1 stored, 0 not (no
 * lease), -1 failed. A failed sample leaves a gap: the next one stored is a baseline.
 */
static int
store_one(struct sampler *s, struct snapshot *snap)
{
	struct pgt_err err = {{0}};
	struct delta_set d = {0};
	int rc;

	delta_compute(s->store_delta, snap, &d);
	rc = store_sample(s->st, s->server_id, snap, &d, &err);
	delta_set_free(&d);
	if (rc < 0) {
		if (!s->store_failed)
			say(s, "%s; samples are not stored until this is solved", err.msg);
		s->store_failed = 1;
		delta_break(s->store_delta, DELTA_GAP);
		return -1;
	}
	if (rc == 0) {
		s->lease = 0; /* another process took the lease over */
		take_lease(s);
		return 0;
	}
	if (s->store_failed)
		say(s, "storing samples again in %s", store_path(s->st));
	s->store_failed = 0;
	s->stored_at = now_mono();
	{
		long long hour = (long long)floor(snap->ts / 3600.0);

		if (hour != s->last_maintain_hour) {
			s->last_maintain_hour = hour;
			maintain(s);
		}
	}
	return 1;
}

/*
 * The latest sample, when it is not in the history yet: before a gap or the end, so
 * that the time since the last stored sample is kept. A sample whose texts were not
 * stored with it is left out (its texts are with the cache now, not with it).
 */
static void
store_pending(struct sampler *s)
{
	if (s->snap == NULL || s->snap_stored || s->st == NULL || !s->lease ||
	    s->snap->n_texts > 0)
		return;
	if (store_one(s, s->snap) == 1)
		s->snap_stored = 1;
}

/*
 * A sample is stored every store_every seconds, and at once when it brings what must
 * not wait (new query texts, settings, the catalog) or starts a new baseline (a reset,
 * a restart, evicted entries): the sample before it is stored first, so that the
 * deltas up to the break are kept.
 */
static int
store_due(const struct sampler *s, const struct snapshot *snap, int *flush_first)
{
	const unsigned breaks =
		DELTA_RESET | DELTA_RESTART | DELTA_CLOCK | DELTA_GAP | DELTA_EVICTED;
	int urgent = snap->n_texts > 0 || snap->settings != NULL || snap->catalog_ok ||
		     snap->role_settings_read;

	*flush_first = (s->delta_set.flags & breaks) != 0 || s->delta_set.n_entry_resets > 0;
	if (urgent || *flush_first || s->store_every <= 0 || s->stored_at == 0)
		return 1;
	/* a quarter of an interval early: a sample a little late still takes its turn */
	return now_mono() - s->stored_at >= s->store_every - s->interval / 4;
}

static void
on_sample(struct sampler *s, struct snapshot *snap)
{
	int i, stored = 0, flush_first = 0;

	delta_set_free(&s->delta_set);
	delta_compute(s->delta, snap, &s->delta_set);
	s->have_delta = 1;
	if (s->st != NULL && !s->lease)
		take_lease(s);
	if (s->st != NULL && s->lease && store_due(s, snap, &flush_first)) {
		if (flush_first)
			store_pending(s);
		if (s->lease)
			stored = store_one(s, snap) == 1;
	}
	/* settings are read again only after a reload: read them whole until they are stored */
	if (s->st != NULL && !stored && snap->settings != NULL)
		collect_settings_unstored(s->col);
	/* -n counts what the mode delivers: stored samples for --collect, the others shown */
	if (s->o->mode != MODE_COLLECT || s->st == NULL || stored)
		s->samples++;
	/* texts now stored (or, without a history, kept here) need not be read again */
	if (s->st == NULL || stored) {
		int64_t *ids = xcalloc((size_t)(snap->n_texts + 1), sizeof *ids);

		for (i = 0; i < snap->n_texts; i++)
			ids[i] = snap->texts[i].queryid;
		collect_texts_known(s->col, ids, snap->n_texts);
		free(ids);
	}
	/* the cache takes the texts over (a remembered miss is filled in) */
	for (i = 0; i < snap->n_texts; i++) {
		int at;

		if (!cache_find(&s->texts, snap->texts[i].queryid, &at))
			cache_put(&s->texts, snap->texts[i].queryid, snap->texts[i].query);
		else if (s->texts.texts[at] == NULL)
			s->texts.texts[at] = snap->texts[i].query;
		else
			continue;
		snap->texts[i].query = NULL;
	}
	if (s->snap != NULL) {
		snapshot_free(s->snap);
		free(s->snap);
	}
	s->snap = snap;
	/* without a history, or without its lease, nothing is pending */
	s->snap_stored = stored || s->st == NULL || !s->lease;
}

/* ---- the loop's side ---- */

struct sampler *
sampler_new(const struct options *o, struct store *st, const char *password, sampler_say_fn say_fn,
	    void *ctx)
{
	struct sampler *s = xcalloc(1, sizeof *s);
	struct conn_opts conn = o->conn;

	s->o = o;
	s->st = st;
	s->say_fn = say_fn;
	s->say_ctx = ctx;
	s->interval = o->interval;
	s->last_maintain_hour = -1;
	conn.password = password;
	s->col = collect_new(&conn, 5000);
	/* the sampler appends and looks up texts by key: a small page cache is enough */
	if (st != NULL)
		store_cache_kib(st, 256);
	s->delta = delta_new();
	s->store_delta = delta_new();
	/* --collect samples for the history, and --batch by default: each sample is stored */
	if (o->mode == MODE_COLLECT)
		s->store_every = 0;
	else if (o->history_interval > 0)
		s->store_every = o->history_interval;
	else
		s->store_every = o->mode == MODE_SCREEN ? DEFAULT_HISTORY_INTERVAL : 0;
	s->snap_stored = 1;
	collect_start(s->col, now_mono());
	return s;
}

void
sampler_free(struct sampler *s)
{
	if (s == NULL)
		return;
	store_pending(s);
	if (s->st != NULL && s->lease)
		store_lease_release(s->st, s->server_id);
	collect_free(s->col);
	delta_free(s->delta);
	delta_free(s->store_delta);
	delta_set_free(&s->delta_set);
	if (s->snap != NULL) {
		snapshot_free(s->snap);
		free(s->snap);
	}
	cache_free(&s->texts);
	free(s);
}

static int
idle(const struct sampler *s)
{
	return collect_connected(s->col) && !collect_sampling(s->col);
}

int
sampler_fd(const struct sampler *s)
{
	return sampler_events(s) ? collect_fd(s->col) : -1;
}

short
sampler_events(const struct sampler *s)
{
	if (collect_fd(s->col) < 0)
		return 0;
	return idle(s) ? POLLIN : collect_poll_events(s->col); /* idle: notice a close */
}

double
sampler_wake(const struct sampler *s)
{
	double wake = idle(s) ? s->next_sample : 0, dl = collect_deadline(s->col);

	if (idle(s) && wake == 0)
		wake = now_mono();
	if (dl > 0 && (wake == 0 || dl < wake))
		wake = dl;
	return wake;
}

unsigned
sampler_process(struct sampler *s, short revents)
{
	enum collect_event ev;
	const char *msg;
	unsigned out = 0;
	double now;

	collect_process(s->col, revents, now_mono());
	while ((ev = collect_next(s->col, &msg)) != COLLECT_NONE) {
		switch (ev) {
		case COLLECT_CONNECTED:
			on_connected(s, msg);
			s->heard_at = now_mono();
			out |= SAMPLER_STATE;
			break;
		case COLLECT_SAMPLE: {
			struct snapshot *snap = collect_take(s->col);

			s->heard_at = now_mono();
			if (snap != NULL) {
				on_sample(s, snap);
				out |= SAMPLER_SAMPLE;
			}
			break;
		}
		case COLLECT_LOST:
			store_pending(s); /* the time up to the last sample is kept */
			s->snap_stored = 1; /* and never stored after the gap */
			say(s, "%s", msg);
			if (s->st != NULL && s->lease && s->online) {
				struct pgt_err err = {{0}};

				store_event(s->st, s->server_id, now_wall(), "lost", msg, &err);
			}
			s->online = 0;
			delta_break(s->delta, DELTA_GAP);
			delta_break(s->store_delta, DELTA_GAP);
			out |= SAMPLER_STATE;
			break;
		case COLLECT_FAILED:
			say(s, "%s", msg);
			s->failed = 1;
			out |= SAMPLER_FAILED | SAMPLER_STATE;
			break;
		case COLLECT_WARNING:
		case COLLECT_SKIPPED:
			say(s, "%s", msg);
			break;
		case COLLECT_NONE:
			break;
		}
	}

	/* the next sample, on a fixed schedule; after a stall, start again from now */
	now = now_mono();
	if (idle(s) && now >= s->next_sample) {
		if (s->o->mode == MODE_COLLECT && s->st && !s->lease) {
			/* another process writes this server's history: wait for its lease */
			take_lease(s);
			if (!s->lease) {
				s->next_sample = now + s->interval;
				return out;
			}
		}
		if (collect_sample(s->col, now) == 0) {
			s->next_sample =
				s->next_sample == 0 ? now + s->interval : s->next_sample + s->interval;
			if (s->next_sample < now)
				s->next_sample = now + s->interval;
		}
	}
	return out;
}

int
sampler_needs_password(const struct sampler *s)
{
	return collect_needs_password(s->col);
}

void
sampler_retry(struct sampler *s, const char *password)
{
	s->failed = 0;
	collect_set_password(s->col, password);
	collect_start(s->col, now_mono());
}

enum sampler_state
sampler_state(const struct sampler *s)
{
	if (s->failed)
		return SAMPLER_DOWN;
	if (collect_connected(s->col) && s->online)
		return SAMPLER_CONNECTED;
	return s->ever_online ? SAMPLER_RECONNECTING : SAMPLER_CONNECTING;
}

int
sampler_attempt(const struct sampler *s)
{
	return collect_attempt(s->col);
}

int
sampler_busy(const struct sampler *s)
{
	return collect_sampling(s->col);
}

long
sampler_count(const struct sampler *s)
{
	return s->samples;
}

void
sampler_store_now(struct sampler *s)
{
	store_pending(s);
}

void
sampler_set_interval(struct sampler *s, double seconds)
{
	double now = now_mono();

	s->interval = seconds;
	if (s->next_sample > now + seconds)
		s->next_sample = now + seconds;
}

double
sampler_interval(const struct sampler *s)
{
	return s->interval;
}

const struct snapshot *
sampler_snapshot(const struct sampler *s)
{
	return s->snap;
}

const struct delta_set *
sampler_delta(const struct sampler *s)
{
	return s->have_delta ? &s->delta_set : NULL;
}

const struct server_info *
sampler_server(const struct sampler *s)
{
	return collect_server(s->col);
}

int64_t
sampler_server_id(const struct sampler *s)
{
	return s->server_id;
}

int
sampler_admin(struct sampler *s, int terminate, int pid)
{
	return collect_admin(s->col, terminate, pid, now_mono());
}
