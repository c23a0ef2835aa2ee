/* Background jobs: a child process with a pipe that the main loop polls, so
 * the screen never waits for a long action and every action can be
 * cancelled. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "tui/ui.h"

#define JOB_KILL_AFTER_MS 2000
#define JOB_MAX_LINE 65536

/* In the child: stdin from /dev/null, stdout and stderr to the pipe. */
static void child(int wfd, char *const argv[])
{
	int null = open("/dev/null", O_RDONLY);

	if (null >= 0)
		dup2(null, STDIN_FILENO);
	dup2(wfd, STDOUT_FILENO);
	dup2(wfd, STDERR_FILENO);
	if (wfd > STDERR_FILENO)
		close(wfd);
	setpgid(0, 0);
	execv(argv[0], argv);
	_exit(127);
}

struct ui_job *ui_job_start(const char *const argv[], char **cause)
{
	int p[2];
	pid_t pid;
	struct ui_job *j;
	size_t n = 0;
	char **copy;

	while (argv[n])
		n++;
	copy = xcalloc(n + 1, sizeof(*copy));
	for (size_t i = 0; i < n; i++)
		copy[i] = xstrdup(argv[i]);
	if (pipe2(p, O_CLOEXEC) < 0) {
		cause_set(cause, errno, "pipe: %s", i18n_strerror(errno));
		str_list_free(copy);
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		str_list_free(copy);
		cause_set(cause, e, "fork: %s", i18n_strerror(e));
		return NULL;
	}
	if (pid == 0)
		child(p[1], copy);
	setpgid(pid, pid);	/* also here: whichever runs first */
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	j = xcalloc(1, sizeof(*j));
	j->pid = pid;
	j->fd = p[0];
	j->status = -1;
	j->started_ms = now_ms();
	j->argv = copy;
	return j;
}

/* Hand every complete line in the buffer to fn; keep the rest. */
static void split_lines(struct ui_job *j, void (*fn)(void *, const char *), void *ctx, bool all)
{
	size_t start = 0;

	for (size_t i = 0; i < j->len; i++) {
		if (j->buf[i] != '\n')
			continue;
		j->buf[i] = '\0';
		fn(ctx, j->buf + start);
		start = i + 1;
	}
	if (all && start < j->len) {
		j->buf[j->len] = '\0';
		fn(ctx, j->buf + start);
		start = j->len;
	}
	memmove(j->buf, j->buf + start, j->len - start);
	j->len -= start;
}

bool ui_job_poll(struct ui_job *j, void (*fn)(void *ctx, const char *line), void *ctx)
{
	char chunk[4096];
	ssize_t r;

	while (j->fd >= 0) {
		r = read(j->fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;	/* EAGAIN: nothing more now */
		if (r == 0) {
			close(j->fd);
			j->fd = -1;
			break;
		}
		if (j->len + (size_t)r + 1 > JOB_MAX_LINE) {
			split_lines(j, fn, ctx, true);	/* an overlong line: hand it over cut */
		}
		j->buf = xrealloc(j->buf, j->len + (size_t)r + 1);
		memcpy(j->buf + j->len, chunk, (size_t)r);
		j->len += (size_t)r;
		split_lines(j, fn, ctx, false);
	}
	if (j->fd < 0 && j->len > 0)
		split_lines(j, fn, ctx, true);
	if (j->status < 0 && j->pid > 0) {
		int st;
		if (waitpid(j->pid, &st, WNOHANG) == j->pid) {
			j->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			j->pid = 0;
		} else if (j->killed_ms && now_ms() - j->killed_ms > JOB_KILL_AFTER_MS) {
			kill(-j->pid, SIGKILL);
		}
	}
	return j->status < 0 || j->fd >= 0;
}

void ui_job_cancel(struct ui_job *j)
{
	if (j == NULL || j->pid <= 0 || j->cancelled)
		return;
	j->cancelled = true;
	j->killed_ms = now_ms();
	kill(-j->pid, SIGTERM);
	kill(j->pid, SIGTERM);
}

void ui_job_free(struct ui_job *j)
{
	if (j == NULL)
		return;
	if (j->pid > 0) {
		kill(-j->pid, SIGKILL);
		kill(j->pid, SIGKILL);
		waitpid(j->pid, NULL, 0);
	}
	if (j->fd >= 0)
		close(j->fd);
	str_list_free(j->argv);
	free(j->buf);
	free(j);
}
