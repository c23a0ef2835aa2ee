/* The host state oqlink manages: what the site asks for, what the host has,
 * the steps between them, snapshots as JSON, and running one step. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "provision/state.h"

#define RTPROT_STATIC_ 4	/* linux/rtnetlink.h, kept out of this file */
#define METRIC6 1024		/* the kernel's default for IPv6 routes */
#define METRIC6_PROXY 128	/* the line's /64 toward the terminal segment, before
				 * the WAN's own on-link route (256) */

void ps_state_clear(struct ps_state *st)
{
	free(st->links);
	free(st->addrs);
	free(st->routes);
	for (size_t i = 0; i < st->n_sysctls; i++) {
		free(st->sysctls[i].key);
		free(st->sysctls[i].value);
	}
	free(st->sysctls);
	for (size_t i = 0; i < st->n_daemons; i++)
		ps_daemon_clear(&st->daemons[i]);
	free(st->daemons);
	free(st->nft_text);
	free(st->nft_hash);
	free(st->charon_config);
	memset(st, 0, sizeof(*st));
}

/* ---- text ---- */

char *ps_route_str(const struct ps_route *r)
{
	char dst[64], gw[64];
	const char *type = r->type == PS_RT_UNREACHABLE ? "unreachable " :
			   r->type == PS_RT_BLACKHOLE ? "blackhole " :
			   r->type == PS_RT_PROHIBIT ? "prohibit " : "";

	prefix_str(&r->dst, dst, false);
	if (r->dst.len == 0)
		snprintf(dst, sizeof(dst), "default%s", r->dst.family == AF_INET6 ? " (IPv6)" : "");
	if (r->gw.family)
		prefix_str(&r->gw, gw, true);
	return xasprintf("%s%s%s%s%s%s metric %u", type, dst, r->gw.family ? " via " : "",
			 r->gw.family ? gw : "", r->ifname[0] ? " dev " : "", r->ifname, r->metric);
}

char *ps_addr_str(const struct ps_addr *a)
{
	char buf[64];

	return xasprintf("%s dev %s", prefix_str(&a->local, buf, false), a->ifname);
}

/* ---- sysctl ---- */

int sysctl_read(const char *key, char **value)
{
	char *path = xasprintf("/proc/sys/%s", key), *data = NULL;
	size_t len;
	int r = file_read(path, 256, &data, &len, NULL);

	free(path);
	*value = NULL;
	if (r < 0)
		return r;
	data[strcspn(data, "\n")] = '\0';
	*value = data;
	return 0;
}

