/* The sandbox of the probes that parse what the network sends (DNS answers,
 * TLS servers, proxies, web pages, captured packets): once their sockets,
 * capture handle and files are open, they give up root for an unprivileged
 * user and, through a seccomp filter, the right to open files or run
 * programs. A hostile answer that found a bug in a parser gets a process
 * that can only talk on the sockets it was handed. */
#include "probes/probe.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <seccomp.h>

#include "core/util.h"

/* The user the probes drop to: a dedicated one when the system has it. */
static const char *const sandbox_users[] = { "_oqlink", "nobody" };

/* What a sandboxed probe may no longer do: open or create files, change
 * names in the file system, run programs, trace other processes. */
static const char *const sandbox_denied[] = {
	"open", "openat", "openat2", "creat", "open_by_handle_at", "name_to_handle_at",
	"execve", "execveat", "link", "linkat", "symlink", "symlinkat", "unlink", "unlinkat",
	"rename", "renameat", "renameat2", "mkdir", "mkdirat", "mknod", "mknodat", "truncate",
	"chmod", "fchmodat", "chown", "lchown", "fchownat", "chroot", "mount", "ptrace",
	"process_vm_writev",
};

/* setgroups, setgid, setuid to the sandbox user, with no way back. */
static int drop_root(char **cause)
{
	struct passwd *pw = NULL;
	uid_t uid;
	gid_t gid;

	for (size_t i = 0; pw == NULL && i < ARRAY_SIZE(sandbox_users); i++)
		pw = getpwnam(sandbox_users[i]);
	if (pw == NULL || pw->pw_uid == 0)
		return cause_set(cause, ENOENT, _("プローブを動かす一般ユーザ (nobody) がいません",
						  "no unprivileged user (nobody) to run the probe as"));
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return cause_set(cause, errno, _("root の権限を手放せません: %s",
						 "cannot give up root: %s"), i18n_strerror(errno));
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return cause_set(cause, EPERM, "%s", _("手放した root の権限を取り戻せてしまいます",
						       "root could be taken back after giving it up"));
	return 0;
}

/* The seccomp filter: everything allowed but sandbox_denied, which fails
 * with EACCES. */
static int deny_files(char **cause)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	int r = 0;

	if (f == NULL)
		return cause_set(cause, ENOMEM, "seccomp_init");
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(sandbox_denied); i++) {
		int nr = seccomp_syscall_resolve_name(sandbox_denied[i]);

		if (nr == __NR_SCMP_ERROR)
			continue;	/* not a system call on this architecture */
		r = seccomp_rule_add(f, SCMP_ACT_ERRNO(EACCES), nr, 0);
	}
	if (r == 0)
		r = seccomp_load(f);
	seccomp_release(f);
	if (r < 0)
		return cause_set(cause, -r, _("seccomp のフィルタを入れられません: %s",
					      "cannot install the seccomp filter: %s"), i18n_strerror(-r));
	return 0;
}

int probe_sandbox_enter(char **cause)
{
	int r;

	if (geteuid() == 0 && (r = drop_root(cause)) < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cause_set(cause, errno, "PR_SET_NO_NEW_PRIVS: %s", i18n_strerror(errno));
	return deny_files(cause);
}
