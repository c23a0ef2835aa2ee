/* The IPv6 daemons of an IPoE uplink (docs/provision.md): dhcpcd for
 * DHCPv6-PD on the WAN, radvd for router advertisements on the terminal
 * segment, ndppd for the ND proxy of an RA-only /64 line. They are part of
 * the host state like addresses and routes: the site says which should run
 * with which config, the host says which run (pid file in run_dir/daemons,
 * the process alive under the program's name) with which config (the file
 * in state_dir/daemons), and the diff starts or stops them. A snapshot
 * taken before they ran puts them back to "not running".
 *
 * Each daemon runs in the foreground, detached (double fork, setsid), with
 * its output appended to run_dir/daemons/NAME.log. dhcpcd keeps its pid
 * file, control sockets and leases in fixed places (/run/dhcpcd,
 * /var/lib/dhcpcd): it gets a private mount namespace in which both are
 * oqlink's own directory, so that it never meets another dhcpcd's files.
 *
 * sshd ([lan] ssh = on) is one more: its config, written here, listens on
 * the LAN address only and takes the site's public keys only (a copy in
 * state_dir/daemons/sshd.keys); its host key is made once with ssh-keygen
 * and kept beside them, so that its fingerprint stays what the field
 * engineer wrote down. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/sshkey.h"
#include "core/util.h"
#include "provision/state.h"

#define DMN_START_WAIT_MS 20000		/* dhcpcd: the delegation may take a few RAs */
#define DMN_STOP_WAIT_MS 5000
#define DMN_POLL_MS 100
#define RADVD_MAX_INTERVAL 30		/* seconds between unsolicited RAs */

/* What each kind runs. */
static const struct {
	const char *prog;		/* path of the program */
	const char *comm;		/* its /proc/PID/comm */
	const char *own_pid;		/* the pid file it writes once it serves (run dir) */
} progs[] = {
	[PS_DHCPCD] = { "/usr/sbin/dhcpcd", "dhcpcd", NULL },
	[PS_RADVD] = { "/usr/sbin/radvd", "radvd", "radvd.pid" },
	[PS_NDPPD] = { "/usr/sbin/ndppd", "ndppd", NULL },
	[PS_SSHD] = { "/usr/sbin/sshd", "sshd", "sshd.pid" },
};

#define SSH_KEYGEN "/usr/bin/ssh-keygen"
#define SSHD_PRIVSEP_DIR "/run/sshd"	/* sshd's own, fixed at its build */
#define ARGV_MAX 16			/* arguments of a program we run, with its NULL */

const char *ps_daemon_prog(const struct ps_daemon *d)
{
	return progs[d->kind].comm;
}

/* ---- the state ---- */

void ps_daemon_clear(struct ps_daemon *d)
{
	free(d->conf_dir);
	free(d->run_dir);
	free(d->config);
	free(d->keys);
	memset(d, 0, sizeof(*d));
}

void ps_daemon_copy(struct ps_daemon *dst, const struct ps_daemon *src)
{
	*dst = *src;
	dst->conf_dir = src->conf_dir ? xstrdup(src->conf_dir) : NULL;
	dst->run_dir = src->run_dir ? xstrdup(src->run_dir) : NULL;
	dst->config = src->config ? xstrdup(src->config) : NULL;
	dst->keys = src->keys ? xstrdup(src->keys) : NULL;
}