int sysctl_write(const char *key, const char *value, char **cause)
{
	char *path = xasprintf("/proc/sys/%s", key);
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		r = cause_set(cause, errno, _("%s に %s を書けません: %s",
					      "cannot write %s to %s: %s"),
			      value, key, i18n_strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

/* ---- what the site asks for ---- */

static void add_link(struct ps_state *st, const char *name, unsigned mtu, bool a4, bool a6)
{
	for (size_t i = 0; i < st->n_links; i++)
		if (strcmp(st->links[i].name, name) == 0)
			return;
	st->links = xrealloc(st->links, (st->n_links + 1) * sizeof(*st->links));
	struct ps_link *l = &st->links[st->n_links++];
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->exists = true;
	l->up = true;
	l->mtu = mtu;
	l->manage_addr4 = a4;
	l->manage_addr6 = a6;
}

static void add_addr(struct ps_state *st, const char *ifname, const struct oq_prefix *p)
{
	if (p->family == 0)
		return;
	st->addrs = xrealloc(st->addrs, (st->n_addrs + 1) * sizeof(*st->addrs));
	struct ps_addr *a = &st->addrs[st->n_addrs++];
	memset(a, 0, sizeof(*a));
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	a->local = *p;
	if (p->family == AF_INET && p->len < 31) {	/* the broadcast, as `brd +` */
		a->brd = prefix_network(p);
		uint32_t host = p->len ? 0xffffffffu >> p->len : 0xffffffffu;
		for (int i = 0; i < 4; i++)
			a->brd.addr[i] |= (uint8_t)(host >> (24 - 8 * i));
		a->brd.len = 32;
	}
}

static void add_route(struct ps_state *st, const struct oq_prefix *dst, const struct oq_prefix *gw,
		      const char *ifname, int type)
{
	st->routes = xrealloc(st->routes, (st->n_routes + 1) * sizeof(*st->routes));
	struct ps_route *r = &st->routes[st->n_routes++];
	memset(r, 0, sizeof(*r));
	r->dst = prefix_network(dst);
	if (gw && gw->family) {
		r->gw = *gw;
		r->gw.len = gw->family == AF_INET ? 32 : 128;
	}
	if (ifname && type == PS_RT_UNICAST)
		snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
	r->type = type;
	r->metric = dst->family == AF_INET6 ? METRIC6 : 0;
	r->proto = RTPROT_STATIC_;
}

static void add_sysctl(struct ps_state *st, const char *key, const char *value)
{
	st->sysctls = xrealloc(st->sysctls, (st->n_sysctls + 1) * sizeof(*st->sysctls));
	st->sysctls[st->n_sysctls].key = xstrdup(key);
	st->sysctls[st->n_sysctls].value = value ? xstrdup(value) : NULL;
	st->n_sysctls++;
}

/* The default route(s) of an ipsec site: to the internet, where the IKE
 * peer is. */
static void default_routes(const struct site *s, struct ps_state *st)
{
	struct oq_prefix any = { 0 };

	if (s->wan_mode == SITE_ADDR_STATIC && s->wan_gateway.family) {
		any.family = s->wan_gateway.family;
		add_route(st, &any, &s->wan_gateway, s->wan_if, PS_RT_UNICAST);
	}
	if (s->wan6_mode == SITE_ADDR6_STATIC && s->wan6_gateway.family) {
		memset(&any, 0, sizeof(any));
		any.family = s->wan6_gateway.family;
		add_route(st, &any, &s->wan6_gateway, s->wan_if, PS_RT_UNICAST);
	}
}

int ps_desired(const struct site *s, struct ps_state *st, char **cause)
{
	bool sep = s->segment == SITE_SEGMENT_SEPARATE && s->term_if;
	bool v6 = false;
	char key[128];
	int r;

	memset(st, 0, sizeof(*st));
	if (s->wan_if == NULL || s->lan_if == NULL)
		return cause_set(cause, EINVAL, "%s", _("[uplink] と [lan] の interface が必要です",
						       "[uplink] and [lan] need an interface"));
	add_link(st, s->wan_if, s->wan_mtu, s->wan_mode == SITE_ADDR_STATIC,
		 s->wan6_mode == SITE_ADDR6_STATIC);
	add_link(st, s->lan_if, 0, true, s->lan_addr.family == AF_INET6);
	if (sep)
		add_link(st, s->term_if, 0, true, s->term_addr.family == AF_INET6);
	if (s->wan_mode == SITE_ADDR_STATIC)
		add_addr(st, s->wan_if, &s->wan_addr);
	if (s->wan6_mode == SITE_ADDR6_STATIC)
		add_addr(st, s->wan_if, &s->wan6_addr);
	add_addr(st, s->lan_if, &s->lan_addr);
	if (sep)
		add_addr(st, s->term_if, &s->term_addr);

	if (s->line == SITE_LINE_IPSEC) {
		default_routes(s, st);
		/* charon installs the tunnel's routes itself (table 220, checked
		 * before main); this is only the fallback when the tunnel is
		 * down, so that central traffic never leaves in clear */
		for (size_t i = 0; i < s->n_central; i++)
			add_route(st, &s->central[i], NULL, NULL, PS_RT_UNREACHABLE);
	} else {
		for (size_t i = 0; i < s->n_central; i++)
			if (s->central[i].family == s->ce_router.family)
				add_route(st, &s->central[i], &s->ce_router, s->wan_if,
					  PS_RT_UNICAST);
	}
	for (size_t i = 0; i < s->n_central; i++)
		v6 |= s->central[i].family == AF_INET6;
	if ((r = ps_desired_daemons(s, st, &st->no_prefix6, cause)) < 0) {
		ps_state_clear(st);
		return r;
	}
	if (site_ipoe6(s)) {
		v6 = true;
		/* an RA-only line: its /64 is routed to the terminal segment,
		 * where the ND proxy answers for it */
		for (size_t i = 0; i < st->n_daemons; i++)
			if (st->daemons[i].kind == PS_NDPPD && st->daemons[i].running) {
				struct oq_prefix line;
				if (ps_if_prefix6(s->wan_if, &line)) {
					add_route(st, &line, NULL, s->term_if, PS_RT_UNICAST);
					st->routes[st->n_routes - 1].metric = METRIC6_PROXY;
				}
			}
	}

	add_sysctl(st, "net/ipv4/ip_forward", "1");
	if (v6)
		add_sysctl(st, "net/ipv6/conf/all/forwarding", "1");
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/rp_filter", s->lan_if);
	add_sysctl(st, key, "1");
	if (sep) {
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/rp_filter", s->term_if);
		add_sysctl(st, key, "1");
	}
	if (s->wan6_mode == SITE_ADDR6_RA) {
		/* 2: take router advertisements even with forwarding on */
		snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_ra", s->wan_if);
		add_sysctl(st, key, "2");
		snprintf(key, sizeof(key), "net/ipv6/conf/%s/autoconf", s->wan_if);
		add_sysctl(st, key, "1");
	}
	st->nft_present = true;
	if ((r = nft_ruleset(s, &st->nft_text, &st->nft_hash, cause)) < 0)
		ps_state_clear(st);
	return r;
}

int ps_read(const struct ps_state *tmpl, struct ps_state *out, char **cause)
{
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = nl_read(tmpl, out, cause)) < 0)
		goto fail;
	for (size_t i = 0; i < tmpl->n_sysctls; i++) {
		char *v;
		sysctl_read(tmpl->sysctls[i].key, &v);
		add_sysctl(out, tmpl->sysctls[i].key, NULL);
		out->sysctls[out->n_sysctls - 1].value = v;
	}
	if ((r = nft_read(&out->nft_text, &out->nft_hash, cause)) < 0)
		goto fail;
	out->nft_present = out->nft_text != NULL;
	ps_read_daemons(tmpl, out);
	return 0;
fail:
	ps_state_clear(out);
	return r;
}

