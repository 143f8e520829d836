/* The history file's schema, as the steps that migrate it forward. */
#ifndef PGMLTOP_STORE_SCHEMA_H
#define PGMLTOP_STORE_SCHEMA_H

/* 'pgml': PRAGMA application_id of a history file. */
#define STORE_APPLICATION_ID 0x70676d6c

/* How many steps there are: the newest schema version. */
int store_schema_count(void);
/* The SQL that takes the schema from from_version to from_version + 1. */
const char *store_schema_step(int from_version);

#endif
