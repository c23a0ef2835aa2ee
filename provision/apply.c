/* plan, apply, confirm, rollback, recover: the safe way to change the host.
 *
 * Every change starts from a snapshot of what it may touch, written to a
 * journal before the first step. Undoing is not a list of inverse steps: it
 * is "make the host match the snapshot again", the same comparison plan
 * uses, so it also works after a kill -9 when nobody knows which steps ran.
 *
 * The confirm timer is a watcher process forked from apply (double fork,
 * setsid, stdio to /dev/null). It inherits the network namespace of the
 * apply, which is what the lab needs: `systemd-run` would start its unit in
 * the host's namespace and revert the wrong network. If the watcher dies
 * (or the box reboots), prov_recover() run by the next command finds the
 * expired deadline in SITE->run_dir/confirm.json and reverts instead. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"
#include "provision/state.h"

#define WATCH_POLL_MS 200

/* ---- steps and plans ---- */

static const char *const kind_names[] = {
	[PROV_FIREWALL] = "firewall",
	[PROV_FIREWALL_DEL] = "firewall-delete",
	[PROV_LINK] = "link",
	[PROV_ADDR_ADD] = "address-add",
	[PROV_ADDR_DEL] = "address-delete",
	[PROV_ROUTE_ADD] = "route-add",
	[PROV_ROUTE_DEL] = "route-delete",
	[PROV_SYSCTL] = "sysctl",
	[PROV_CHARON_LOAD] = "charon-load",
	[PROV_CHARON_UNLOAD] = "charon-unload",
	[PROV_DAEMON_START] = "daemon-start",
	[PROV_DAEMON_STOP] = "daemon-stop",
};

const char *prov_kind_name(enum prov_kind k)
{
	return (size_t)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "?";
}

/* A step's state as the current language writes it: the plan keeps the
 * language-neutral words ("not loaded", "loaded", "differs: KEY, ..."). */
static char *state_text(const char *s)
{
	if (strcmp(s, "not loaded") == 0)
		return xstrdup(_("未読み込み", "not loaded"));
	if (strcmp(s, "loaded") == 0)
		return xstrdup(_("読み込み済み", "loaded"));
	if (str_has_prefix(s, "differs: "))
		return xasprintf(_("相違: %s", "differs: %s"), s + strlen("differs: "));
	return xstrdup(s);
}

char *prov_step_text(const struct prov_step *st)
{
	const char *o = st->object, *f = st->from ? st->from : "-", *t = st->to ? st->to : "-";

	switch (st->kind) {
	case PROV_FIREWALL:
		return xasprintf(_("ファイアウォール (nftables の %s) を読み込む", "load the firewall (nftables %s)"), o);
	case PROV_FIREWALL_DEL:
		return xasprintf(_("ファイアウォール (nftables の %s) を削除する", "remove the firewall (nftables %s)"), o);
	case PROV_LINK:
		return xasprintf(_("インターフェース %s を設定する (%s → %s)", "set interface %s (%s → %s)"), o, f, t);
	case PROV_ADDR_ADD:
		return xasprintf(_("アドレス %s を追加する", "add address %s"), o);
	case PROV_ADDR_DEL:
		return xasprintf(_("アドレス %s を削除する", "remove address %s"), o);
	case PROV_ROUTE_ADD:
		return xasprintf(_("経路 %s を追加する", "add route %s"), o);
	case PROV_ROUTE_DEL:
		return xasprintf(_("経路 %s を削除する", "remove route %s"), o);
	case PROV_SYSCTL:
		return xasprintf(_("カーネル設定 %s を変更する (%s → %s)", "set kernel setting %s (%s → %s)"), o, f, t);
	case PROV_CHARON_LOAD: {
		char *fs = state_text(f), *ts = state_text(t);
		char *out = xasprintf(_("charon に接続 %s を読み込む (%s → %s)",
					"load connection %s into charon (%s → %s)"), o, fs, ts);
		free(fs);
		free(ts);
		return out;
	}
	case PROV_CHARON_UNLOAD:
		return xasprintf(_("charon から接続 %s を外す", "unload connection %s from charon"), o);
	case PROV_DAEMON_START:
		if (strcmp(f, "stopped") == 0)
			return xasprintf(_("%s を起動する", "start %s"), o);
		return xasprintf(_("%s を新しい設定で起動し直す", "restart %s with its new config"), o);
	case PROV_DAEMON_STOP:
		return xasprintf(_("%s を止める", "stop %s"), o);
	}
	return xstrdup(o);
}

void prov_plan_free(struct prov_plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_steps; i++) {
		free(p->steps[i].object);
		free(p->steps[i].from);
		free(p->steps[i].to);
		ps_step_priv_free(p->steps[i].priv);
	}
	free(p->steps);
	str_list_free(p->notes);
	free(p);
}

static void add_note(struct prov_plan *p, char *note)
{
	p->notes = xrealloc(p->notes, (p->n_notes + 2) * sizeof(*p->notes));
	p->notes[p->n_notes++] = note;
	p->notes[p->n_notes] = NULL;
}

