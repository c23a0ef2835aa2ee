/* Inside monitor/: the keeper's short-lived children. The work that needs
 * the heavy libraries (probes, restore, the confirm countdown, reading
 * certificates) runs in the full oqlink, one process per job, so that the
 * keeper stays small and a probe that crashes or leaks takes only its own
 * process with it. Not a public header.
 *
 * A child is watched from the keeper's poll(): its stdout pipe and a pidfd
 * are in the poll set, it has a deadline after which its process group is
 * killed, and what it wrote and how it ended are kept for the caller. */
#ifndef OQ_MON_CHILD_H
#define OQ_MON_CHILD_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mon_child {
	pid_t pid;		/* 0: none running */
	int pidfd, out;		/* -1 when closed */
	char *buf;		/* what it wrote to stdout, NUL-terminated (owned) */
	size_t len, cap;
	int64_t started, deadline;	/* monotonic ms */
	bool killed;		/* its time ran out (or the keeper stopped) */
	bool overflow;		/* it wrote more than the keeper keeps */
	int status;		/* wait status, once it ended */
};

/* Start argv[0] (a path) with argv, stdin /dev/null, stdout a pipe to us,
 * stderr ours, default signals and an empty signal mask, in a process
 * group of its own; limit_ms from now it is killed. c must be idle
 * (mon_child_reset). Returns 0 or -errno with *cause. */
int mon_child_start(struct mon_child *c, char *const argv[], int64_t limit_ms, char **cause);
/* Whether a child runs (or has ended and is not collected yet). */
bool mon_child_busy(const struct mon_child *c);
/* Its two poll entries into p[0] and p[1] (fd -1 when closed or idle). */
void mon_child_pollfds(const struct mon_child *c, struct pollfd *p);
/* Milliseconds until its deadline (0 when past, -1 when idle). */
int64_t mon_child_left(const struct mon_child *c, int64_t now);
/* Read what is there, kill it when its time is out, reap it when it has
 * ended. True once it has ended and its output is complete: the caller
 * reads buf and status, then calls mon_child_reset. */
bool mon_child_step(struct mon_child *c, int64_t now);
/* Kill its process group now (the keeper stops). */
void mon_child_kill(struct mon_child *c);
/* Forget it (killing and reaping it first if it still runs); ready for the
 * next start. */
void mon_child_reset(struct mon_child *c);
/* How it ended, in words in the current language ("終了コード 0" /
 * "exit 0", "killed after 90 s", ...); a new string. */
char *mon_child_how(const struct mon_child *c, int64_t now);

#endif
