/*
 * What the libFuzzer targets share. The input is arbitrary bytes: the targets work on a
 * NUL-terminated copy (a NUL inside ends the text there, as it would for a C string read
 * from a file or a server).
 */
#ifndef PGMLTOP_FUZZ_H
#define PGMLTOP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated copy of the input; the caller frees it. */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A broken invariant: say which, and stop so that libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond)                                                                  \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                    \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* The source tree: $PGMLTOP_SRCDIR, else the one the target was built from. */
static inline const char *
fuzz_srcdir(void)
{
	const char *d = getenv("PGMLTOP_SRCDIR");

#ifdef FUZZ_SRCDIR
	if (d == NULL || *d == '\0')
		d = FUZZ_SRCDIR;
#endif
	return d != NULL && *d != '\0' ? d : ".";
}

/* The path of a file of the shipped data: $PGMLTOP_DATADIR/NAME, else the tree's data/NAME. */
static inline char *
fuzz_data_path(const char *name)
{
	const char *d = getenv("PGMLTOP_DATADIR");

	if (d != NULL && *d != '\0')
		return xasprintf("%s/%s", d, name);
	return xasprintf("%s/data/%s", fuzz_srcdir(), name);
}

#endif
