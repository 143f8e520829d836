/*
 * Alerts of the screen: a command the user configured (alert_command in the settings
 * file) run with the alert, for a mail or chat hook. It runs in the background, without
 * a shell, its output away from the terminal: argv is the command, the kind
 * ("recommendation", "anomaly", "reconnect") and the text; the environment has
 * PGMLTOP_ALERT_KIND, PGMLTOP_ALERT_ID and PGMLTOP_ALERT_TEXT.
 */
#ifndef PGMLTOP_ALERT_H
#define PGMLTOP_ALERT_H

/* Start the command; -1 with errno when it could not be started. */
int alert_run(const char *command, const char *kind, const char *id, const char *text);

/* Collect the commands that ended (call from the loop). */
void alert_reap(void);

#endif