/* ---- steps between two states ---- */

/* What a step needs to run. */
struct step_priv {
	struct ps_link link;
	struct ps_addr addr;
	struct ps_route route;
	char *key, *value;
	char *text;		/* nft source, or a config for charon */
	struct ps_daemon dmn;
};

struct prov_step *ps_push(struct prov_plan *p, enum prov_kind k, char *object, char *from,
			      char *to)
{
	p->steps = xrealloc(p->steps, (p->n_steps + 1) * sizeof(*p->steps));
	struct prov_step *st = &p->steps[p->n_steps++];
	st->kind = k;
	st->object = object;
	st->from = from;
	st->to = to;
	st->priv = xcalloc(1, sizeof(struct step_priv));
	return st;
}

void ps_step_set_text(struct prov_step *st, const char *text)
{
	struct step_priv *x = st->priv;

	free(x->text);
	x->text = text ? xstrdup(text) : NULL;
}

const char *ps_step_get_text(const struct prov_step *st)
{
	return ((const struct step_priv *)st->priv)->text;
}

void ps_step_priv_free(void *priv)
{
	struct step_priv *x = priv;

	if (x == NULL)
		return;
	free(x->key);
	free(x->value);
	free(x->text);
	ps_daemon_clear(&x->dmn);
	free(x);
}

static bool addr_eq(const struct ps_addr *a, const struct ps_addr *b)
{
	return strcmp(a->ifname, b->ifname) == 0 && prefix_equal(&a->local, &b->local) &&
	       a->local.len == b->local.len && a->brd.family == b->brd.family &&
	       (a->brd.family == 0 || prefix_equal(&a->brd, &b->brd));
}