/* Move the steps of src to the end of dst; src is freed. */
static void plan_append(struct prov_plan *dst, struct prov_plan *src)
{
	dst->steps = xrealloc(dst->steps, (dst->n_steps + src->n_steps + 1) * sizeof(*dst->steps));
	if (src->n_steps)
		memcpy(dst->steps + dst->n_steps, src->steps, src->n_steps * sizeof(*src->steps));
	dst->n_steps += src->n_steps;
	src->n_steps = 0;
	prov_plan_free(src);
}

struct json_object *prov_plan_to_json(const struct prov_plan *p)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	for (size_t i = 0; i < p->n_steps; i++) {
		const struct prov_step *st = &p->steps[i];
		struct json_object *x = json_object_new_object();
		char *t = prov_step_text(st);
		json_object_object_add(x, "step", json_object_new_int((int)i + 1));
		json_object_object_add(x, "kind", json_object_new_string(prov_kind_name(st->kind)));
		json_object_object_add(x, "object", json_object_new_string(st->object));
		json_object_object_add(x, "from", st->from ? json_object_new_string(st->from) : NULL);
		json_object_object_add(x, "to", st->to ? json_object_new_string(st->to) : NULL);
		json_object_object_add(x, "text", json_object_new_string(t));
		json_object_array_add(a, x);
		free(t);
	}
	json_object_object_add(o, "changes", json_object_new_int((int)p->n_steps));
	json_object_object_add(o, "steps", a);
	a = json_object_new_array();
	for (size_t i = 0; i < p->n_notes; i++)
		json_object_array_add(a, json_object_new_string(p->notes[i]));
	json_object_object_add(o, "notes", a);
	return o;
}

/* ---- charon ---- */

/* Is charon in the scope of this site? Only an ipsec site loads anything. */
static bool charon_scope(const struct site *s)
{
	return s->line == SITE_LINE_IPSEC && s->vici_socket != NULL;
}

/* What differs between the connection loaded and the site: by the record
 * of what oqlink sent (every key, proposals and credentials included), or,
 * without one, by what list-conns reports. NULL when nothing does. */
static char **charon_diff(const struct site *s, const struct ipsec_conn *want,
			  const struct ipsec_conn *have)
{
	struct json_object *had = ipsec_load_record_read(s), *now;
	char **diff;

	if (had == NULL)
		return ipsec_conn_diff(want, have);
	now = ipsec_load_record(s, NULL);
	if (now == NULL) {
		json_object_put(had);
		return str_split_list("connection", &(size_t){ 0 });
	}
	diff = ipsec_load_record_diff(now, had);
	json_object_put(now);
	json_object_put(had);
	return diff;
}

/* The charon step of a plan for s, if any. */
static void plan_charon(const struct site *s, struct prov_plan *p)
{
	struct ipsec_conn want, have;
	bool loaded = false;
	char *why = NULL, **diff;

	if (!charon_scope(s))
		return;
	if (ipsec_conn_from_site(s, &want, &why) < 0) {
		add_note(p, xasprintf("%s", why));
		free(why);
		return;
	}
	if (ipsec_conn_query(s->vici_socket, &have, &loaded, &why) < 0) {
		add_note(p, xasprintf(_("charon に問い合わせられません (%s)。接続を読み込む手順で失敗します",
					"charon cannot be asked (%s): apply will fail at the step that loads the connection"),
				      why));
		free(why);
		ps_push(p, PROV_CHARON_LOAD, xstrdup(IPSEC_CONN_NAME), xstrdup("?"), xstrdup("loaded"));
		ipsec_conn_clear(&want);
		return;
	}
	diff = loaded ? charon_diff(s, &want, &have) : NULL;
	if (!loaded || diff) {
		char *from = loaded ? xstrdup("differs: ") : xstrdup("not loaded");
		for (size_t i = 0; diff && diff[i]; i++) {
			char *n = xasprintf("%s%s%s", from, i ? ", " : "", diff[i]);
			free(from);
			from = n;
		}
		ps_push(p, PROV_CHARON_LOAD, xstrdup(IPSEC_CONN_NAME), from, xstrdup("loaded"));
	}
	str_list_free(diff);
	ipsec_conn_clear(&want);
	ipsec_conn_clear(&have);
}

/* Run a charon step. A load with a text loads that config (a restore). */
static int charon_step(const struct site *s, const struct prov_step *st, char **cause)
{
	const char *text = ps_step_get_text(st);
	struct site_diags d = { 0 };
	struct site *other = NULL;
	int r;

	if (st->kind == PROV_CHARON_UNLOAD)
		return ipsec_unload(s, cause);
	if (text) {
		other = site_load_string("snapshot", text, false, &d);
		site_diags_free(&d);
		if (other == NULL)
			return cause_set(cause, EINVAL, "%s",
					 _("以前の設定を読めません", "cannot read the earlier config"));
	}
	r = ipsec_load(other ? other : s, cause);
	site_free(other);
	return r;
}

static int run_step(const struct site *s, const struct prov_step *st, char **cause)
{
	if (st->kind == PROV_CHARON_LOAD || st->kind == PROV_CHARON_UNLOAD)
		return charon_step(s, st, cause);
	return ps_step_run(st, cause);
}

/* ---- plan ---- */

