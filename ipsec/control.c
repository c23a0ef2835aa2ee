/* Bringing the tunnel up and down, and following charon's log. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"
#include "ipsec/ipsec_int.h"
#include "ipsec/vici.h"

/* Where log events go, and which of them. */
struct log_sink {
	ipsec_log_fn *fn;
	void *ctx;
	int level;
	char **groups;			/* NULL: all */
	size_t n_groups;
};

static bool group_wanted(const struct log_sink *k, const char *group)
{
	if (k->groups == NULL)
		return true;
	for (size_t i = 0; i < k->n_groups; i++)
		if (strcasecmp(k->groups[i], group) == 0)
			return true;
	return false;
}

/* A "log" or "control-log" event: {group, level, msg, ...}. */
static void on_log(void *ctx, const char *event, const struct vici_node *msg)
{
	struct log_sink *k = ctx;
	struct ipsec_log_line line = { .t_ms = now_ms() };
	const char *group = vici_str(msg, "group");
	uint64_t level = 0;

	vici_u64(msg, "level", &level);
	line.level = level > 4 ? 4 : (int)level;
	snprintf(line.group, sizeof(line.group), "%s", group ? group : "");
	line.msg = vici_str(msg, "msg");
	if (line.msg == NULL || k->fn == NULL || line.level > k->level ||
	    !group_wanted(k, line.group))
		return;
	k->fn(k->ctx, &line);
}

static int terminate(const struct site *s, const char *name, bool force, int level,
		     int timeout_ms, ipsec_log_fn *fn, void *ctx, char **cause);

/* Run initiate or terminate with the control log streamed to fn. */
static int control(const char *socket, const char *cmd, struct vici_builder *b, int level,
		   int timeout_ms, ipsec_log_fn *fn, void *ctx, struct vici_node **reply,
		   char **cause)
{
	struct log_sink sink = { fn, ctx, level, NULL, 0 };
	struct vici_conn *vc;
	int r;

	*reply = NULL;
	r = vici_connect(socket, &vc, cause);
	if (r < 0)
		return r;
	vici_add_kvf(b, "timeout", "%d", timeout_ms);
	vici_add_kvf(b, "loglevel", "%d", level);
	r = vici_register(vc, "control-log", on_log, &sink, IPSEC_TIMEOUT_MS, cause);
	/* charon answers by its own timeout; give it a little more */
	if (r == 0)
		r = vici_call(vc, cmd, b, timeout_ms + 3000, reply, cause);
	vici_close(vc);
	return r;
}

/* The state of our SA: 1 up (CHILD_SA installed), 0 none, -1 on its way
 * (IKE_SA or CHILD_SA not there yet), or -errno. */
static int our_state(const char *socket, char **cause)
{
	struct ipsec_sas sas;
	const struct ipsec_ike_sa *ike;
	const struct ipsec_child_sa *child;
	int r = ipsec_sas_get(socket, IPSEC_CONN_NAME, &sas, cause);

	if (r < 0)
		return r;
	ike = ipsec_sas_ours(&sas);
	child = ipsec_ike_child(ike);
	if (ike == NULL)
		r = 0;
	else if (child && child->state && strcmp(child->state, "INSTALLED") == 0)
		r = 1;
	else
		r = -1;
	ipsec_sas_free(&sas);
	return r;
}

/* An SA is already on its way (start_action when the connection was
 * loaded): wait for it rather than negotiate a second one. */
static int wait_for_sa(const char *socket, int timeout_ms, char **cause)
{
	int64_t deadline = now_ms() + timeout_ms;
	int st;

	while ((st = our_state(socket, cause)) == -1 && now_ms() < deadline) {
		struct timespec ts = { 0, 100 * 1000000 };
		nanosleep(&ts, NULL);
	}
	if (st < -1)
		return st;
	return st;
}

int ipsec_up(const struct site *s, int level, int timeout_ms, ipsec_log_fn *fn, void *ctx,
	     char **cause)
{
	int r = wait_for_sa(s->vici_socket, timeout_ms, cause);

	if (r == 1)
		return 0;
	if (r < -1)
		return r;
	r = ipsec_initiate_named(s, IPSEC_CONN_NAME, level, timeout_ms, fn, ctx, cause);
	/* a (re)load with start_action = start may have raced us to it: charon
	 * then refuses our CHILD_SA as a duplicate of its own */
	if (r == -EPROTO && wait_for_sa(s->vici_socket, timeout_ms, NULL) == 1)
		r = 0;
	return r;
}

int ipsec_initiate_named(const struct site *s, const char *name, int level, int timeout_ms,
			 ipsec_log_fn *fn, void *ctx, char **cause)
{
	struct vici_builder b;
	struct vici_node *reply;
	int r;

	vici_builder_init(&b);
	vici_add_kv(&b, "child", name);
	vici_add_kv(&b, "ike", name);
	r = control(s->vici_socket, "initiate", &b, level, timeout_ms, fn, ctx, &reply, cause);
	if (r == 0 && !vici_yes(reply, "success"))
		r = cause_set(cause, EPROTO, _("トンネルを確立できませんでした: %s",
						     "the tunnel could not be established: %s"),
			      vici_str(reply, "errmsg") ?: "?");
	vici_node_free(reply);
	vici_builder_clear(&b);
	return r;
}