static bool route_eq(const struct ps_route *a, const struct ps_route *b)
{
	return a->type == b->type && prefix_equal(&a->dst, &b->dst) && a->dst.len == b->dst.len &&
	       a->gw.family == b->gw.family && (a->gw.family == 0 || prefix_equal(&a->gw, &b->gw)) &&
	       strcmp(a->ifname, b->ifname) == 0 && a->metric == b->metric;
}

static const struct ps_link *find_link(const struct ps_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_links; i++)
		if (strcmp(st->links[i].name, name) == 0)
			return &st->links[i];
	return NULL;
}

static char *link_str(bool up, unsigned mtu)
{
	return mtu ? xasprintf("%s, mtu %u", up ? "up" : "down", mtu) : xstrdup(up ? "up" : "down");
}

static void diff_links(const struct ps_state *cur, const struct ps_state *want, struct prov_plan *p)
{
	for (size_t i = 0; i < want->n_links; i++) {
		const struct ps_link *w = &want->links[i], *c = find_link(cur, w->name);
		if (c == NULL || !c->exists || !w->exists)
			continue;
		if (c->up == w->up && (w->mtu == 0 || w->mtu == c->mtu))
			continue;
		struct prov_step *st = ps_push(p, PROV_LINK, xstrdup(w->name), link_str(c->up, c->mtu),
					    link_str(w->up, w->mtu ? w->mtu : c->mtu));
		((struct step_priv *)st->priv)->link = *w;
	}
}

/* Addresses of a that b lacks become steps of kind k. */
static void diff_addrs(const struct ps_state *a, const struct ps_state *b, enum prov_kind k,
		       struct prov_plan *p)
{
	for (size_t i = 0; i < a->n_addrs; i++) {
		bool found = false;
		for (size_t j = 0; j < b->n_addrs && !found; j++)
			found = addr_eq(&a->addrs[i], &b->addrs[j]);
		if (found)
			continue;
		struct prov_step *st = ps_push(p, k, ps_addr_str(&a->addrs[i]), NULL, NULL);
		((struct step_priv *)st->priv)->addr = a->addrs[i];
	}
}

static void diff_routes(const struct ps_state *a, const struct ps_state *b, enum prov_kind k,
			struct prov_plan *p)
{
	for (size_t i = 0; i < a->n_routes; i++) {
		bool found = false;
		for (size_t j = 0; j < b->n_routes && !found; j++)
			found = route_eq(&a->routes[i], &b->routes[j]);
		if (found)
			continue;
		struct prov_step *st = ps_push(p, k, ps_route_str(&a->routes[i]), NULL, NULL);
		((struct step_priv *)st->priv)->route = a->routes[i];
	}
}

static void diff_sysctls(const struct ps_state *cur, const struct ps_state *want, struct prov_plan *p)
{
	for (size_t i = 0; i < want->n_sysctls; i++) {
		const struct ps_sysctl *w = &want->sysctls[i];
		const char *now = NULL;
		for (size_t j = 0; j < cur->n_sysctls; j++)
			if (strcmp(cur->sysctls[j].key, w->key) == 0)
				now = cur->sysctls[j].value;
		if (w->value == NULL || now == NULL || strcmp(now, w->value) == 0)
			continue;
		struct prov_step *st = ps_push(p, PROV_SYSCTL, xstrdup(w->key), xstrdup(now),
					    xstrdup(w->value));
		struct step_priv *x = st->priv;
		x->key = xstrdup(w->key);
		x->value = xstrdup(w->value);
	}
}

static void diff_nft(const struct ps_state *cur, const struct ps_state *want, struct prov_plan *p)
{
	char obj[32];

	snprintf(obj, sizeof(obj), "table inet %s", PS_NFT_TABLE);
	if (want->nft_present) {
		if (cur->nft_present && cur->nft_hash && want->nft_hash &&
		    strcmp(cur->nft_hash, want->nft_hash) == 0)
			return;
		struct prov_step *st = ps_push(p, PROV_FIREWALL, xstrdup(obj),
					    cur->nft_hash ? xstrdup(cur->nft_hash) : NULL,
					    want->nft_hash ? xstrdup(want->nft_hash) : NULL);
		((struct step_priv *)st->priv)->text = xstrdup(want->nft_text);
	} else if (cur->nft_present) {
		ps_push(p, PROV_FIREWALL_DEL, xstrdup(obj),
		     cur->nft_hash ? xstrdup(cur->nft_hash) : NULL, NULL);
	}
}

