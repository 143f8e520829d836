/* The modes without a screen: --batch, --collect, --offline and --report. */
#ifndef PGMLTOP_RUN_H
#define PGMLTOP_RUN_H

#include "options.h"

/* Each returns the exit status. */
int run_sampling(const struct options *o);
int run_offline(const struct options *o);
int run_report(const struct options *o);
int run_simulate(const struct options *o);
int run_explain(const struct options *o); /* src/run-explain.c */
int run_mark(const struct options *o);    /* src/run-mark.c */

struct store;
/*
 * The history file of -H (or the default one), opened with STORE_* flags; NULL when it
 * cannot be used (the reason was said on stderr).
 */
struct store *run_open_history(const struct options *o, int flags);
/* Does the locale take UTF-8? */
int run_locale_utf8(void);

/* Ask for a password on the terminal, without echo. Returns a new string or NULL. */
char *run_prompt_password(const char *user);

struct sampler;
/* The password of -W, asked before connecting (NULL without -W; *failed on error). */
char *run_password_first(const struct options *o, int *failed);
/* Wait for the first connection, prompting for a password where that helps; 0 once up. */
int run_connect(struct sampler *sm, const struct options *o);
/* Set by SIGINT, SIGTERM and SIGHUP once run_install_signals() was called. */
int run_stop_requested(void);
void run_install_signals(void);

#endif
