/*
 * options_parse, the command line, on any arguments: the input is split at NUL bytes
 * and newlines into argv (after "pgmltop"). It must return 0, 1 or -1, with a message for
 * -1, and a mode's values within their documented ranges.
 */
#include <unistd.h>

#include "fuzz.h"
#include "options.h"

#define MAX_ARGS 64

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* --help and --version print to standard output */
	if (freopen("/dev/null", "w", stdout) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	char *argv[MAX_ARGS + 2];
	int argc = 0, rc;
	size_t i, start = 0;
	struct options o;
	struct pgt_err err = {{0}};

	argv[argc++] = xstrdup("pgmltop");
	for (i = 0; i <= size && argc < MAX_ARGS; i++) {
		if (i == size || data[i] == '\0' || data[i] == '\n') {
			argv[argc++] = xstrndup(text + start, i - start);
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	memset(&o, 0, sizeof o);
	rc = options_parse(argc, argv, &o, &err);
	FUZZ_ASSERT(rc == 0 || rc == 1 || rc == -1);
	if (rc == -1)
		FUZZ_ASSERT(err.msg[0] != '\0');
	if (rc == 0) {
		FUZZ_ASSERT(o.interval > 0);
		FUZZ_ASSERT(o.days >= 1 && o.days <= 365);
		FUZZ_ASSERT(o.iterations >= 0 && o.top >= 0);
	}
	fflush(stdout);
	for (i = 0; i < (size_t)argc; i++)
		free(argv[i]);
	free(text);
	return 0;
}