static const struct ps_daemon *find_daemon(const struct ps_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_daemons; i++)
		if (strcmp(st->daemons[i].name, name) == 0)
			return &st->daemons[i];
	return NULL;
}

/* Daemons to stop, then daemons to (re)start, in the order of want. */
static void diff_daemons(const struct ps_state *cur, const struct ps_state *want,
			 struct prov_plan *p)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < want->n_daemons; i++) {
			const struct ps_daemon *w = &want->daemons[i], *c = find_daemon(cur, w->name);
			bool now = c && c->running;
			bool same = now && w->running && c->config && w->config &&
				    strcmp(c->config, w->config) == 0;
			struct prov_step *st;
			if (pass == 0 && now && !w->running)
				st = ps_push(p, PROV_DAEMON_STOP, xstrdup(w->name), xstrdup("running"),
					     xstrdup("stopped"));
			else if (pass == 1 && w->running && !same)
				st = ps_push(p, PROV_DAEMON_START, xstrdup(w->name),
					     xstrdup(now ? "running, other config" : "stopped"),
					     xstrdup("running"));
			else
				continue;
			ps_daemon_copy(&((struct step_priv *)st->priv)->dmn, w);
		}
}

void ps_diff(const struct ps_state *cur, const struct ps_state *want, bool restore,
	     struct prov_plan *p)
{
	if (!restore) {
		diff_nft(cur, want, p);
	} else {
		diff_daemons(cur, want, p);
		diff_sysctls(cur, want, p);
	}
	diff_routes(cur, want, PROV_ROUTE_DEL, p);
	diff_addrs(cur, want, PROV_ADDR_DEL, p);
	diff_links(cur, want, p);
	diff_addrs(want, cur, PROV_ADDR_ADD, p);
	diff_routes(want, cur, PROV_ROUTE_ADD, p);
	if (!restore) {
		diff_sysctls(cur, want, p);
		diff_daemons(cur, want, p);
	} else {
		diff_nft(cur, want, p);
	}
}

int ps_step_run(const struct prov_step *st, char **cause)
{
	const struct step_priv *x = st->priv;

	switch (st->kind) {
	case PROV_FIREWALL:
		return nft_load(x->text, cause);
	case PROV_FIREWALL_DEL:
		return nft_load(NULL, cause);
	case PROV_LINK:
		return nl_link_set(x->link.name, x->link.up, x->link.mtu, cause);
	case PROV_ADDR_ADD:
	case PROV_ADDR_DEL:
		return nl_addr_change(&x->addr, st->kind == PROV_ADDR_ADD, cause);
	case PROV_ROUTE_ADD:
	case PROV_ROUTE_DEL:
		return nl_route_change(&x->route, st->kind == PROV_ROUTE_ADD, cause);
	case PROV_SYSCTL:
		return sysctl_write(x->key, x->value, cause);
	case PROV_DAEMON_START:
	case PROV_DAEMON_STOP:
		return ps_daemon_run(&x->dmn, st->kind == PROV_DAEMON_START, cause);
	default:
		return cause_set(cause, EINVAL, "internal: step kind %d", (int)st->kind);
	}
}

/* ---- snapshots as JSON ---- */

static void jadd_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void jadd_prefix(struct json_object *o, const char *k, const struct oq_prefix *p)
{
	char buf[64];

	jadd_str(o, k, p->family ? prefix_str(p, buf, false) : NULL);
}

struct json_object *ps_state_to_json(const struct ps_state *st)
{
	struct json_object *o = json_object_new_object(), *a;

