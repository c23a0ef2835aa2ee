/* Links, addresses and routes through libnl-route-3: read the ones in
 * scope, change one at a time. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "core/i18n.h"
#include "core/util.h"
#include "provision/state.h"

/* A libnl error as -errno. */
static int nl_errno(int err)
{
	switch (-err) {
	case NLE_EXIST: return -EEXIST;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NODEV: return -ENODEV;
	case NLE_PERM: return -EPERM;
	case NLE_INVAL: return -EINVAL;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_BUSY: return -EBUSY;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_RANGE: return -ERANGE;
	default: return -EIO;
	}
}

/* A connected route netlink socket, or NULL with *cause. */
static struct nl_sock *nl_open(char **cause)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (sk == NULL) {
		cause_set(cause, ENOMEM, "%s", _("netlink ソケットを作れません",
						 "cannot allocate a netlink socket"));
		return NULL;
	}
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		cause_set(cause, -nl_errno(err), _("netlink に接続できません: %s",
						  "cannot connect to netlink: %s"), nl_geterror(err));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/* An nl_addr from a prefix (with its length). */
static struct nl_addr *to_nl(const struct oq_prefix *p)
{
	struct nl_addr *a = nl_addr_build(p->family, p->addr, p->family == AF_INET ? 4 : 16);

	if (a == NULL)
		abort();	/* out of memory, as xmalloc */
	nl_addr_set_prefixlen(a, p->len);
	return a;
}

/* A prefix from an nl_addr; false when it is not IPv4/IPv6. */
static bool from_nl(struct nl_addr *a, struct oq_prefix *p)
{
	memset(p, 0, sizeof(*p));
	if (a == NULL)
		return false;
	int fam = nl_addr_get_family(a);
	unsigned len = nl_addr_get_len(a);
	if ((fam != AF_INET && fam != AF_INET6) || len > 16)
		return false;
	p->family = fam;
	memcpy(p->addr, nl_addr_get_binary_addr(a), len);
	p->len = (uint8_t)nl_addr_get_prefixlen(a);
	return true;
}

/* The link of the scope with this name, or NULL. */
static const struct ps_link *scope_link(const struct ps_state *tmpl, const char *name)
{
	for (size_t i = 0; i < tmpl->n_links; i++)
		if (strcmp(tmpl->links[i].name, name) == 0)
			return &tmpl->links[i];
	return NULL;
}

/* Read the links of the scope. */
static void read_links(struct nl_cache *links, const struct ps_state *tmpl, struct ps_state *out)
{
	out->links = xcalloc(tmpl->n_links ? tmpl->n_links : 1, sizeof(*out->links));
	out->n_links = tmpl->n_links;
	for (size_t i = 0; i < tmpl->n_links; i++) {
		struct ps_link *l = &out->links[i];
		*l = tmpl->links[i];
		l->exists = false;
		l->up = false;
		l->mtu = 0;
		struct rtnl_link *k = rtnl_link_get_by_name(links, l->name);
		if (k == NULL)
			continue;
		l->exists = true;
		l->up = (rtnl_link_get_flags(k) & IFF_UP) != 0;
		l->mtu = rtnl_link_get_mtu(k);
		rtnl_link_put(k);
	}
}

/* Is this address one we manage (global, and for IPv6 static)? */
static bool addr_in_scope(struct rtnl_addr *a, const struct ps_link *l)
{
	int fam = rtnl_addr_get_family(a);

	if (rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE)
		return false;
	if (fam == AF_INET)
		return l->manage_addr4;
	if (fam == AF_INET6)
		return l->manage_addr6 && (rtnl_addr_get_flags(a) & IFA_F_PERMANENT) &&
		       !(rtnl_addr_get_flags(a) & IFA_F_MANAGETEMPADDR);
	return false;
}

/* Read the addresses on the links of the scope. */
static void read_addrs(struct nl_cache *addrs, struct nl_cache *links, const struct ps_state *tmpl,
		       struct ps_state *out)
{
	char name[IF_NAMESIZE];
	size_t cap = 0;

	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		if (rtnl_link_i2name(links, rtnl_addr_get_ifindex(a), name, sizeof(name)) == NULL)
			continue;
		const struct ps_link *l = scope_link(tmpl, name);
		if (l == NULL || !addr_in_scope(a, l))
			continue;
		struct ps_addr x = { 0 };
		snprintf(x.ifname, sizeof(x.ifname), "%s", name);
		if (!from_nl(rtnl_addr_get_local(a), &x.local))
			continue;
		x.local.len = (uint8_t)rtnl_addr_get_prefixlen(a);
		if (x.local.family == AF_INET)
			from_nl(rtnl_addr_get_broadcast(a), &x.brd);
		if (x.brd.family)
			x.brd.len = 32;
		if (out->n_addrs == cap) {
			cap = cap ? cap * 2 : 8;
			out->addrs = xrealloc(out->addrs, cap * sizeof(*out->addrs));
		}
		out->addrs[out->n_addrs++] = x;
	}
}

