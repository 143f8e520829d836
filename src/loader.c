#include "config.h"

#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "params-load.h"
#include "report.h"

struct loader {
	struct store *st; /* used by the thread only, once it runs */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pipe_fd[2]; /* the thread writes a byte when a result is ready */

	/* under mu */
	int quit;
	int pending; /* a request waits for the thread */
	int running; /* the thread reads a request */
	unsigned want; /* generation of the latest request */
	enum loader_kind kind;
	int64_t server_id;
	int has_queryid;
	int64_t queryid;
	double from, to;
	double mem; /* LOADER_PARAMS */
	struct loader_export ex; /* LOADER_EXPORT (its ids owned) */
	int have_result;
	struct loader_result result;
};

void
loader_result_free(struct loader_result *r)
{
	store_statements_free(r->rows, r->n);
	store_stmt_series_free(&r->sums);
	free(r->pats);
	findings_free(r->finds, r->n_finds);
	if (r->report != NULL) {
		report_free(r->report);
		free(r->report);
	}
	params_model_free(&r->pm);
	forecast_free(&r->fc);
	memset(r, 0, sizeof *r);
}

void
loader_read_params(struct store *st, int64_t server_id, double from, double to, double mem_bytes,
		   struct loader_result *r)
{
	struct pgt_err err = {{0}};
	struct param_rules *pr = params_rules_new();
	double t0 = now_mono();

	r->kind = LOADER_PARAMS;
	r->from = from;
	r->to = to;
	params_rules_set_memory(pr, mem_bytes);
	/* a rule file that cannot be read: the settings without advice, and why */
	if (params_rules_load_default(pr, &err) < 0) {
		strlcpy_(r->warning, err.msg, sizeof r->warning);
		params_rules_free(pr);
		pr = NULL;
		err.msg[0] = '\0';
	}
	if (params_load(st, server_id, from, to, pr, &r->pm, &err) < 0) {
		r->failed = 1;
		strlcpy_(r->error, err.msg, sizeof r->error);
	} else {
		r->pm_ok = 1;
	}
	params_rules_free(pr);
	r->seconds = now_mono() - t0;
}

/* The N+1 findings in which the statement is the child or the parent. */
static int
add_nplusone(struct store *st, int64_t server_id, int64_t queryid, double from, double to,
	     struct loader_result *r, struct pgt_err *err)
{
	struct finding *finds = NULL;
	char parent[64];
	int n = 0, i;

	if (report_nplusone(st, server_id, from, to, &finds, &n, err) < 0)
		return -1;
	snprintf(parent, sizeof parent, "\"parent_queryid\": \"%lld\"", (long long)queryid);
	for (i = 0; i < n; i++) {
		if ((finds[i].has_queryid && finds[i].queryid == queryid) ||
		    (finds[i].evidence != NULL && strstr(finds[i].evidence, parent) != NULL)) {
			r->finds = xreallocarray(r->finds, (size_t)r->n_finds + 1, sizeof *r->finds);
			r->finds[r->n_finds++] = finds[i];
		} else {
			finding_free(&finds[i]);
		}
	}
	free(finds);
	return 0;
}