	a = json_object_new_array();
	for (size_t i = 0; i < st->n_links; i++) {
		const struct ps_link *l = &st->links[i];
		struct json_object *x = json_object_new_object();
		jadd_str(x, "name", l->name);
		json_object_object_add(x, "exists", json_object_new_boolean(l->exists));
		json_object_object_add(x, "up", json_object_new_boolean(l->up));
		json_object_object_add(x, "mtu", json_object_new_int((int)l->mtu));
		json_object_object_add(x, "addr4", json_object_new_boolean(l->manage_addr4));
		json_object_object_add(x, "addr6", json_object_new_boolean(l->manage_addr6));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "links", a);
	a = json_object_new_array();
	for (size_t i = 0; i < st->n_addrs; i++) {
		struct json_object *x = json_object_new_object();
		jadd_str(x, "dev", st->addrs[i].ifname);
		jadd_prefix(x, "local", &st->addrs[i].local);
		jadd_prefix(x, "broadcast", &st->addrs[i].brd);
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "addresses", a);
	a = json_object_new_array();
	for (size_t i = 0; i < st->n_routes; i++) {
		const struct ps_route *r = &st->routes[i];
		struct json_object *x = json_object_new_object();
		jadd_prefix(x, "dst", &r->dst);
		jadd_prefix(x, "gateway", &r->gw);
		jadd_str(x, "dev", r->ifname);
		json_object_object_add(x, "type", json_object_new_int(r->type));
		json_object_object_add(x, "metric", json_object_new_int64(r->metric));
		json_object_object_add(x, "protocol", json_object_new_int(r->proto));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "routes", a);
	a = json_object_new_array();
	for (size_t i = 0; i < st->n_sysctls; i++) {
		struct json_object *x = json_object_new_object();
		jadd_str(x, "key", st->sysctls[i].key);
		jadd_str(x, "value", st->sysctls[i].value);
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "sysctls", a);
	a = json_object_new_array();
	for (size_t i = 0; i < st->n_daemons; i++) {
		const struct ps_daemon *d = &st->daemons[i];
		struct json_object *x = json_object_new_object();
		jadd_str(x, "program", ps_daemon_prog(d));
		jadd_str(x, "interface", d->ifname);
		jadd_str(x, "wait_interface", d->wait_if);
		jadd_str(x, "conf_dir", d->conf_dir);
		jadd_str(x, "run_dir", d->run_dir);
		json_object_object_add(x, "running", json_object_new_boolean(d->running));
		jadd_str(x, "config", d->config);
		jadd_str(x, "keys", d->keys);
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "daemons", a);
	json_object_object_add(o, "nft_present", json_object_new_boolean(st->nft_present));
	jadd_str(o, "nft_text", st->nft_text);
	jadd_str(o, "nft_hash", st->nft_hash);
	json_object_object_add(o, "charon_checked", json_object_new_boolean(st->charon_checked));
	json_object_object_add(o, "charon_loaded", json_object_new_boolean(st->charon_loaded));
	jadd_str(o, "charon_config", st->charon_config);
	return o;
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

static int64_t jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static bool jbool(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static struct json_object *jarr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_array)
		       ? v : NULL;
}

/* Whether name fits an interface name (a longer one would be cut to
 * another interface's name); NULL and "" do not. */
static bool jifname_ok(const char *name)
{
	return name != NULL && *name != '\0' && strlen(name) < PS_IFNAMSIZ;
}

/* Parse an optional prefix; false when present and invalid. */
static bool jprefix(struct json_object *o, const char *k, struct oq_prefix *p)
{
	const char *s = jstr(o, k);

	memset(p, 0, sizeof(*p));
	return s == NULL || prefix_parse(s, p);
}