/* With [lan] ssh = on: the host key's fingerprint, for the engineer to
 * compare at the first login, or that apply makes the key. */
static void plan_ssh_note(const struct site *s, struct prov_plan *p)
{
	char *fp = NULL, *cause = NULL;

	if (ps_ssh_fingerprint(s, &fp, &cause) < 0)
		add_note(p, xasprintf(_("SSH のホスト鍵の指紋を読めません: %s",
					"cannot read the SSH host key's fingerprint: %s"), cause));
	else if (fp)
		add_note(p, xasprintf(_("SSH のホスト鍵の指紋: %s (初めてログインするときに照らし合わせてください)",
					"SSH host key fingerprint: %s (compare it at the first login)"), fp));
	else
		add_note(p, xstrdup(_("SSH のホスト鍵は apply が作ります。指紋は oqlink status が示します",
				      "apply makes the SSH host key; oqlink status shows its fingerprint")));
	free(fp);
	free(cause);
}

/* The plan for s from the host state cur; fails when a link is missing. */
static int make_plan(const struct site *s, const struct ps_state *want, const struct ps_state *cur,
		     struct prov_plan **out, char **cause)
{
	struct prov_plan *p = xcalloc(1, sizeof(*p));

	for (size_t i = 0; i < cur->n_links; i++)
		if (!cur->links[i].exists) {
			free(p);
			return cause_set(cause, ENODEV, _("インターフェース %s がありません",
							  "there is no interface %s"),
					 cur->links[i].name);
		}
	ps_diff(cur, want, false, p);
	plan_charon(s, p);
	if (s->wan_mode == SITE_ADDR_DHCP)
		add_note(p, xstrdup(_("WAN の IPv4 は DHCP です。アドレスと既定経路はシステムの DHCP クライアント (dhclient など) に任せ、oqlink は設定しません (DHCP の応答だけを通します)",
				      "the WAN gets IPv4 by DHCP: its address and default route are left to the system's DHCP client (dhclient or the like); oqlink sets neither and only lets DHCP replies in")));
	if (s->wan6_mode == SITE_ADDR6_RA)
		add_note(p, xstrdup(_("WAN の IPv6 はルーター広告 (RA) から得ます (accept_ra=2)",
				      "the WAN takes IPv6 from router advertisements (accept_ra=2)")));
	if (want->no_prefix6)
		add_note(p, xstrdup(_("WAN にまだ RA の /64 がありません。ND プロキシと端末セグメントの RA は、WAN が RA を受けたあとの apply で始めます",
				      "the WAN has no /64 from router advertisements yet: the ND proxy and the terminal segment's RA start with an apply after the WAN took one")));
	if (s->ssh)
		plan_ssh_note(s, p);
	if (s->line == SITE_LINE_IPSEC)
		add_note(p, xstrdup(_("トンネルの経路は charon が自分で入れます (経路表 220)。oqlink は触らず、トンネルが落ちても中央への通信が平文で出ないよう main 表に unreachable 経路だけを置きます",
				      "charon installs the tunnel's routes itself (table 220); oqlink leaves them alone and only puts unreachable routes for the central prefixes in table main, so that central traffic never leaves in clear when the tunnel is down")));
	*out = p;
	return 0;
}

/* The desired state of s and the host read in its scope. */
static int read_both(const struct site *s, struct ps_state *want, struct ps_state *cur, char **cause)
{
	int r = ps_desired(s, want, cause);

	if (r < 0)
		return r;
	r = ps_read(want, cur, cause);
	if (r < 0)
		ps_state_clear(want);
	return r;
}

int prov_plan(const struct site *s, struct prov_plan **out, char **cause)
{
	struct ps_state want, cur;
	int r;

	*out = NULL;
	if ((r = read_both(s, &want, &cur, cause)) < 0)
		return r;
	r = make_plan(s, &want, &cur, out, cause);
	ps_state_clear(&want);
	ps_state_clear(&cur);
	return r;
}

/* ---- files: lock, journal, confirm ---- */

static char *path_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* Take the lock in run_dir; -EBUSY when another oqlink holds it and wait is
 * false. Returns the descriptor. */
static int lock_take(const struct site *s, bool wait, char **cause)
{
	char *path;
	int fd, r;

	if ((r = mkdir_p(s->run_dir, 0750, cause)) < 0)
		return r;
	path = path_in(s->run_dir, "lock");
	fd = file_open_private(path, O_RDWR | O_CREAT, 0600, cause);
	free(path);
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		r = errno == EWOULDBLOCK ? EBUSY : errno;
		close(fd);
		return cause_set(cause, r, "%s", _("別の oqlink が設定を変更中です",
						   "another oqlink is changing the configuration"));
	}
	return fd;
}

