/* The modes without a screen: --batch, --collect, --offline and --report. */
#ifndef PGMLTOP_RUN_H
#define PGMLTOP_RUN_H

#include "options.h"

/* Each returns the exit status. */
int run_sampling(const struct options *o);
int run_offline(const struct options *o);
int run_report(const struct options *o);

/* Ask for a password on the terminal, without echo. Returns a new string or NULL. */
char *run_prompt_password(const char *user);

#endif
