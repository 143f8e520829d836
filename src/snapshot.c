#include "config.h"

#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

void
snapshot_free(struct snapshot *snap)
{
	int i;

	if (snap == NULL)
		return;
	for (i = 0; i < snap->n_activity; i++) {
		struct activity_row *a = &snap->activity[i];

		free(a->datname);
		free(a->usename);
		free(a->application_name);
		free(a->client_addr);
		free(a->backend_type);
		free(a->state);
		free(a->wait_event_type);
		free(a->wait_event);
		free(a->query);
		free(a->blocked_by);
	}
	for (i = 0; i < snap->n_databases; i++)
		free(snap->databases[i].datname);
	for (i = 0; i < snap->n_settings; i++) {
		free(snap->settings[i].name);
		free(snap->settings[i].setting);
		free(snap->settings[i].unit);
		free(snap->settings[i].source);
	}
	for (i = 0; i < snap->n_role_settings; i++) {
		free(snap->role_settings[i].datname);
		free(snap->role_settings[i].rolname);
		free(snap->role_settings[i].name);
		free(snap->role_settings[i].setting);
	}
	free(snap->role_settings);
	for (i = 0; i < snap->n_texts; i++)
		free(snap->texts[i].query);
	for (i = 0; i < snap->n_roles; i++)
		free(snap->roles[i].name);
	free(snap->roles);
	for (i = 0; i < snap->n_tables; i++) {
		free(snap->tables[i].schema);
		free(snap->tables[i].name);
		free(snap->tables[i].reloptions);
	}
	free(snap->tables);
	for (i = 0; i < snap->n_index_cols; i++) {
		free(snap->index_cols[i].index);
		free(snap->index_cols[i].am);
		free(snap->index_cols[i].attname);
	}
	free(snap->index_cols);
	for (i = 0; i < snap->n_colstats; i++)
		free(snap->colstats[i].attname);
	free(snap->colstats);
	free(snap->stmts);
	free(snap->activity);
	free(snap->databases);
	free(snap->settings);
	free(snap->texts);
	memset(snap, 0, sizeof *snap);
}

void
delta_set_free(struct delta_set *d)
{
	int i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n_databases; i++)
		free(d->databases[i].datname);
	free(d->stmts);
	free(d->databases);
	memset(d, 0, sizeof *d);
}

int
stmt_key_cmp(const struct stmt_row *a, const struct stmt_row *b)
{
	if (a->dbid != b->dbid)
		return a->dbid < b->dbid ? -1 : 1;
	if (a->userid != b->userid)
		return a->userid < b->userid ? -1 : 1;
	if (a->queryid != b->queryid)
		return a->queryid < b->queryid ? -1 : 1;
	if (a->toplevel != b->toplevel)
		return a->toplevel < b->toplevel ? -1 : 1;
	return 0;
}