static void lock_drop(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int json_file_write(const char *path, struct json_object *o, char **cause)
{
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	return file_write_atomic(path, t, strlen(t), 0600, cause);
}

/* Append a line to the journal's progress log (no fsync: recovery needs
 * only the snapshot, the log says how far the apply got). */
static void journal_note(const struct site *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void journal_note(const struct site *s, const char *fmt, ...)
{
	char *path = path_in(s->state_dir, "journal.log");
	int fd = file_open_private(path, O_WRONLY | O_CREAT | O_APPEND, 0600, NULL);
	FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
	va_list ap;

	free(path);
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static void journal_remove(const struct site *s)
{
	char *p = path_in(s->state_dir, "journal.json"), *l = path_in(s->state_dir, "journal.log");

	unlink(l);
	unlink(p);
	free(p);
	free(l);
}

/* ---- snapshot and restore ---- */

/* Take the snapshot: the host in the scope of want, and charon. */
static void snapshot_charon(const struct site *s, struct ps_state *snap)
{
	struct ipsec_loaded l;
	struct prov_history_row row;
	bool found;

	if (!charon_scope(s) || ipsec_loaded_query(s, &l, NULL) < 0)
		return;
	snap->charon_checked = true;
	snap->charon_loaded = l.conn;
	if (l.conn && hist_find(s, "applied,confirmed,pending", &row, &found, NULL) == 0 && found) {
		snap->charon_config = row.config;
		row.config = NULL;
		hist_row_clear(&row);
	}
}

/* Make the host match snap again. applied: the site whose changes are
 * being undone (for charon). Runs every step even when one fails, then
 * checks that nothing is left. */
static int restore(const struct site *applied, const struct ps_state *snap, char **cause)
{
	struct ps_state cur;
	struct prov_plan *p = xcalloc(1, sizeof(*p)), *rest = xcalloc(1, sizeof(*p));
	int r, first = 0;
	char *why = NULL;

	if (snap->charon_checked) {
		if (snap->charon_loaded && snap->charon_config) {
			struct prov_step *st = ps_push(p, PROV_CHARON_LOAD, xstrdup(IPSEC_CONN_NAME),
						       NULL, xstrdup("loaded"));
			ps_step_set_text(st, snap->charon_config);
		} else if (!snap->charon_loaded) {
			struct ipsec_loaded l;
			if (ipsec_loaded_query(applied, &l, NULL) == 0 &&
			    (l.conn || l.authority || l.key || l.psk))
				ps_push(p, PROV_CHARON_UNLOAD, xstrdup(IPSEC_CONN_NAME),
					xstrdup("loaded"), NULL);
		}
	}
	if ((r = ps_read(snap, &cur, cause)) < 0) {
		prov_plan_free(p);
		prov_plan_free(rest);
		return r;
	}
	ps_diff(&cur, snap, true, rest);
	ps_state_clear(&cur);
	plan_append(p, rest);
	for (size_t i = 0; i < p->n_steps; i++) {
		r = run_step(applied, &p->steps[i], first ? NULL : &why);
		if (r < 0 && first == 0)
			first = r;
	}
	prov_plan_free(p);
	if (first < 0) {
		r = cause_set(cause, -first, _("元に戻せませんでした: %s", "could not restore: %s"),
			      why);
		free(why);
		return r;
	}
	/* verify */
	if ((r = ps_read(snap, &cur, cause)) < 0)
		return r;
	p = xcalloc(1, sizeof(*p));
	ps_diff(&cur, snap, true, p);
	ps_state_clear(&cur);
	if (p->n_steps) {
		char *t = prov_step_text(&p->steps[0]);
		r = cause_set(cause, EIO, _("元に戻したあとも差が残っています: %s",
					    "a difference remains after restoring: %s"), t);
		free(t);
	}
	prov_plan_free(p);
	return r;
}

/* Restore a snapshot given as JSON text. */
static int restore_json(const struct site *applied, const char *json, char **cause)
{
	struct json_object *o = json ? json_tokener_parse(json) : NULL;
	struct ps_state snap;
	int r;

	if (o == NULL)
		return cause_set(cause, EINVAL, "%s", _("スナップショットがありません",
						       "there is no snapshot"));
	r = ps_state_from_json(o, &snap, cause);
	json_object_put(o);
	if (r < 0)
		return r;
	r = restore(applied, &snap, cause);
	ps_state_clear(&snap);
	return r;
}

/* The site a history row or journal applied, or NULL (use the current). */
static struct site *site_of(const char *config)
{
	struct site_diags d = { 0 };
	struct site *s = config ? site_load_string("history", config, false, &d) : NULL;

	site_diags_free(&d);
	return s;
}

/* ---- confirm ---- */

static void pending_remove(const struct site *s)
{
	char *path = path_in(s->run_dir, "confirm.json");
	unlink(path);
	free(path);
}

/* Whether a watcher runs: a killed one that nobody reaped yet (a zombie,
 * where the init does not reap) does not. */
static bool pid_alive(pid_t pid)
{
	char path[32], buf[512], *end;
	size_t n = 0;
	FILE *f;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	end = strrchr(buf, ')');	/* "PID (COMM) STATE ..." */
	return end == NULL || end[1] != ' ' || end[2] != 'Z';
}

/* Undo history row id (statuses it may have) and mark it new_status. */
static int undo_row(const struct site *s, const char *statuses, long want_id,
		    const char *new_status, long *id, char **cause)
{
	struct prov_history_row row;
	struct site *applied;
	bool found;
	int r;

	if ((r = hist_find(s, statuses, &row, &found, cause)) < 0)
		return r;
	if (!found || (want_id && row.id != want_id)) {
		hist_row_clear(&row);
		return cause_set(cause, ENOENT, "%s", _("戻せる適用がありません",
						       "there is no apply to undo"));
	}
	applied = site_of(row.config);
	r = restore_json(applied ? applied : s, row.before, cause);
	if (r == 0)
		r = hist_set_status(s, row.id, new_status, cause);
	if (id)
		*id = row.id;
	site_free(applied);
	hist_row_clear(&row);
	return r;
}

/* The watcher: wait for the deadline unless the confirm file goes away or
 * names another apply, then revert. Runs in the grandchild. */
static void watch(const struct site *s, long id, int64_t deadline)
{
	struct pending p;
	int fd;

	for (;;) {
		if (!pending_read(s, &p) || p.id != id)
			return;
		if ((int64_t)time(NULL) >= deadline)
			break;
		struct timespec ts = { 0, WATCH_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
	if ((fd = lock_take(s, true, NULL)) < 0)
		return;
	if (pending_read(s, &p) && p.id == id) {
		undo_row(s, "pending", id, "reverted", NULL, NULL);
		pending_remove(s);
	}
	lock_drop(fd);
}

/* Start the watcher for history row id; returns its pid or -errno. */
static pid_t watcher_start(const struct site *s, long id, int64_t deadline, int lock_fd,
			   char **cause)
{
	int pfd[2];
	pid_t child, pid = -1;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return cause_set(cause, errno, "pipe: %s", i18n_strerror(errno));
	fflush(stdout);
	fflush(stderr);
	child = fork();
	if (child < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return cause_set(cause, errno, "fork: %s", i18n_strerror(errno));
	}
	if (child == 0) {
		close(pfd[0]);
		close(lock_fd);		/* the lock belongs to the apply */
		setsid();
		pid_t g = fork();
		if (g != 0) {
			if (write(pfd[1], &g, sizeof(g)) != (ssize_t)sizeof(g))
				_exit(1);
			_exit(0);
		}
		close(pfd[1]);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
		watch(s, id, deadline);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		pid = -1;
	close(pfd[0]);
	waitpid(child, NULL, 0);
	if (pid <= 0)
		return cause_set(cause, ECHILD, "%s", _("確認待ちの見張りを起動できません",
						       "cannot start the confirm watcher"));
	return pid;
}

/* Write confirm.json (before the watcher starts, so it finds it). */
static int pending_write(const struct site *s, long id, int64_t deadline, pid_t pid, char **cause)
{
	struct json_object *o = json_object_new_object();
	char *path = path_in(s->run_dir, "confirm.json");
	int r;

	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "deadline", json_object_new_int64(deadline));
	json_object_object_add(o, "pid", json_object_new_int(pid));
	r = json_file_write(path, o, cause);
	json_object_put(o);
	free(path);
	return r;
}

/* ---- recover ---- */

void prov_recovery_clear(struct prov_recovery *r)
{
	free(r->what);
	memset(r, 0, sizeof(*r));
}

/* Undo an interrupted apply from its journal. */
static int recover_journal(const struct site *s, struct prov_recovery *out, char **cause)
{
	char *path = path_in(s->state_dir, "journal.json");
	struct json_object *o = json_file(path), *before = NULL, *cfg = NULL;
	struct site *applied;
	char *why = NULL;
	int r;

	free(path);
	if (o == NULL)
		return 0;
	json_object_object_get_ex(o, "before", &before);
	json_object_object_get_ex(o, "config", &cfg);
	const char *config = cfg ? json_object_get_string(cfg) : NULL;
	const char *snap = before ? json_object_to_json_string(before) : NULL;
	applied = site_of(config);
	r = restore_json(applied ? applied : s, snap, &why);
	site_free(applied);
	if (r < 0) {
		r = cause_set(cause, -r, _("中断された適用を元に戻せません: %s",
					   "cannot undo the interrupted apply: %s"), why);
		free(why);
		json_object_put(o);
		return r;
	}
	hist_add(s, "interrupted", config, NULL, snap, &out->history_id, NULL);
	json_object_put(o);
	journal_remove(s);
	out->journal = true;
	out->what = xstrdup(_("前回の適用は途中で中断されていました。適用前の状態に戻しました",
			      "an earlier apply was interrupted; the host is back as it was before it"));
	return 0;
}

/* Revert a pending apply whose deadline passed while nobody watched. */
static int recover_confirm(const struct site *s, struct prov_recovery *out, char **cause)
{
	struct pending p;
	int r;

	if (!pending_read(s, &p) || (int64_t)time(NULL) < p.deadline || pid_alive(p.pid))
		return 0;
	r = undo_row(s, "pending", p.id, "reverted", &out->history_id, cause);
	pending_remove(s);
	if (r < 0)
		return r;
	out->confirm_expired = true;
	free(out->what);
	out->what = xstrdup(_("確認されないまま期限が過ぎた適用を元に戻しました",
			      "an apply that was not confirmed in time has been reverted"));
	return 0;
}

static int recover_locked(const struct site *s, struct prov_recovery *out, char **cause)
{
	int r;

	memset(out, 0, sizeof(*out));
	r = recover_journal(s, out, cause);

	return r < 0 ? r : recover_confirm(s, out, cause);
}

int prov_recover(const struct site *s, struct prov_recovery *out, char **cause)
{
	char *path = path_in(s->state_dir, "journal.json");
	struct pending p;
	bool journal = access(path, F_OK) == 0;
	int fd, r;

	free(path);
	memset(out, 0, sizeof(*out));
	if (!journal && !pending_read(s, &p))
		return 0;
	fd = lock_take(s, false, NULL);
	if (fd < 0)
		return 0;	/* another oqlink is at work: nothing was interrupted */
	r = recover_locked(s, out, cause);
	lock_drop(fd);
	return r;
}

/* ---- apply ---- */

/* A number from the environment, 0 when unset or invalid. */
static long env_long(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtol(v, &end, 10);
	return *end == '\0' && n > 0 ? n : 0;
}

/* Write the journal: the snapshot and the config, before any step. */
static int journal_write(const struct site *s, const char *config, struct json_object *snap,
			 size_t n, char **cause)
{
	struct json_object *o = json_object_new_object();
	char *path = path_in(s->state_dir, "journal.json");
	int r;

	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "started", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(o, "config_path", json_object_new_string(s->path ? s->path : ""));
	json_object_object_add(o, "config", json_object_new_string(config));
	json_object_object_add(o, "steps", json_object_new_int((int)n));
	json_object_object_add(o, "before", json_object_get(snap));
	r = mkdir_p(s->state_dir, 0750, cause);
	if (r == 0)
		r = json_file_write(path, o, cause);
	json_object_put(o);
	free(path);
	return r;
}

/* Run the steps; on failure *failed gets the 1-based step number. */
static int run_steps(const struct site *s, const struct prov_plan *p,
		     const struct prov_apply_opts *o, struct prov_result *res, char **cause)
{
	long fail_at = env_long("OQLINK_FAIL_STEP"), delay = env_long("OQLINK_STEP_DELAY_MS");
	char *why = NULL;
	int r = 0;

	for (size_t i = 0; i < p->n_steps; i++) {
		const struct prov_step *st = &p->steps[i];
		if (o && o->progress)
			o->progress(o->ctx, i, p->n_steps, st);
		if (delay) {
			struct timespec ts = { delay / 1000, (delay % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		journal_note(s, "start %zu", i + 1);
		if (fail_at == (long)i + 1)
			r = cause_set(&why, EIO, "%s", _("OQLINK_FAIL_STEP による試験用の失敗",
							 "failure injected by OQLINK_FAIL_STEP"));
		else
			r = run_step(s, st, &why);
		if (r < 0) {
			char *t = prov_step_text(st);
			res->failed_step = (long)i + 1;
			cause_set(cause, -r, _("手順 %zu (%s) に失敗しました: %s",
					       "step %zu (%s) failed: %s"), i + 1, t, why);
			free(t);
			free(why);
			return r;
		}
		journal_note(s, "done %zu", i + 1);
		res->n_done++;
	}
	return 0;
}

/* Check that the host now matches the site; the verify "step". */
static int verify(const struct site *s, char **cause)
{
	struct prov_plan *p;
	int r = prov_plan(s, &p, cause);

	if (r < 0)
		return r;
	if (p->n_steps) {
		char *t = prov_step_text(&p->steps[0]);
		r = cause_set(cause, EIO, _("確認: 適用後も差が残っています (%zu 件、最初は %s)",
					    "verify: %zu difference(s) remain after applying, the first: %s"),
			      p->n_steps, t);
		free(t);
	}
	prov_plan_free(p);
	return r;
}

/* After a failure: put the snapshot back and record it. */
static int undo_failed(const struct site *s, const struct ps_state *snap, const char *config,
		       const struct prov_plan *p, const char *snap_json, struct prov_result *res,
		       char **cause)
{
	char *why = NULL, *was = *cause;
	int r = restore(s, snap, &why);

	if (r == 0) {
		res->restored = true;
		*cause = xasprintf(_("%s。それまでの変更はすべて元に戻しました",
				     "%s; everything done before it has been undone"), was);
	} else {
		*cause = xasprintf(_("%s。元に戻すこともできませんでした: %s",
				     "%s; undoing failed too: %s"), was, why);
	}
	free(was);
	free(why);
	hist_add(s, "failed", config, p, snap_json, NULL, NULL);
	return r;
}

/* Apply with the lock held. */
static int apply_locked(const struct site *s, const struct prov_apply_opts *o,
			struct prov_result *res, int lock_fd, char **cause)
{
	struct ps_state want, snap;
	struct prov_plan *p = NULL;
	struct prov_recovery rec;
	struct json_object *snap_json = NULL;
	struct pending pend;
	char *config = NULL;
	size_t len;
	int r;

	if ((r = recover_locked(s, &rec, cause)) < 0)
		return r;
	prov_recovery_clear(&rec);
	if (pending_read(s, &pend))
		return cause_set(cause, EBUSY, _("適用 #%ld が確認待ちです。先に 'oqlink confirm' か 'oqlink rollback' をしてください",
						 "apply #%ld waits for confirmation: run 'oqlink confirm' or 'oqlink rollback' first"),
				 pend.id);
	if ((r = read_both(s, &want, &snap, cause)) < 0)
		return r;
	if ((r = make_plan(s, &want, &snap, &p, cause)) < 0)
		goto out;
	res->n_steps = p->n_steps;
	if (p->n_steps == 0)
		goto out;
	if ((r = file_read(s->path, 1u << 20, &config, &len, cause)) < 0)
		goto out;
	snapshot_charon(s, &snap);
	snap_json = ps_state_to_json(&snap);
	if ((r = journal_write(s, config, snap_json, p->n_steps, cause)) < 0)
		goto out;
	r = run_steps(s, p, o, res, cause);
	if (r == 0 && (r = verify(s, cause)) < 0)
		res->failed_step = (long)p->n_steps + 1;
	if (r < 0) {
		undo_failed(s, &snap, config, p, json_object_to_json_string(snap_json), res, cause);
		journal_remove(s);
		goto out;
	}
	r = hist_add(s, o && o->confirm_s > 0 ? "pending" : "applied", config, p,
		     json_object_to_json_string(snap_json), &res->history_id, cause);
	journal_remove(s);
	if (r < 0 || !o || o->confirm_s <= 0)
		goto out;
	res->deadline = (int64_t)time(NULL) + o->confirm_s;
	if ((r = pending_write(s, res->history_id, res->deadline, 0, cause)) < 0)
		goto out;
	pid_t pid = watcher_start(s, res->history_id, res->deadline, lock_fd, cause);
	if (pid < 0) {
		r = (int)pid;
		goto out;	/* the next command reverts at the deadline */
	}
	r = pending_write(s, res->history_id, res->deadline, pid, cause);
out:
	json_object_put(snap_json);
	free(config);
	prov_plan_free(p);
	ps_state_clear(&want);
	ps_state_clear(&snap);
	return r;
}

int prov_apply(const struct site *s, const struct prov_apply_opts *o, struct prov_result *res,
	       char **cause)
{
	int fd, r;

	memset(res, 0, sizeof(*res));
	if ((fd = lock_take(s, false, cause)) < 0)
		return fd;
	r = apply_locked(s, o, res, fd, cause);
	lock_drop(fd);
	return r;
}

int prov_confirm(const struct site *s, long *history_id, char **cause)
{
	struct pending p;
	int fd, r;

	if ((fd = lock_take(s, true, cause)) < 0)
		return fd;
	if (!pending_read(s, &p)) {
		r = cause_set(cause, ENOENT, "%s", _("確認待ちの適用はありません",
						     "no apply waits for confirmation"));
		goto out;
	}
	*history_id = p.id;
	pending_remove(s);	/* the watcher sees it gone and exits */
	r = hist_set_status(s, p.id, "confirmed", cause);
out:
	lock_drop(fd);
	return r;
}

int prov_rollback(const struct site *s, long *history_id, char **cause)
{
	struct prov_recovery rec;
	int fd, r;

	if ((fd = lock_take(s, true, cause)) < 0)
		return fd;
	r = recover_locked(s, &rec, cause);
	prov_recovery_clear(&rec);
	if (r == 0)
		r = undo_row(s, "applied,confirmed,pending", 0, "rolled-back", history_id, cause);
	if (r == 0)
		pending_remove(s);
	lock_drop(fd);
	return r;
}

/* ---- status ---- */

void prov_status_clear(struct prov_status *st)
{
	if (st->have_last) {
		struct prov_history_entry *e = xmalloc(sizeof(*e));
		*e = st->last;
		prov_history_free(e, 1);
	}
	free(st->ssh_fingerprint);
	memset(st, 0, sizeof(*st));
}

int prov_status_get(const struct site *s, struct prov_status *out, char **cause)
{
	struct prov_history_entry *v = NULL;
	struct pending p;
	size_t n = 0;
	char *path = path_in(s->state_dir, "journal.json");
	int r;

	memset(out, 0, sizeof(*out));
	out->journal = access(path, F_OK) == 0;
	free(path);
	if ((r = prov_history(s, 1, &v, &n, cause)) < 0)
		return r;
	if (n) {
		out->have_last = true;
		out->last = v[0];
		free(v);
	}
	if (pending_read(s, &p)) {
		out->pending = true;
		out->pending_id = p.id;
		out->deadline = p.deadline;
		out->remaining_s = (long)(p.deadline - (int64_t)time(NULL));
		if (out->remaining_s < 0)
			out->remaining_s = 0;
		out->watcher_alive = pid_alive(p.pid);
	}
	out->ssh_running = ps_sshd_running(s);
	if (ps_ssh_fingerprint(s, &out->ssh_fingerprint, NULL) < 0)
		out->ssh_fingerprint = NULL;	/* shown as unknown */
	return 0;
}

/* ---- restore after a restart ---- */

void prov_restore_clear(struct prov_restore *r)
{
	free(r->what);
	memset(r, 0, sizeof(*r));
}

/* Add a sentence to out->what. */
static void restore_say(struct prov_restore *out, const char *text)
{
	char *was = out->what;

	out->what = was ? xasprintf("%s\n%s", was, text) : xstrdup(text);
	free(was);
}

/* Plan the config of row against the host and run the missing steps under
 * the journal. */
static int restore_row(const struct site *s, const struct prov_history_row *row,
		       struct prov_restore *out, char **cause)
{
	struct site *applied = site_of(row->config);
	const struct site *a = applied ? applied : s;
	struct ps_state want, snap;
	struct prov_plan *p = NULL;
	struct prov_result res = { 0 };
	struct json_object *snap_json = NULL;
	int r;

	if ((r = read_both(a, &want, &snap, cause)) < 0)
		goto out_site;
	if ((r = make_plan(a, &want, &snap, &p, cause)) < 0)
		goto out;
	/* charon may not run yet at boot: whoever keeps the tunnel loads it */
	for (size_t i = 0; i < p->n_steps; i++)
		if (p->steps[i].kind != PROV_CHARON_LOAD && p->steps[i].kind != PROV_CHARON_UNLOAD)
			out->n_steps++;
	if (out->n_steps == 0)
		goto out;
	snap_json = ps_state_to_json(&snap);
	if ((r = journal_write(a, row->config ? row->config : "", snap_json, p->n_steps, cause)) < 0)
		goto out;
	for (size_t i = 0; r == 0 && i < p->n_steps; i++) {
		const struct prov_step *st = &p->steps[i];
		char *why = NULL;
		if (st->kind == PROV_CHARON_LOAD || st->kind == PROV_CHARON_UNLOAD)
			continue;
		journal_note(a, "start %zu", i + 1);
		if ((r = run_step(a, st, &why)) < 0) {
			char *t = prov_step_text(st);
			cause_set(cause, -r, _("手順 %zu (%s) に失敗しました: %s",
					       "step %zu (%s) failed: %s"), i + 1, t, why);
			free(t);
		}
		free(why);
		res.n_done++;
	}
	if (r < 0) {
		char *why = NULL;
		if (restore(a, &snap, &why) < 0)
			free(why);
	}
	journal_remove(a);
out:
	json_object_put(snap_json);
	prov_plan_free(p);
	ps_state_clear(&want);
	ps_state_clear(&snap);
out_site:
	site_free(applied);
	return r;
}

static int restore_locked(const struct site *s, struct prov_restore *out, char **cause)
{
	struct prov_recovery rec;
	struct prov_history_row row;
	struct pending pend;
	bool found, live;
	char *t;
	int r;

	if ((r = recover_locked(s, &rec, cause)) < 0)
		return r;
	if (rec.what)
		restore_say(out, rec.what);
	if (rec.confirm_expired) {
		out->reverted = true;
		out->reverted_id = rec.history_id;
	}
	prov_recovery_clear(&rec);
	live = pending_read(s, &pend);
	if ((r = hist_find(s, "applied,confirmed,pending", &row, &found, cause)) < 0)
		return r;
	if (found && strcmp(row.status, "pending") == 0 && !(live && pend.id == row.id)) {
		/* its confirm window went with the power: nobody confirmed it */
		long id = row.id;
		hist_row_clear(&row);
		if ((r = undo_row(s, "pending", id, "reverted", NULL, cause)) < 0)
			return r;
		out->reverted = true;
		out->reverted_id = id;
		t = xasprintf(_("確認待ちのまま再起動した適用 #%ld は確認されなかったものとして元に戻しました",
				"apply #%ld was still waiting for confirmation at the restart: it counts as not confirmed and has been reverted"),
			      id);
		restore_say(out, t);
		free(t);
		if ((r = hist_find(s, "applied,confirmed", &row, &found, cause)) < 0)
			return r;
	}
	if (!found) {
		restore_say(out, _("これまでに適用された設定はありません。戻すものはありません",
				   "nothing has been applied yet: there is nothing to restore"));
		return 0;
	}
	out->history_id = row.id;
	if (live && pend.id == row.id) {
		out->pending = true;
		out->deadline = pend.deadline;
	}
	r = restore_row(s, &row, out, cause);
	if (r == 0 && out->n_steps)
		t = xasprintf(_("適用 #%ld の状態を戻しました (%zu 手順、ファイアウォールが最初)",
				"the state of apply #%ld is back (%zu steps, the firewall first)"),
			      row.id, out->n_steps);
	else if (r == 0)
		t = xasprintf(_("適用 #%ld の状態はそのまま保たれていました",
				"the state of apply #%ld was still in place"), row.id);
	else
		t = NULL;
	if (t)
		restore_say(out, t);
	free(t);
	hist_row_clear(&row);
	return r;
}

int prov_restore(const struct site *s, struct prov_restore *out, char **cause)
{
	int fd, r;

	memset(out, 0, sizeof(*out));
	if ((fd = lock_take(s, true, cause)) < 0)
		return fd;
	r = restore_locked(s, out, cause);
	lock_drop(fd);
	return r;
}

int prov_confirm_expire(const struct site *s, bool *reverted, long *history_id, char **cause)
{
	struct prov_recovery rec;
	int r;

	*reverted = false;
	*history_id = 0;
	r = prov_recover(s, &rec, cause);
	if (r == 0 && rec.confirm_expired) {
		*reverted = true;
		*history_id = rec.history_id;
	}
	prov_recovery_clear(&rec);
	return r;
}