/* Append a daemon slot to st; config NULL: it should not run. */
struct ps_daemon *ps_add_daemon(struct ps_state *st, enum ps_daemon_kind kind, const char *ifname,
				const char *conf_dir, const char *run_dir)
{
	st->daemons = xrealloc(st->daemons, (st->n_daemons + 1) * sizeof(*st->daemons));
	struct ps_daemon *d = &st->daemons[st->n_daemons++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	snprintf(d->ifname, sizeof(d->ifname), "%s", ifname);
	if (kind == PS_SSHD)	/* one for the box, whatever the interface */
		snprintf(d->name, sizeof(d->name), "%s", progs[kind].comm);
	else
		snprintf(d->name, sizeof(d->name), "%s-%s", progs[kind].comm, ifname);
	d->conf_dir = xstrdup(conf_dir);
	d->run_dir = xstrdup(run_dir);
	return d;
}

static char *dmn_path(const struct ps_daemon *d, bool conf, const char *ext)
{
	return xasprintf("%s/%s.%s", conf ? d->conf_dir : d->run_dir, d->name, ext);
}

/* ---- the WAN's prefix ---- */

/* The first global, preferred IPv6 address of ifname with a /64, from
 * /proc/net/if_inet6 (flags: no tentative, deprecated or DAD-failed). */
bool ps_if_prefix6(const char *ifname, struct oq_prefix *out)
{
	FILE *f = fopen("/proc/net/if_inet6", "re");
	char hex[33], name[PS_IFNAMSIZ + 1];
	unsigned idx, len, scope, flags;
	bool found = false;

	memset(out, 0, sizeof(*out));
	if (f == NULL)
		return false;
	while (!found && fscanf(f, "%32s %x %x %x %x %16s", hex, &idx, &len, &scope, &flags,
				name) == 6) {
		if (strcmp(name, ifname) != 0 || scope != 0 || len != 64 || (flags & 0x68))
			continue;
		out->family = AF_INET6;
		for (int i = 0; i < 16; i++) {
			unsigned byte;
			sscanf(hex + 2 * i, "%2x", &byte);
			out->addr[i] = (uint8_t)byte;
		}
		out->len = 64;
		*out = prefix_network(out);
		found = true;
	}
	fclose(f);
	return found;
}

/* ---- configs ---- */

static char *conf_dhcpcd(const struct site *s)
{
	return xasprintf("# Written by oqlink: DHCPv6 prefix delegation on %s, one /64 of it on %s.\n"
			 "# Router advertisements are the kernel's (accept_ra=2), not dhcpcd's.\n"
			 "ipv6only\n"
			 "noipv6rs\n"
			 "noup\n"
			 "script /bin/true\n"
			 "allowinterfaces %s\n"
			 "interface %s\n"
			 "\tia_pd 1 %s/%u/64\n",
			 s->wan_if, s->term_if, s->wan_if, s->wan_if, s->term_if, s->pd_subnet);
}

/* radvd on the terminal segment: the prefix given, or (NULL) every /64 on
 * the interface (the one dhcpcd put there). */
static char *conf_radvd(const struct site *s, const struct oq_prefix *p)
{
	char buf[64], *out, *dns = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		abort();
	fprintf(f, "# Written by oqlink: router advertisements on the terminal segment %s.\n"
		   "interface %s {\n"
		   "\tAdvSendAdvert on;\n"
		   "\tMaxRtrAdvInterval %d;\n"
		   "\tprefix %s {\n"
		   "\t\tAdvOnLink on;\n"
		   "\t\tAdvAutonomous on;\n"
		   "\t};\n",
		s->term_if, s->term_if, RADVD_MAX_INTERVAL, p ? prefix_str(p, buf, false) : "::/64");
	for (size_t i = 0; i < s->n_dns; i++)
		if (s->dns[i].family == AF_INET6) {
			char *n = xasprintf("%s%s%s", dns ? dns : "", dns ? " " : "",
					    prefix_str(&s->dns[i], buf, true));
			free(dns);
			dns = n;
		}
	if (dns)
		fprintf(f, "\tRDNSS %s {\n\t};\n", dns);
	fputs("};\n", f);
	fclose(f);
	free(dns);
	return out;
}

static char *conf_ndppd(const struct site *s, const struct oq_prefix *p)
{
	char buf[64];

	return xasprintf("# Written by oqlink: the line's /64 answered on %s for the hosts on %s.\n"
			 "proxy %s {\n"
			 "\trule %s {\n"
			 "\t\tiface %s\n"
			 "\t}\n"
			 "}\n",
			 s->wan_if, s->term_if, s->wan_if, prefix_str(p, buf, false), s->term_if);
}

/* Can name go into dhcpcd's, radvd's and ndppd's config files as a plain
 * word? Their grammars have no quoting: letters, digits, '_', '.', '-'. */
static bool conf_name_ok(const char *name)
{
	return name && name[0] && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					      "0123456789_.-") == strlen(name);
}