/* Is this route one we manage: main table, static or boot protocol, on a
 * link in scope; or a static unreachable/blackhole/prohibit route (ours)? */
static bool route_in_scope(struct rtnl_route *r, const char *ifname, const struct ps_state *tmpl)
{
	int proto = rtnl_route_get_protocol(r);
	int type = rtnl_route_get_type(r);

	if (rtnl_route_get_table(r) != RT_TABLE_MAIN)
		return false;
	if (type == RTN_UNICAST)
		return (proto == RTPROT_STATIC || proto == RTPROT_BOOT) && ifname &&
		       scope_link(tmpl, ifname) != NULL;
	if (type == RTN_UNREACHABLE || type == RTN_BLACKHOLE || type == RTN_PROHIBIT)
		return proto == RTPROT_STATIC;
	return false;
}

/* Read the routes in scope. */
static void read_routes(struct nl_cache *routes, struct nl_cache *links,
			const struct ps_state *tmpl, struct ps_state *out)
{
	char name[IF_NAMESIZE];
	size_t cap = 0;

	for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct rtnl_nexthop *nh = NULL;
		const char *ifname = NULL;
		int type = rtnl_route_get_type(r);

		if (rtnl_route_get_nnexthops(r) > 1)
			continue;
		if (rtnl_route_get_nnexthops(r) == 1)
			nh = rtnl_route_nexthop_n(r, 0);
		if (nh && type == RTN_UNICAST &&
		    rtnl_link_i2name(links, rtnl_route_nh_get_ifindex(nh), name, sizeof(name)))
			ifname = name;
		if (!route_in_scope(r, ifname, tmpl))
			continue;
		struct ps_route x = { 0 };
		if (!from_nl(rtnl_route_get_dst(r), &x.dst))
			continue;
		if (nh && type == RTN_UNICAST && rtnl_route_nh_get_gateway(nh)) {
			from_nl(rtnl_route_nh_get_gateway(nh), &x.gw);
			x.gw.len = x.gw.family == AF_INET ? 32 : 128;
		}
		if (ifname)
			snprintf(x.ifname, sizeof(x.ifname), "%s", ifname);
		x.type = type;
		x.metric = rtnl_route_get_priority(r);
		x.proto = rtnl_route_get_protocol(r);
		if (out->n_routes == cap) {
			cap = cap ? cap * 2 : 16;
			out->routes = xrealloc(out->routes, cap * sizeof(*out->routes));
		}
		out->routes[out->n_routes++] = x;
	}
}

int nl_read(const struct ps_state *tmpl, struct ps_state *out, char **cause)
{
	struct nl_cache *links = NULL, *addrs = NULL, *routes = NULL;
	struct nl_sock *sk = nl_open(cause);
	int err, r = 0;

	if (sk == NULL)
		return -EIO;
	if ((err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links)) < 0 ||
	    (err = rtnl_addr_alloc_cache(sk, &addrs)) < 0 ||
	    (err = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &routes)) < 0) {
		r = cause_set(cause, -nl_errno(err), _("ネットワークの状態を読めません: %s",
						      "cannot read the network state: %s"),
			      nl_geterror(err));
		goto out;
	}
	read_links(links, tmpl, out);
	read_addrs(addrs, links, tmpl, out);
	read_routes(routes, links, tmpl, out);
out:
	nl_cache_free(routes);
	nl_cache_free(addrs);
	nl_cache_free(links);
	nl_socket_free(sk);
	return r;
}

/* Look up a link by name through a fresh query. */
static int get_link(struct nl_sock *sk, const char *ifname, struct rtnl_link **l, char **cause)
{
	int err = rtnl_link_get_kernel(sk, 0, ifname, l);

	if (err < 0)
		return cause_set(cause, ENODEV, _("インターフェース %s がありません",
						  "there is no interface %s"), ifname);
	return 0;
}