int ps_state_from_json(struct json_object *o, struct ps_state *st, char **cause)
{
	struct json_object *a;
	bool ok = true;

	memset(st, 0, sizeof(*st));
	if (!json_object_is_type(o, json_type_object))
		ok = false;
	if ((a = jarr(o, "links"))) {
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *x = json_object_array_get_idx(a, i);
			const char *name = jstr(x, "name");
			if (!jifname_ok(name) || find_link(st, name) != NULL) {
				ok = false;
				continue;
			}
			add_link(st, name, (unsigned)jint(x, "mtu"), jbool(x, "addr4"),
				 jbool(x, "addr6"));
			st->links[st->n_links - 1].exists = jbool(x, "exists");
			st->links[st->n_links - 1].up = jbool(x, "up");
		}
	}
	if ((a = jarr(o, "addresses"))) {
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *x = json_object_array_get_idx(a, i);
			struct oq_prefix p;
			const char *dev = jstr(x, "dev");
			if (!jifname_ok(dev) || !jprefix(x, "local", &p) || p.family == 0) {
				ok = false;
				continue;
			}
			add_addr(st, dev, &p);
			ok &= jprefix(x, "broadcast", &st->addrs[st->n_addrs - 1].brd);
		}
	}
	if ((a = jarr(o, "routes"))) {
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *x = json_object_array_get_idx(a, i);
			struct oq_prefix dst, gw;
			const char *dev = jstr(x, "dev");
			if (!jprefix(x, "dst", &dst) || dst.family == 0 || !jprefix(x, "gateway", &gw) ||
			    (dev != NULL && *dev != '\0' && !jifname_ok(dev))) {
				ok = false;
				continue;
			}
			add_route(st, &dst, &gw, dev, (int)jint(x, "type"));
			st->routes[st->n_routes - 1].metric = (unsigned)jint(x, "metric");
			st->routes[st->n_routes - 1].proto = (int)jint(x, "protocol");
		}
	}
	if ((a = jarr(o, "sysctls"))) {
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *x = json_object_array_get_idx(a, i);
			if (jstr(x, "key"))
				add_sysctl(st, jstr(x, "key"), jstr(x, "value"));
		}
	}
	if ((a = jarr(o, "daemons"))) {
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *x = json_object_array_get_idx(a, i);
			const char *prog = jstr(x, "program"), *ifn = jstr(x, "interface");
			const char *cd = jstr(x, "conf_dir"), *rd = jstr(x, "run_dir");
			int kind = -1;
			struct ps_daemon probe = { .kind = PS_DHCPCD };
			for (int k = PS_DHCPCD; k <= PS_DAEMON_LAST && prog; k++) {
				probe.kind = (enum ps_daemon_kind)k;
				if (strcmp(ps_daemon_prog(&probe), prog) == 0)
					kind = k;
			}
			if (kind < 0 || ifn == NULL || cd == NULL || rd == NULL ||
			    !site_ifname_ok(ifn) || cd[0] != '/' || rd[0] != '/') {
				ok = false;
				continue;
			}
			struct ps_daemon *d = ps_add_daemon(st, (enum ps_daemon_kind)kind, ifn, cd, rd);
			if (jstr(x, "wait_interface"))
				snprintf(d->wait_if, sizeof(d->wait_if), "%s", jstr(x, "wait_interface"));
			d->running = jbool(x, "running");
			d->config = jstr(x, "config") ? xstrdup(jstr(x, "config")) : NULL;
			d->keys = jstr(x, "keys") ? xstrdup(jstr(x, "keys")) : NULL;
			ok &= !d->running || d->config != NULL;
			ok &= !d->running || d->kind != PS_SSHD || d->keys != NULL;
		}
	}
	st->nft_present = jbool(o, "nft_present");
	st->nft_text = jstr(o, "nft_text") ? xstrdup(jstr(o, "nft_text")) : NULL;
	st->nft_hash = jstr(o, "nft_hash") ? xstrdup(jstr(o, "nft_hash")) : NULL;
	st->charon_checked = jbool(o, "charon_checked");
	st->charon_loaded = jbool(o, "charon_loaded");
	st->charon_config = jstr(o, "charon_config") ? xstrdup(jstr(o, "charon_config")) : NULL;
	if (!ok || (st->nft_present && st->nft_text == NULL)) {
		ps_state_clear(st);
		return cause_set(cause, EINVAL, "%s", _("スナップショットが壊れています",
						       "the snapshot is damaged"));
	}
	return 0;
}