/* Where the daemons' configs (under state_dir) or pid files and logs
 * (under run_dir) are. */
static char *daemons_dir(const char *base)
{
	return xasprintf("%s/daemons", base);
}

/* The host key of sshd: made once, kept in conf_dir across restarts. */
static char *ssh_hostkey(const char *conf_dir)
{
	return xasprintf("%s/sshd.host_ed25519_key", conf_dir);
}

/* The site's public keys as sshd gets them, "TYPE BASE64" a line. The file
 * is read again (config check read it too), so that a line changed since
 * cannot hand sshd an option or a private key. */
static int ssh_keys_text(const struct site *s, char **out, char **cause)
{
	char *data = NULL, *line, *next, *why = NULL, *text = NULL;
	size_t len = 0, tlen = 0;
	unsigned n = 0, found = 0;
	bool nul;
	FILE *f;
	int r;

	*out = NULL;
	if ((r = file_read(s->ssh_keys, SSHKEY_FILE_MAX, &data, &len, cause)) < 0)
		return r;
	nul = strlen(data) != len;
	if ((f = open_memstream(&text, &tlen)) == NULL)
		abort();
	for (line = data, r = 0; r == 0 && line && *line; line = next) {
		struct sshkey_info k;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		n++;
		int v = sshkey_parse_line(line, &k, &why);
		if (v < 0)
			r = cause_set(cause, EINVAL, "%s:%u: %s", s->ssh_keys, n, why);
		else if (v == 0 && ++found)
			fprintf(f, "%s %.*s\n", k.type, (int)k.b64_len, line + k.b64_off);
	}
	fclose(f);
	if (r == 0 && (nul || found == 0))
		r = cause_set(cause, EINVAL, _("%s に公開鍵がありません", "%s holds no public key"),
			      s->ssh_keys);
	if (r == 0)
		*out = text;
	else
		free(text);
	free(data);
	free(why);
	return r;
}

/* A path sshd_config can hold in double quotes, read as it is: sshd
 * expands %-tokens in some paths. */
static bool sshd_path_ok(const char *path)
{
	return site_path_ok(path) && strchr(path, '%') == NULL;
}

/* sshd_config for the LAN address: keys only, root only, no forwarding
 * (the box must not become a way into the closed network). */
static char *conf_sshd(const struct site *s, const struct ps_daemon *d)
{
	struct oq_prefix a = s->lan_addr;
	char buf[64], *host = ssh_hostkey(d->conf_dir), *keys = dmn_path(d, true, "keys");
	char *pid = dmn_path(d, false, progs[PS_SSHD].own_pid), *out;

	a.len = a.family == AF_INET ? 32 : 128;
	out = xasprintf("# Written by oqlink: management over SSH on the LAN address, public keys only.\n"
			"# keys: %016" PRIx64 "\n"
			"ListenAddress %s\n"
			"Port 22\n"
			"HostKey \"%s\"\n"
			"PidFile \"%s\"\n"
			"AuthorizedKeysFile \"%s\"\n"
			"AuthenticationMethods publickey\n"
			"PubkeyAuthentication yes\n"
			"PubkeyAcceptedAlgorithms ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256\n"
			"PasswordAuthentication no\n"
			"KbdInteractiveAuthentication no\n"
			"HostbasedAuthentication no\n"
			"PermitEmptyPasswords no\n"
			"PermitRootLogin prohibit-password\n"
			"AllowUsers root\n"
			"UsePAM no\n"
			"StrictModes yes\n"
			"AllowTcpForwarding no\n"
			"AllowStreamLocalForwarding no\n"
			"AllowAgentForwarding no\n"
			"X11Forwarding no\n"
			"PermitTunnel no\n"
			"GatewayPorts no\n"
			"PermitUserEnvironment no\n"
			"MaxAuthTries 3\n"
			"LoginGraceTime 30\n"
			"ClientAliveInterval 60\n"
			"Subsystem sftp internal-sftp\n",
			fnv1a64(d->keys, strlen(d->keys)), prefix_str(&a, buf, true), host, pid, keys);
	free(host);
	free(keys);
	free(pid);
	return out;
}

