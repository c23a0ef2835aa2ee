/* The keeper's children: spawned with posix_spawn, watched through a pidfd
 * and their stdout pipe from the keeper's poll(), killed at a deadline. */
#include "monitor/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/util.h"

#define CHILD_OUT_MAX (8u << 20)	/* more than any round writes */

extern char **environ;

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int mon_child_start(struct mon_child *c, char *const argv[], int64_t limit_ms, char **cause)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int pfd[2], r;
	pid_t pid;

	/* A program that cannot be run is said at once, whether or not this
	 * libc's posix_spawn reports a failed exec (under valgrind it does not) */
	if (access(argv[0], X_OK) < 0)
		return cause_set(cause, errno, _("%s を起動できません: %s", "cannot start %s: %s"),
				 argv[0], i18n_strerror(errno));
	/* only our end does not block: the child writes as any program does */
	if (pipe2(pfd, O_CLOEXEC) < 0 || fcntl(pfd[0], F_SETFL, O_NONBLOCK) < 0)
		return cause_set(cause, errno, "pipe: %s", i18n_strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
				 POSIX_SPAWN_SETPGROUP);
	r = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		return cause_set(cause, r, _("%s を起動できません: %s", "cannot start %s: %s"),
				 argv[0], i18n_strerror(r));
	}
	c->pid = pid;
	c->out = pfd[0];
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);	/* works on a zombie too */
	c->len = 0;
	c->killed = c->overflow = false;
	c->status = 0;
	c->started = now_ms();
	c->deadline = c->started + limit_ms;
	if (c->buf == NULL) {
		c->cap = 4096;
		c->buf = xmalloc(c->cap);
	}
	c->buf[0] = '\0';
	return 0;
}

bool mon_child_busy(const struct mon_child *c)
{
	return c->pid > 0;
}

void mon_child_pollfds(const struct mon_child *c, struct pollfd *p)
{
	p[0] = (struct pollfd){ c->pid > 0 ? c->out : -1, POLLIN, 0 };
	p[1] = (struct pollfd){ c->pid > 0 ? c->pidfd : -1, POLLIN, 0 };
}

int64_t mon_child_left(const struct mon_child *c, int64_t now)
{
	if (c->pid <= 0)
		return -1;
	if (c->pidfd < 0)
		return 100;	/* no pidfd: look again soon */
	if (c->killed)
		return -1;	/* its pidfd says when it is gone */
	return c->deadline > now ? c->deadline - now : 0;
}

/* Read what the pipe holds now; closes it at EOF. */
static void drain(struct mon_child *c)
{
	for (;;) {
		ssize_t n;

		if (c->out < 0)
			return;
		if (c->cap - c->len < 4096) {
			if (c->cap >= CHILD_OUT_MAX) {
				c->overflow = true;
				mon_child_kill(c);
				fd_close(&c->out);
				return;
			}
			c->cap *= 2;
			c->buf = xrealloc(c->buf, c->cap);
		}
		n = read(c->out, c->buf + c->len, c->cap - c->len - 1);
		if (n > 0) {
			c->len += (size_t)n;
			c->buf[c->len] = '\0';
		} else if (n == 0) {
			fd_close(&c->out);
		} else if (errno != EINTR) {
			if (errno != EAGAIN)
				fd_close(&c->out);
			return;
		}
	}
}

void mon_child_kill(struct mon_child *c)
{
	if (c->pid <= 0 || c->killed)
		return;
	kill(-c->pid, SIGKILL);
	kill(c->pid, SIGKILL);
	c->killed = true;
}

bool mon_child_step(struct mon_child *c, int64_t now)
{
	int st;
	pid_t w;

	if (c->pid <= 0)
		return false;
	drain(c);
	if (now >= c->deadline)
		mon_child_kill(c);
	w = waitpid(c->pid, &st, WNOHANG);
	if (w != c->pid)
		return false;
	c->status = st;
	drain(c);	/* what it wrote before it ended */
	fd_close(&c->out);	/* a grandchild that kept it open is not waited for */
	fd_close(&c->pidfd);
	kill(-c->pid, SIGKILL);	/* and its group goes with it */
	c->pid = -c->pid;	/* ended: kept for mon_child_how until reset */
	return true;
}

void mon_child_reset(struct mon_child *c)
{
	if (c->pid > 0) {
		mon_child_kill(c);
		waitpid(c->pid, NULL, 0);	/* SIGKILL: it is gone at once */
	}
	fd_close(&c->out);
	fd_close(&c->pidfd);
	c->pid = 0;
	c->len = 0;
	if (c->buf)
		c->buf[0] = '\0';
}

char *mon_child_how(const struct mon_child *c, int64_t now)
{
	long long s = (long long)((now - c->started) / 1000);

	if (c->killed && c->overflow)
		return xasprintf(_("出力が多すぎるので %lld 秒で止めました",
				   "stopped after %lld s for writing too much"), s);
	if (c->killed)
		return xasprintf(_("時間切れで %lld 秒で止めました", "killed when its time ran out after %lld s"), s);
	if (WIFSIGNALED(c->status))
		return xasprintf(_("シグナル %d で %lld 秒で終わりました", "ended by signal %d after %lld s"),
				 WTERMSIG(c->status), s);
	return xasprintf(_("終了コード %d (%lld 秒)", "exit %d after %lld s"),
			 WEXITSTATUS(c->status), s);
}
