#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "options.h"
#include "report.h"
#include "run.h"
#include "screen.h"

int
main(int argc, char **argv)
{
	struct options o;
	struct pgt_err err = {{0}};
	int rc;

	setlocale(LC_ALL, "");
	rc = options_parse(argc, argv, &o, &err);
	if (rc > 0)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "pgmltop: %s\nTry 'pgmltop --help' for more information.\n",
			err.msg);
		return 2;
	}
	report_set_peak_z(o.peak_z);
	report_set_server_memory(o.server_memory);
	switch (o.mode) {
	case MODE_REPORT:
		return run_report(&o);
	case MODE_SIMULATE:
		return run_simulate(&o);
	case MODE_EXPLAIN:
		return run_explain(&o);
	case MODE_MARK:
		return run_mark(&o);
	case MODE_OFFLINE:
		/* on a terminal, the screen; otherwise (a pipe, a file) the table */
		if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
			return screen_run(&o);
		return run_offline(&o);
	case MODE_SCREEN:
		return screen_run(&o);
	default:
		return run_sampling(&o);
	}
}