/* sshd (StrictModes) takes a key file only when every directory above it
 * is root's and no one else may write it: find the first that is not, so
 * that plan says so instead of sshd refusing every login. */
static int sshd_dirs_ok(const char *dir, char **cause)
{
	char *p = xstrdup(dir), *slash;
	struct stat st;
	int r = 0;

	for (;;) {
		if (lstat(p[0] ? p : "/", &st) == 0 &&
		    (st.st_uid != 0 || (st.st_mode & 022) || !S_ISDIR(st.st_mode))) {
			char *clean = str_sanitize(p[0] ? p : "/");
			r = cause_set(cause, EPERM, _("sshd は root 以外も書き込めるディレクトリ %s の下の鍵を使いません。[paths] state_dir を root だけが書ける場所にしてください",
						      "sshd takes no keys below %s, a directory others than root may write: put [paths] state_dir where only root can write"),
				      clean);
			free(clean);
			break;
		}
		if ((slash = strrchr(p, '/')) == NULL || p[0] == '\0')
			break;
		*slash = '\0';
	}
	free(p);
	return r;
}

/* The sshd slot d: running with its config and keys when [lan] ssh = on. */
static int desired_sshd(const struct site *s, struct ps_daemon *d, char **cause)
{
	char *paths[] = { ssh_hostkey(d->conf_dir), dmn_path(d, true, "keys"),
			  dmn_path(d, false, progs[PS_SSHD].own_pid) };
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(paths) && r == 0; i++)
		if (s->ssh && !sshd_path_ok(paths[i])) {
			char *clean = str_sanitize(paths[i]);
			r = cause_set(cause, EINVAL, _("パス %s は sshd の設定に書けません (%% は使えません)",
						      "the path %s cannot go into sshd's config (no %%)"),
				      clean);
			free(clean);
		}
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		free(paths[i]);
	if (r < 0 || !s->ssh)
		return r;
	if (s->lan_addr.family == 0 || s->ssh_keys == NULL)
		return cause_set(cause, EINVAL, "%s", _("ssh = on には [lan] address と ssh_keys が要ります",
						       "ssh = on needs [lan] address and ssh_keys"));
	if ((r = sshd_dirs_ok(d->conf_dir, cause)) < 0 ||
	    (r = ssh_keys_text(s, &d->keys, cause)) < 0)
		return r;
	d->running = true;
	d->config = conf_sshd(s, d);
	return 0;
}

