#include "config.h"

#include "alert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int
alert_run(const char *command, const char *kind, const char *id, const char *text)
{
	pid_t pid;

	if (command == NULL || command[0] == '\0')
		return 0;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		char *argv[4];

		/* nothing of it reaches the screen */
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		setsid();
		setenv("PGMLTOP_ALERT_KIND", kind, 1);
		setenv("PGMLTOP_ALERT_ID", id, 1);
		setenv("PGMLTOP_ALERT_TEXT", text, 1);
		argv[0] = (char *)command;
		argv[1] = (char *)kind;
		argv[2] = (char *)text;
		argv[3] = NULL;
		execvp(command, argv);
		_exit(127);
	}
	return 0;
}

void
alert_reap(void)
{
	int st;

	while (waitpid(-1, &st, WNOHANG) > 0)
		;
}
