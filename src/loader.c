#include "config.h"

#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	int64_t server_id;
	double from, to;
	int have_result;
	struct loader_result result;
};

static void
result_clear(struct loader_result *r)
{
	store_statements_free(r->rows, r->n);
	memset(r, 0, sizeof *r);
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
		struct pgt_err err = {{0}};
		int64_t server_id;
		double t0;

		while (!l->quit && !l->pending)
			pthread_cond_wait(&l->cv, &l->mu);
		if (l->quit)
			break;
		memset(&r, 0, sizeof r);
		r.generation = l->want;
		server_id = l->server_id;
		r.from = l->from;
		r.to = l->to;
		l->pending = 0;
		l->running = 1;
		pthread_mutex_unlock(&l->mu);

		t0 = now_mono();
		if (store_sample_span(l->st, server_id, r.from, r.to, &r.samples, &r.first, &r.last,
				      &err) < 0 ||
		    store_statements_by_key(l->st, server_id, r.from, r.to, &r.rows, &r.n, &err) <
			    0) {
			r.failed = 1;
			strlcpy_(r.error, err.msg, sizeof r.error);
		}
		r.seconds = now_mono() - t0;

		pthread_mutex_lock(&l->mu);
		l->running = 0;
		if (r.generation == l->want && !l->pending) {
			result_clear(&l->result);
			l->result = r;
			l->have_result = 1;
			wake(l);
		} else {
			result_clear(&r); /* superseded while it was read */
		}
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* What loader_new made, once no thread runs. */
static void
release(struct loader *l)
{
	result_clear(&l->result);
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

unsigned
loader_request(struct loader *l, int64_t server_id, double from, double to)
{
	unsigned g;

	pthread_mutex_lock(&l->mu);
	g = ++l->want;
	l->server_id = server_id;
	l->from = from;
	l->to = to;
	l->pending = 1;
	if (l->running)
		store_interrupt(l->st); /* its result would be dropped */
	if (l->have_result) {
		result_clear(&l->result);
		l->have_result = 0;
	}
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return g;
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