int ps_desired_daemons(const struct site *s, struct ps_state *st, bool *no_prefix, char **cause)
{
	bool ipoe = site_ipoe6(s);
	char *conf_dir = daemons_dir(s->state_dir), *run_dir = daemons_dir(s->run_dir);
	struct ps_daemon *dh, *nd, *ra = NULL;
	struct oq_prefix line = { 0 };
	size_t first = st->n_daemons;
	bool sep = s->segment == SITE_SEGMENT_SEPARATE && s->term_if;
	int r;

	*no_prefix = false;
	if (ipoe && (!conf_name_ok(s->wan_if) || !conf_name_ok(s->term_if))) {
		char *clean = str_sanitize(conf_name_ok(s->wan_if) ? s->term_if : s->wan_if);
		r = cause_set(cause, EINVAL, _("インターフェース名 '%s' は dhcpcd・radvd・ndppd の設定に書けません (英数字と _ . - だけ)",
						   "the interface name '%s' cannot go into the configs of dhcpcd, radvd and ndppd (letters, digits, _ . - only)"),
				  clean);
		free(clean);
		free(conf_dir);
		free(run_dir);
		return r;
	}
	/* every slot is in scope, so that one no longer wanted is stopped */
	ps_add_daemon(st, PS_DHCPCD, s->wan_if, conf_dir, run_dir);
	ps_add_daemon(st, PS_NDPPD, s->wan_if, conf_dir, run_dir);
	if (sep)
		ps_add_daemon(st, PS_RADVD, s->term_if, conf_dir, run_dir);
	ps_add_daemon(st, PS_SSHD, s->lan_if, conf_dir, run_dir);
	free(conf_dir);
	free(run_dir);
	dh = &st->daemons[first];
	nd = &st->daemons[first + 1];
	if (sep)
		ra = &st->daemons[first + 2];
	if ((r = desired_sshd(s, &st->daemons[st->n_daemons - 1], cause)) < 0)
		return r;
	if (!ipoe)
		return 0;
	if (s->prefix6 == SITE_PREFIX6_PD) {
		dh->running = true;
		dh->config = conf_dhcpcd(s);
		snprintf(dh->wait_if, sizeof(dh->wait_if), "%s", s->term_if);
		ra->running = true;
		ra->config = conf_radvd(s, NULL);
		return 0;
	}
	if (!ps_if_prefix6(s->wan_if, &line)) {
		*no_prefix = true;
		return 0;
	}
	nd->running = true;
	nd->config = conf_ndppd(s, &line);
	ra->running = true;
	ra->config = conf_radvd(s, &line);
	return 0;
}

/* ---- the host ---- */

/* The pid in the daemon's pid file if that process lives (not a zombie)
 * under the program's name; 0 otherwise. */
static pid_t dmn_pid(const struct ps_daemon *d)
{
	char *path = dmn_path(d, false, "pid"), *data = NULL, stat[512], comm[64];
	long pid = 0;
	size_t n;
	FILE *f;

	if (file_read(path, 64, &data, &n, NULL) == 0)
		pid = strtol(data, NULL, 10);
	free(path);
	free(data);
	if (pid <= 0 || pid > 1 << 22)
		return 0;
	snprintf(stat, sizeof(stat), "/proc/%ld/comm", pid);
	if ((f = fopen(stat, "re")) == NULL)
		return 0;
	n = fread(comm, 1, sizeof(comm) - 1, f);
	fclose(f);
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	if (strcmp(comm, progs[d->kind].comm) != 0)
		return 0;
	snprintf(comm, sizeof(comm), "/proc/%ld/stat", pid);
	if ((f = fopen(comm, "re")) == NULL)
		return 0;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	char *end = strrchr(stat, ')');
	return end && end[1] == ' ' && end[2] == 'Z' ? 0 : (pid_t)pid;
}

void ps_read_daemons(const struct ps_state *tmpl, struct ps_state *out)
{
	for (size_t i = 0; i < tmpl->n_daemons; i++) {
		const struct ps_daemon *t = &tmpl->daemons[i];
		struct ps_daemon *d = ps_add_daemon(out, t->kind, t->ifname, t->conf_dir, t->run_dir);
		char *path;
		size_t n;

		snprintf(d->wait_if, sizeof(d->wait_if), "%s", t->wait_if);
		d->running = dmn_pid(d) > 0;
		if (!d->running)
			continue;
		path = dmn_path(d, true, "conf");
		if (file_read(path, 1 << 16, &d->config, &n, NULL) < 0)
			d->config = NULL;
		free(path);
		if (d->kind != PS_SSHD)
			continue;
		path = dmn_path(d, true, "keys");
		if (file_read(path, SSHKEY_FILE_MAX, &d->keys, &n, NULL) < 0)
			d->keys = NULL;
		free(path);
	}
}

/* ---- starting and stopping ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* dhcpcd's fixed directories become dir (in a mount namespace of its own). */
static int private_dirs(const char *dir)
{
	static const char *const fixed[] = { "/run/dhcpcd", "/var/lib/dhcpcd" };

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
		if (mkdir_p(fixed[i], 0755, NULL) < 0 ||
		    mount(dir, fixed[i], NULL, MS_BIND, NULL) < 0)
			return -errno;
	}
	return 0;
}