int nl_link_set(const char *ifname, bool up, unsigned mtu, char **cause)
{
	struct nl_sock *sk = nl_open(cause);
	struct rtnl_link *l = NULL, *ch = NULL;
	int err, r;

	if (sk == NULL)
		return -EIO;
	if ((r = get_link(sk, ifname, &l, cause)) < 0)
		goto out;
	ch = rtnl_link_alloc();
	if (mtu)
		rtnl_link_set_mtu(ch, mtu);
	if (up)
		rtnl_link_set_flags(ch, IFF_UP);
	else
		rtnl_link_unset_flags(ch, IFF_UP);
	err = rtnl_link_change(sk, l, ch, 0);
	if (err < 0)
		r = cause_set(cause, -nl_errno(err), _("%s を変更できません: %s",
						      "cannot change %s: %s"), ifname, nl_geterror(err));
out:
	rtnl_link_put(ch);
	rtnl_link_put(l);
	nl_socket_free(sk);
	return r;
}

int nl_addr_change(const struct ps_addr *a, bool add, char **cause)
{
	struct nl_sock *sk = nl_open(cause);
	struct rtnl_link *l = NULL;
	struct rtnl_addr *x = NULL;
	struct nl_addr *local = NULL, *brd = NULL;
	int err, r;

	if (sk == NULL)
		return -EIO;
	if ((r = get_link(sk, a->ifname, &l, cause)) < 0)
		goto out;
	x = rtnl_addr_alloc();
	rtnl_addr_set_ifindex(x, rtnl_link_get_ifindex(l));
	local = to_nl(&a->local);
	rtnl_addr_set_local(x, local);
	rtnl_addr_set_prefixlen(x, a->local.len);
	if (add && a->brd.family == AF_INET) {
		brd = to_nl(&a->brd);
		rtnl_addr_set_broadcast(x, brd);
	}
	err = add ? rtnl_addr_add(sk, x, NLM_F_REPLACE) : rtnl_addr_delete(sk, x, 0);
	if (err < 0 && !add && (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND))
		err = 0;	/* already gone */
	if (err < 0) {
		char *what = ps_addr_str(a);
		r = cause_set(cause, -nl_errno(err),
			      add ? _("アドレス %s を追加できません: %s", "cannot add address %s: %s")
				  : _("アドレス %s を削除できません: %s", "cannot remove address %s: %s"),
			      what, nl_geterror(err));
		free(what);
	}
out:
	nl_addr_put(brd);
	nl_addr_put(local);
	rtnl_addr_put(x);
	rtnl_link_put(l);
	nl_socket_free(sk);
	return r;
}

int nl_route_change(const struct ps_route *rt, bool add, char **cause)
{
	struct nl_sock *sk = nl_open(cause);
	struct rtnl_link *l = NULL;
	struct rtnl_route *x = NULL;
	struct nl_addr *dst = NULL, *gw = NULL;
	int err, r = 0;

	if (sk == NULL)
		return -EIO;
	if (rt->ifname[0] && (r = get_link(sk, rt->ifname, &l, cause)) < 0)
		goto out;
	x = rtnl_route_alloc();
	rtnl_route_set_family(x, (uint8_t)rt->dst.family);
	rtnl_route_set_table(x, RT_TABLE_MAIN);
	dst = to_nl(&rt->dst);
	rtnl_route_set_dst(x, dst);
	rtnl_route_set_type(x, (uint8_t)rt->type);
	rtnl_route_set_protocol(x, (uint8_t)rt->proto);
	rtnl_route_set_priority(x, rt->metric);
	if (rt->type == RTN_UNICAST) {
		struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
		if (l)
			rtnl_route_nh_set_ifindex(nh, rtnl_link_get_ifindex(l));
		if (rt->gw.family) {
			gw = to_nl(&rt->gw);
			rtnl_route_nh_set_gateway(nh, gw);
		}
		rtnl_route_add_nexthop(x, nh);	/* x owns nh */
		rtnl_route_set_scope(x, rt->gw.family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	} else {
		rtnl_route_set_scope(x, RT_SCOPE_UNIVERSE);
	}
	err = add ? rtnl_route_add(sk, x, NLM_F_REPLACE) : rtnl_route_delete(sk, x, 0);
	if (err < 0 && !add && (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR))
		err = 0;	/* already gone (with its address, say) */
	if (err < 0) {
		char *what = ps_route_str(rt);
		r = cause_set(cause, -nl_errno(err),
			      add ? _("経路 %s を追加できません: %s", "cannot add route %s: %s")
				  : _("経路 %s を削除できません: %s", "cannot remove route %s: %s"),
			      what, nl_geterror(err));
		free(what);
	}
out:
	nl_addr_put(gw);
	nl_addr_put(dst);
	rtnl_route_put(x);
	rtnl_link_put(l);
	nl_socket_free(sk);
	return r;
}
