/* The event stream the keeper follows: ike-updown, child-updown, ike-rekey
 * and charon's log, turned into plain ipsec_event values. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "ipsec/ipsec.h"
#include "ipsec/vici.h"

struct ipsec_events {
	struct vici_conn *vc;
	ipsec_event_fn *fn;
	void *ctx;
	int log_level;
};

static const char *const event_names[] = {
	[IPSEC_EV_IKE_UP] = "ike-up",
	[IPSEC_EV_IKE_DOWN] = "ike-down",
	[IPSEC_EV_CHILD_UP] = "child-up",
	[IPSEC_EV_CHILD_DOWN] = "child-down",
	[IPSEC_EV_IKE_REKEY] = "ike-rekey",
	[IPSEC_EV_LOG] = "log",
};

const char *ipsec_event_name(enum ipsec_event_kind k)
{
	return (size_t)k < ARRAY_SIZE(event_names) ? event_names[k] : "?";
}

/* The first section of a message: charon names it after the IKE_SA's
 * connection ({up = yes, NAME = {...}}). */
static const struct vici_node *first_section(const struct vici_node *msg)
{
	for (const struct vici_node *n = msg->child; n; n = n->next)
		if (n->type == VICI_NODE_SECTION)
			return n;
	return NULL;
}

/* ike-updown, child-updown and ike-rekey. */
static void on_sa(void *ctx, const char *event, const struct vici_node *msg)
{
	struct ipsec_events *e = ctx;
	const struct vici_node *ike = first_section(msg), *children, *child = NULL;
	struct ipsec_event ev = { 0 };
	bool up = vici_yes(msg, "up");

	if (strcmp(event, "ike-updown") == 0)
		ev.kind = up ? IPSEC_EV_IKE_UP : IPSEC_EV_IKE_DOWN;
	else if (strcmp(event, "child-updown") == 0)
		ev.kind = up ? IPSEC_EV_CHILD_UP : IPSEC_EV_CHILD_DOWN;
	else
		ev.kind = IPSEC_EV_IKE_REKEY;
	if (ike) {
		ev.ike = ike->name;
		ev.state = vici_str(ike, "state");
		children = vici_get(ike, "child-sas");
		if (children)
			child = first_section(children);
		if (child)
			ev.child = vici_str(child, "name") ? vici_str(child, "name") : child->name;
	}
	e->fn(e->ctx, &ev);
}

static void on_log(void *ctx, const char *event, const struct vici_node *msg)
{
	struct ipsec_events *e = ctx;
	struct ipsec_event ev = { .kind = IPSEC_EV_LOG };
	const char *group = vici_str(msg, "group");
	uint64_t level = 0;

	vici_u64(msg, "level", &level);
	ev.level = level > 4 ? 4 : (int)level;
	snprintf(ev.group, sizeof(ev.group), "%s", group ? group : "");
	ev.msg = vici_str(msg, "msg");
	ev.ike = vici_str(msg, "ikesa-name");
	if (ev.msg == NULL || ev.level > e->log_level)
		return;
	e->fn(e->ctx, &ev);
}

int ipsec_events_open(const char *socket, int log_level, ipsec_event_fn *fn, void *ctx,
		      struct ipsec_events **out, char **cause)
{
	static const char *const sa_events[] = { "ike-updown", "child-updown", "ike-rekey" };
	struct ipsec_events *e = xcalloc(1, sizeof(*e));
	int r;

	*out = NULL;
	e->fn = fn;
	e->ctx = ctx;
	e->log_level = log_level;
	r = vici_connect(socket, &e->vc, cause);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(sa_events); i++)
		r = vici_register(e->vc, sa_events[i], on_sa, e, IPSEC_TIMEOUT_MS, cause);
	if (r == 0 && log_level >= 0)
		r = vici_register(e->vc, "log", on_log, e, IPSEC_TIMEOUT_MS, cause);
	if (r < 0) {
		ipsec_events_close(e);
		return r;
	}
	*out = e;
	return 0;
}

int ipsec_events_fd(const struct ipsec_events *e)
{
	return vici_fd(e->vc);
}

int ipsec_events_pump(struct ipsec_events *e, char **cause)
{
	return vici_dispatch(e->vc, 0, cause);
}

void ipsec_events_close(struct ipsec_events *e)
{
	if (e == NULL)
		return;
	vici_close(e->vc);
	free(e);
}