/* The grandchild: the daemon itself. Reports an errno on fd if it cannot. */
static void dmn_exec(const struct ps_daemon *d, char *const argv[], const char *log,
		     const char *priv_dir, int fd)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	int err = 0;

	if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		err = errno;
	else if (priv_dir && private_dirs(priv_dir) < 0)
		err = errno;
	if (err == 0) {
		execv(progs[d->kind].prog, argv);
		err = errno;
	}
	if (write(fd, &err, sizeof(err)) != (ssize_t)sizeof(err))
		_exit(126);
	_exit(127);
}

/* Start argv detached; the daemon's pid, or -errno. */
static pid_t dmn_spawn(const struct ps_daemon *d, char *const argv[], const char *priv_dir,
		       char **cause)
{
	char *log = dmn_path(d, false, "log");
	int pfd[2], err = 0;
	pid_t child, pid = -1;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		free(log);
		return cause_set(cause, errno, "pipe: %s", i18n_strerror(errno));
	}
	fflush(stdout);
	fflush(stderr);
	if ((child = fork()) < 0) {
		err = errno;
		goto out;
	}
	if (child == 0) {
		close(pfd[0]);
		setsid();
		pid_t g = fork();
		if (g == 0)
			dmn_exec(d, argv, log, priv_dir, pfd[1]);
		if (write(pfd[1], &g, sizeof(g)) != (ssize_t)sizeof(g))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	pfd[1] = -1;
	if (read(pfd[0], &pid, sizeof(pid)) != (ssize_t)sizeof(pid) || pid <= 0)
		err = ECHILD;
	else if (read(pfd[0], &err, sizeof(err)) != (ssize_t)sizeof(err))
		err = 0;	/* end of file: the exec went through */
	waitpid(child, NULL, 0);
out:
	close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(log);
	if (err)
		return cause_set(cause, err, _("%s を起動できません: %s", "cannot start %s: %s"),
				 progs[d->kind].prog, i18n_strerror(err));
	return pid;
}

/* Has the daemon done what it is for? dhcpcd: a delegated /64 is on
 * wait_if; radvd: it wrote its own pid file (after reading its config and
 * opening its socket); ndppd: it runs. */
static bool dmn_ready(const struct ps_daemon *d)
{
	struct oq_prefix p;
	char *path;
	bool ok;

	switch (d->kind) {
	case PS_DHCPCD:
		return ps_if_prefix6(d->wait_if, &p);
	case PS_RADVD:
	case PS_SSHD:	/* its own pid file: written once it listens */
		path = dmn_path(d, false, progs[d->kind].own_pid);
		ok = access(path, F_OK) == 0;
		free(path);
		return ok;
	default:
		return true;
	}
}

static int dmn_stop(const struct ps_daemon *d, char **cause)
{
	pid_t pid = dmn_pid(d);
	char *path;

	if (pid > 0 && kill(pid, SIGTERM) == 0) {
		long waited = 0;
		while (dmn_pid(d) > 0 && waited < DMN_STOP_WAIT_MS) {
			sleep_ms(DMN_POLL_MS);
			waited += DMN_POLL_MS;
		}
		if (dmn_pid(d) > 0) {
			kill(pid, SIGKILL);
			while (dmn_pid(d) > 0 && waited < 2 * DMN_STOP_WAIT_MS) {
				sleep_ms(DMN_POLL_MS);
				waited += DMN_POLL_MS;
			}
		}
		if (dmn_pid(d) > 0)
			return cause_set(cause, EBUSY, _("%s (pid %d) が止まりません",
							 "%s (pid %d) does not stop"), d->name, (int)pid);
	}
	path = dmn_path(d, false, "pid");
	unlink(path);
	free(path);
	path = dmn_path(d, true, "conf");
	unlink(path);
	free(path);
	if (d->kind == PS_SSHD) {	/* the host key stays */
		path = dmn_path(d, true, "keys");
		unlink(path);
		free(path);
	}
	return 0;
}

