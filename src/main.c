#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "options.h"
#include "run.h"

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
	switch (o.mode) {
	case MODE_REPORT:
		return run_report(&o);
	case MODE_OFFLINE:
		return run_offline(&o);
	case MODE_SCREEN:
		/* the interactive screen is not part of this version: show the batch table */
		fputs("pgmltop: this version has no interactive screen yet; running --batch\n",
		      stderr);
		o.mode = MODE_BATCH;
		return run_sampling(&o);
	default:
		return run_sampling(&o);
	}
}