void
loader_read(struct store *st, enum loader_kind kind, int64_t server_id, int has_queryid,
	    int64_t queryid, double from, double to, struct loader_result *r)
{
	struct pgt_err err = {{0}};
	double t0 = now_mono();
	int failed;

	r->kind = kind;
	r->from = from;
	r->to = to;
	r->has_queryid = has_queryid;
	r->queryid = queryid;
	if (kind == LOADER_RECS) {
		long days = lround((to - from) / 86400.0);

		r->report = xcalloc(1, sizeof *r->report);
		failed = report_build_all(st, to, days > 0 ? days : 1, 0, 0, r->report, &err) < 0;
	} else if (kind == LOADER_WINDOW) {
		failed = store_sample_span(st, server_id, from, to, &r->samples, &r->first,
					   &r->last, &err) < 0 ||
			 store_statements_by_key(st, server_id, from, to, &r->rows, &r->n, &err) <
				 0;
	} else {
		/* whole hours: the one in progress is not rolled up yet */
		long long h0 = (long long)ceil(from / 3600), h1 = (long long)floor(to / 3600) - 1;

		failed = store_hour_sums(st, server_id, has_queryid, queryid, h0, h1, &r->sums,
					 &err) < 0;
		if (!failed)
			report_sums_analysis(&r->sums, has_queryid, queryid, &r->pats, &r->n_pats,
					     &r->finds, &r->n_finds, &r->note);
		if (!failed && has_queryid)
			failed = add_nplusone(st, server_id, queryid, from, to, r, &err) < 0;
		if (!failed && has_queryid) {
			failed = report_stmt_forecast(st, server_id, queryid, to,
						      (long)ceil((to - from) / 86400 - 1e-9), &r->fc,
						      &err) < 0;
			r->have_fc = !failed;
		}
	}
	if (failed) {
		r->failed = 1;
		strlcpy_(r->error, err.msg, sizeof r->error);
	}
	r->seconds = now_mono() - t0;
}

static void
wake(struct loader *l)
{
	char b = 1;
	ssize_t w;

	do
		w = write(l->pipe_fd[1], &b, 1);
	while (w < 0 && errno == EINTR);
	/* a full pipe already says that a result is ready */
}