/* Fill argv (room for ARGV_MAX) with copies of the arguments up to NULL. */
static void argv_set(char **argv, const char *first, ...)
{
	va_list ap;
	size_t n = 0;

	va_start(ap, first);
	for (const char *a = first; a && n < ARGV_MAX - 1; a = va_arg(ap, const char *))
		argv[n++] = xstrdup(a);
	va_end(ap);
	argv[n] = NULL;
}

/* Free what argv_set copied. */
static void argv_free(char **argv)
{
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
}

/* Run argv to its end, its standard error to log (NULL: /dev/null); with
 * out, its standard output (up to 4 KiB) into *out. 0 when it exits 0. */
static int run_prog(char *const argv[], const char *log, char **out, char **cause)
{
	int pfd[2] = { -1, -1 }, status = 0;
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (out && pipe2(pfd, O_CLOEXEC) < 0)
		return cause_set(cause, errno, "pipe: %s", i18n_strerror(errno));
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int err = log ? open(log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)
			      : null;
		if (null < 0 || err < 0 || dup2(null, 0) < 0 || dup2(out ? pfd[1] : null, 1) < 0 ||
		    dup2(err, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	if (out) {
		close(pfd[1]);
		while (pid > 0 && len < sizeof(buf) - 1 &&
		       (n = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
			len += (size_t)n;
		close(pfd[0]);
		buf[len] = '\0';
	}
	if (pid < 0)
		return cause_set(cause, errno, "fork: %s", i18n_strerror(errno));
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cause_set(cause, EIO, _("%s が失敗しました (終了コード %d)", "%s failed (exit status %d)"),
				 argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	if (out)
		*out = xstrdup(buf);
	return 0;
}

/* sshd's host key: made once (ed25519, no passphrase) when it is missing. */
static int ssh_hostkey_make(const struct ps_daemon *d, const char *log, char **cause)
{
	char *key = ssh_hostkey(d->conf_dir), *pub = xasprintf("%s.pub", key);
	char *argv[ARGV_MAX] = { 0 };
	int r = 0;

	if (access(key, F_OK) != 0 || access(pub, F_OK) != 0) {
		unlink(key);
		unlink(pub);
		argv_set(argv, SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "oqlink", "-f", key,
			 NULL);
		r = run_prog(argv, log, NULL, cause);
	}
	argv_free(argv);
	free(key);
	free(pub);
	return r;
}

int ps_ssh_fingerprint(const struct site *s, char **fp, char **cause)
{
	char *dir = daemons_dir(s->state_dir), *key = ssh_hostkey(dir);
	char *pub = xasprintf("%s.pub", key), *out = NULL;
	char *argv[ARGV_MAX] = { 0 };
	int r = 0;

	*fp = NULL;
	argv_set(argv, SSH_KEYGEN, "-l", "-E", "sha256", "-f", pub, NULL);
	if (access(pub, F_OK) == 0 && (r = run_prog(argv, NULL, &out, cause)) == 0) {
		/* "256 SHA256:base64 comment (ED25519)" */
		char *at = strstr(out, " SHA256:");
		if (at == NULL)
			r = cause_set(cause, EIO, _("%s の指紋を読めません", "cannot read the fingerprint of %s"),
				      pub);
		else
			*fp = xstrndup(at + 1, strcspn(at + 1, " \n"));
	}
	argv_free(argv);
	free(out);
	free(pub);
	free(key);
	free(dir);
	return r;
}

bool ps_sshd_running(const struct site *s)
{
	struct ps_state st = { 0 };
	char *conf_dir = daemons_dir(s->state_dir), *run_dir = daemons_dir(s->run_dir);
	bool running = dmn_pid(ps_add_daemon(&st, PS_SSHD, s->lan_if ? s->lan_if : "", conf_dir,
					     run_dir)) > 0;

	ps_state_clear(&st);
	free(conf_dir);
	free(run_dir);
	return running;
}

/* Write the config, start the daemon, record its pid, wait until ready. */
static int dmn_start(const struct ps_daemon *d, char **cause)
{
	char *conf = dmn_path(d, true, "conf"), *pidf = dmn_path(d, false, "pid");
	char *own_pid = progs[d->kind].own_pid ? dmn_path(d, false, progs[d->kind].own_pid) : NULL;
	char *keys = dmn_path(d, true, "keys"), *log = dmn_path(d, false, "log");
	char *priv = NULL, *num = NULL;
	char *argv[ARGV_MAX] = { 0 };
	long waited = 0;
	pid_t pid;
	int r;

	if ((r = dmn_stop(d, cause)) < 0)
		goto out;
	if ((r = mkdir_p(d->conf_dir, 0700, cause)) < 0 || (r = mkdir_p(d->run_dir, 0700, cause)) < 0)
		goto out;
	if ((r = file_write_atomic(conf, d->config, strlen(d->config), 0600, cause)) < 0)
		goto out;
	switch (d->kind) {
	case PS_DHCPCD:
		priv = xasprintf("%s/%s.dir", d->run_dir, d->name);
		if ((r = mkdir_p(priv, 0700, cause)) < 0)
			goto out;
		argv_set(argv, progs[d->kind].comm, "-B", "-f", conf, d->ifname, NULL);
		break;
	case PS_RADVD:
		unlink(own_pid);
		argv_set(argv, progs[d->kind].comm, "-n", "-m", "stderr", "-C", conf, "-p", own_pid,
			 NULL);
		break;
	case PS_NDPPD:
		argv_set(argv, progs[d->kind].comm, "-c", conf, NULL);
		break;
	case PS_SSHD:
		unlink(own_pid);
		if ((r = file_write_atomic(keys, d->keys ? d->keys : "", d->keys ? strlen(d->keys) : 0,
					   0600, cause)) < 0 ||
		    (r = mkdir_p(SSHD_PRIVSEP_DIR, 0755, cause)) < 0 ||
		    (r = ssh_hostkey_make(d, log, cause)) < 0)
			goto out;
		/* sshd re-executes itself for each connection: a full path */
		argv_set(argv, progs[d->kind].prog, "-D", "-e", "-f", conf, NULL);
		break;
	}
	if ((pid = dmn_spawn(d, argv, priv, cause)) < 0) {
		r = pid;
		goto out;
	}
	num = xasprintf("%d\n", (int)pid);
	if ((r = file_write_atomic(pidf, num, strlen(num), 0600, cause)) < 0) {
		kill(pid, SIGTERM);
		goto out;
	}
	while (!dmn_ready(d) && dmn_pid(d) > 0 && waited < DMN_START_WAIT_MS) {
		sleep_ms(DMN_POLL_MS);
		waited += DMN_POLL_MS;
	}
	if (dmn_pid(d) <= 0) {
		r = cause_set(cause, EIO, _("%s が終了しました (%s を見てください)",
					    "%s exited (see %s)"), d->name, log);
		dmn_stop(d, NULL);
	} else if (!dmn_ready(d)) {
		if (d->kind == PS_DHCPCD)
			r = cause_set(cause, ETIMEDOUT,
				      _("%s: %s に委任されたプレフィックスが %d 秒待っても付きません",
					"%s: no delegated prefix on %s after %d s"),
				      d->name, d->wait_if, DMN_START_WAIT_MS / 1000);
		else
			r = cause_set(cause, ETIMEDOUT, _("%s: %d 秒待っても準備ができません",
							  "%s: not ready after %d s"),
				      d->name, DMN_START_WAIT_MS / 1000);
		dmn_stop(d, NULL);
	}
out:
	free(conf);
	free(pidf);
	free(own_pid);
	free(keys);
	free(log);
	free(priv);
	free(num);
	argv_free(argv);
	return r;
}

int ps_daemon_run(const struct ps_daemon *d, bool start, char **cause)
{
	return start ? dmn_start(d, cause) : dmn_stop(d, cause);
}