int ipsec_down(const struct site *s, int level, int timeout_ms, ipsec_log_fn *fn, void *ctx,
	       char **cause)
{
	return terminate(s, IPSEC_CONN_NAME, false, level, timeout_ms, fn, ctx, cause);
}

int ipsec_terminate_named(const struct site *s, const char *name, int timeout_ms,
			  char **cause)
{
	return terminate(s, name, false, 0, timeout_ms, NULL, NULL, cause);
}

int ipsec_terminate_forced(const struct site *s, const char *name, char **cause)
{
	return terminate(s, name, true, 0, IPSEC_TIMEOUT_MS, NULL, NULL, cause);
}

/* Terminate every IKE_SA of the connection name. */
static int terminate(const struct site *s, const char *name, bool force, int level,
		     int timeout_ms, ipsec_log_fn *fn, void *ctx, char **cause)
{
	struct vici_builder b;
	struct vici_node *reply;
	const char *e;
	int r;

	vici_builder_init(&b);
	vici_add_kv(&b, "ike", name);
	if (force)
		vici_add_kv(&b, "force", "yes");
	r = control(s->vici_socket, "terminate", &b, level, timeout_ms, fn, ctx, &reply, cause);
	e = reply ? vici_str(reply, "errmsg") : NULL;
	/* nothing to terminate is already down */
	if (r == 0 && !vici_yes(reply, "success") && !(e && strstr(e, "no matching SAs")))
		r = cause_set(cause, EIO, _("トンネルを閉じられませんでした: %s",
					    "the tunnel could not be closed: %s"), e ? e : "?");
	vici_node_free(reply);
	vici_builder_clear(&b);
	return r;
}

struct ipsec_logwatch {
	struct vici_conn *vc;
	struct log_sink sink;
};

int ipsec_logwatch_open(const char *socket, int level, const char *groups, ipsec_log_fn *fn,
			void *ctx, struct ipsec_logwatch **out, char **cause)
{
	struct ipsec_logwatch *w = xcalloc(1, sizeof(*w));
	int r;

	*out = NULL;
	w->sink = (struct log_sink){ fn, ctx, level, NULL, 0 };
	if (groups && *groups)
		w->sink.groups = str_split_list(groups, &w->sink.n_groups);
	r = vici_connect(socket, &w->vc, cause);
	if (r == 0)
		r = vici_register(w->vc, "log", on_log, &w->sink, IPSEC_TIMEOUT_MS, cause);
	if (r < 0) {
		ipsec_logwatch_close(w);
		return r;
	}
	*out = w;
	return 0;
}

int ipsec_logwatch_fd(const struct ipsec_logwatch *w)
{
	return vici_fd(w->vc);
}

int ipsec_logwatch_pump(struct ipsec_logwatch *w, char **cause)
{
	return vici_dispatch(w->vc, 0, cause);
}

void ipsec_logwatch_close(struct ipsec_logwatch *w)
{
	if (w == NULL)
		return;
	vici_close(w->vc);
	str_list_free(w->sink.groups);
	free(w);
}

int ipsec_log_follow(const char *socket, int level, const char *groups, ipsec_log_fn *fn,
		     void *ctx, const volatile int *stop, char **cause)
{
	struct ipsec_logwatch *w;
	int r = ipsec_logwatch_open(socket, level, groups, fn, ctx, &w, cause);

	while (r >= 0 && !*stop)
		r = vici_dispatch(w->vc, 250, cause);
	ipsec_logwatch_close(w);
	return r > 0 ? 0 : r;
}

int ipsec_child_up(const char *socket, bool *up, char **cause)
{
	int r = our_state(socket, cause);

	*up = r == 1;
	return r < -1 ? r : 0;
}

/* Send cmd with b and a negative timeout: charon answers at once and goes
 * on by itself. */
static int call_nowait(const char *socket, const char *cmd, struct vici_builder *b,
		       char **cause)
{
	struct vici_conn *vc;
	int r;

	if ((r = vici_connect(socket, &vc, cause)) < 0)
		return r;
	vici_add_kv(b, "timeout", "-1");
	r = vici_call_void(vc, cmd, b, IPSEC_TIMEOUT_MS, cause);
	vici_close(vc);
	return r;
}

int ipsec_initiate_nowait(const struct site *s, char **cause)
{
	struct vici_builder b;
	int r;

	vici_builder_init(&b);
	vici_add_kv(&b, "child", IPSEC_CONN_NAME);
	vici_add_kv(&b, "ike", IPSEC_CONN_NAME);
	r = call_nowait(s->vici_socket, "initiate", &b, cause);
	vici_builder_clear(&b);
	return r;
}

int ipsec_restart_nowait(const struct site *s, char **cause)
{
	struct vici_builder b;

	vici_builder_init(&b);
	vici_add_kv(&b, "ike", IPSEC_CONN_NAME);
	vici_add_kv(&b, "force", "yes");
	/* nothing to close is fine: only the initiate must succeed */
	call_nowait(s->vici_socket, "terminate", &b, NULL);
	vici_builder_clear(&b);
	return ipsec_initiate_nowait(s, cause);
}