static void *
run(void *arg)
{
	struct loader *l = arg;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		struct loader_result r;
		enum loader_kind kind;
		int64_t server_id, queryid;
		int has_queryid;
		double from, to, mem;

		while (!l->quit && !l->pending)
			pthread_cond_wait(&l->cv, &l->mu);
		if (l->quit)
			break;
		memset(&r, 0, sizeof r);
		r.generation = l->want;
		kind = l->kind;
		server_id = l->server_id;
		has_queryid = l->has_queryid;
		queryid = l->queryid;
		from = l->from;
		to = l->to;
		mem = l->mem;
		struct loader_export ex = l->ex;

		memset(&l->ex, 0, sizeof l->ex); /* the thread owns its ids now */
		l->pending = 0;
		l->running = 1;
		pthread_mutex_unlock(&l->mu);

		if (kind == LOADER_PARAMS) {
			loader_read_params(l->st, server_id, from, to, mem, &r);
		} else if (kind == LOADER_EXPORT) {
			struct pgt_err err = {{0}};
			long days = lround((to - from) / 86400.0);
			double t0 = now_mono();

			r.kind = kind;
			if (report_export(l->st, to, days > 0 ? days : 1, ex.format,
					  ex.csv_table[0] ? ex.csv_table : NULL, ex.ids, ex.n_ids,
					  ex.path, &err) < 0) {
				r.failed = 1;
				strlcpy_(r.error, err.msg, sizeof r.error);
			}
			strlcpy_(r.path, ex.path, sizeof r.path);
			r.seconds = now_mono() - t0;
			free(ex.ids);
		} else
			loader_read(l->st, kind, server_id, has_queryid, queryid, from, to, &r);

		pthread_mutex_lock(&l->mu);
		l->running = 0;
		if (r.generation == l->want && !l->pending) {
			loader_result_free(&l->result);
			l->result = r;
			l->have_result = 1;
			wake(l);
		} else {
			loader_result_free(&r); /* superseded while it was read */
		}
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* What loader_new made, once no thread runs. */
static void
release(struct loader *l)
{
	free(l->ex.ids);
	loader_result_free(&l->result);
	close(l->pipe_fd[0]);
	close(l->pipe_fd[1]);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	store_close(l->st);
	free(l);
}

struct loader *
loader_new(const char *path, struct pgt_err *err)
{
	struct loader *l = xcalloc(1, sizeof *l);
	int i;

	l->st = store_open(path, STORE_READONLY, err);
	if (l->st == NULL) {
		free(l);
		return NULL;
	}
	/* it reads long ranges once: a large page cache would only hold memory */
	store_cache_kib(l->st, 256);
	if (pipe(l->pipe_fd) < 0) {
		pgt_err_set(err, "cannot make a pipe: %s", strerror(errno));
		store_close(l->st);
		free(l);
		return NULL;
	}
	for (i = 0; i < 2; i++) {
		(void)fcntl(l->pipe_fd[i], F_SETFL, fcntl(l->pipe_fd[i], F_GETFL) | O_NONBLOCK);
		(void)fcntl(l->pipe_fd[i], F_SETFD, FD_CLOEXEC);
	}
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if (pthread_create(&l->thread, NULL, run, l) != 0) {
		pgt_err_set(err, "cannot start the thread that reads the history");
		release(l);
		return NULL;
	}
	return l;
}

void
loader_free(struct loader *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->quit = 1;
	if (l->running)
		store_interrupt(l->st);
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	release(l);
}

int
loader_fd(const struct loader *l)
{
	return l->pipe_fd[0];
}

static unsigned
request(struct loader *l, enum loader_kind kind, int64_t server_id, int has_queryid,
	int64_t queryid, double from, double to, double mem)
{
	unsigned g;

	pthread_mutex_lock(&l->mu);
	g = ++l->want;
	l->kind = kind;
	l->server_id = server_id;
	l->has_queryid = has_queryid;
	l->queryid = queryid;
	l->from = from;
	l->to = to;
	l->mem = mem;
	l->pending = 1;
	if (l->running)
		store_interrupt(l->st); /* its result would be dropped */
	if (l->have_result) {
		loader_result_free(&l->result);
		l->have_result = 0;
	}
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return g;
}

unsigned
loader_request(struct loader *l, int64_t server_id, double from, double to)
{
	return request(l, LOADER_WINDOW, server_id, 0, 0, from, to, NAN);
}

unsigned
loader_request_export(struct loader *l, const struct loader_export *ex, double from, double to)
{
	unsigned g;

	pthread_mutex_lock(&l->mu);
	free(l->ex.ids);
	l->ex = *ex;
	l->ex.ids = NULL;
	if (ex->n_ids > 0) {
		l->ex.ids = xcalloc((size_t)ex->n_ids, sizeof *l->ex.ids);
		memcpy(l->ex.ids, ex->ids, (size_t)ex->n_ids * sizeof *l->ex.ids);
	}
	pthread_mutex_unlock(&l->mu);
	g = request(l, LOADER_EXPORT, 0, 0, 0, from, to, NAN);
	return g;
}

unsigned
loader_request_recs(struct loader *l, double from, double to)
{
	return request(l, LOADER_RECS, 0, 0, 0, from, to, NAN);
}

unsigned
loader_request_series(struct loader *l, int64_t server_id, int has_queryid, int64_t queryid,
		      double from, double to)
{
	return request(l, LOADER_SERIES, server_id, has_queryid, queryid, from, to, NAN);
}

unsigned
loader_request_params(struct loader *l, int64_t server_id, double from, double to,
		      double mem_bytes)
{
	return request(l, LOADER_PARAMS, server_id, 0, 0, from, to, mem_bytes);
}

int
loader_take(struct loader *l, struct loader_result *out)
{
	char buf[64];
	int got = 0;

	while (read(l->pipe_fd[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&l->mu);
	if (l->have_result && l->result.generation == l->want) {
		*out = l->result;
		memset(&l->result, 0, sizeof l->result);
		l->have_result = 0;
		got = 1;
	}
	pthread_mutex_unlock(&l->mu);
	return got;
}

int
loader_busy(struct loader *l)
{
	int busy;

	pthread_mutex_lock(&l->mu);
	busy = l->pending || l->running;
	pthread_mutex_unlock(&l->mu);
	return busy;
}
