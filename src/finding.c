#include "config.h"

#include "finding.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
finding_init(struct finding *f)
{
	memset(f, 0, sizeof *f);
	f->from = f->to = NAN;
	f->observed = f->expected = f->low = f->high = NAN;
	f->severity_ratio = f->score = NAN;
	f->saving_ms_per_day = NAN;
}

void
finding_free(struct finding *f)
{
	free(f->title);
	free(f->detail);
	free(f->suggestion);
	free(f->evidence);
	f->title = f->detail = f->suggestion = f->evidence = NULL;
}

void
findings_free(struct finding *f, int n)
{
	int i;

	for (i = 0; i < n && f != NULL; i++)
		finding_free(&f[i]);
	free(f);
}
