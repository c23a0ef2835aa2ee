/* IPv6 helpers of the probes: the kernel's addresses and routes through
 * libnl-route-3, router solicitation, and the line's prefix. */
#include "probes/ipv6.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "probes/net.h"

bool site_uses_ipv6(const struct site *s)
{
	return s->wan6_mode != SITE_ADDR6_NONE || s->ipvpn6 != SITE_IPVPN6_NONE;
}

/* ---- the kernel's view ---- */

/* A route netlink socket and a cache filled by fill, or -errno. */
static int k6_cache(int (*fill)(struct nl_sock *, struct nl_cache **), struct nl_sock **sk,
		    struct nl_cache **cache, char **cause)
{
	int err;

	*sk = nl_socket_alloc();
	if (*sk == NULL)
		return cause_set(cause, ENOMEM, "%s", _("netlink ソケットを作れません",
							"cannot allocate a netlink socket"));
	err = nl_connect(*sk, NETLINK_ROUTE);
	if (err >= 0)
		err = fill(*sk, cache);
	if (err < 0) {
		nl_socket_free(*sk);
		return cause_set(cause, EIO, _("netlink から読めません: %s",
					       "cannot read from netlink: %s"), nl_geterror(err));
	}
	return 0;
}

static int fill_addrs(struct nl_sock *sk, struct nl_cache **c)
{
	return rtnl_addr_alloc_cache(sk, c);
}

static int fill_routes(struct nl_sock *sk, struct nl_cache **c)
{
	return rtnl_route_alloc_cache(sk, AF_INET6, 0, c);
}

static int fill_neigh(struct nl_sock *sk, struct nl_cache **c)
{
	return rtnl_neigh_alloc_cache(sk, c);
}

/* An nl_addr into a prefix of its own length (family 0 when NULL). */
static struct oq_prefix from_nl(struct nl_addr *a)
{
	struct oq_prefix p = { 0 };

	if (a == NULL || nl_addr_get_family(a) != AF_INET6 || nl_addr_get_len(a) != 16)
		return p;
	p.family = AF_INET6;
	memcpy(p.addr, nl_addr_get_binary_addr(a), 16);
	p.len = (uint8_t)nl_addr_get_prefixlen(a);
	return p;
}

int k6_addrs(const char *ifname, struct k6_addr *out, size_t max, size_t *n, char **cause)
{
	struct nl_sock *sk;
	struct nl_cache *cache;
	int ifindex = (int)if_nametoindex(ifname), ret;

	*n = 0;
	if (ifindex == 0)
		return cause_set(cause, ENODEV, _("インターフェース %s がありません",
						  "no interface %s"), ifname);
	ret = k6_cache(fill_addrs, &sk, &cache, cause);
	if (ret < 0)
		return ret;
	for (struct nl_object *o = nl_cache_get_first(cache); o && *n < max; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct k6_addr *k = &out[*n];

		if (rtnl_addr_get_family(a) != AF_INET6 || rtnl_addr_get_ifindex(a) != ifindex)
			continue;
		memset(k, 0, sizeof(*k));
		k->addr = from_nl(rtnl_addr_get_local(a));
		if (k->addr.family == 0)
			continue;
		k->addr.len = (uint8_t)rtnl_addr_get_prefixlen(a);
		k->flags = rtnl_addr_get_flags(a);
		k->link_local = rtnl_addr_get_scope(a) == RT_SCOPE_LINK;
		k->valid_s = rtnl_addr_get_valid_lifetime(a);
		k->preferred_s = rtnl_addr_get_preferred_lifetime(a);
		(*n)++;
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
	return 0;
}

int k6_routes(struct k6_route *out, size_t max, size_t *n, char **cause)
{
	struct nl_sock *sk;
	struct nl_cache *cache;
	int ret;

	*n = 0;
	ret = k6_cache(fill_routes, &sk, &cache, cause);
	if (ret < 0)
		return ret;
	for (struct nl_object *o = nl_cache_get_first(cache); o && *n < max; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		struct k6_route *k = &out[*n];
		struct rtnl_nexthop *nh;

		if (rtnl_route_get_table(rt) != RT_TABLE_MAIN)
			continue;
		memset(k, 0, sizeof(*k));
		k->dst = from_nl(rtnl_route_get_dst(rt));
		if (k->dst.family == 0) {	/* ::/0 comes without an address */
			k->dst.family = AF_INET6;
			k->dst.len = 0;
		}
		k->protocol = rtnl_route_get_protocol(rt);
		k->type = rtnl_route_get_type(rt);
		if (rtnl_route_get_nnexthops(rt) > 0 && (nh = rtnl_route_nexthop_n(rt, 0)) != NULL) {
			k->gw = from_nl(rtnl_route_nh_get_gateway(nh));
			k->gw.len = k->gw.family ? 128 : 0;
			k->ifindex = rtnl_route_nh_get_ifindex(nh);
		}
		(*n)++;
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
	return 0;
}

int k6_neigh(const char *ifname, const uint8_t addr[16], struct k6_neigh *out, char **cause)
{
	struct nl_sock *sk;
	struct nl_cache *cache;
	struct nl_addr *a;
	struct rtnl_neigh *ne;
	int ifindex = (int)if_nametoindex(ifname), ret, st;

	memset(out, 0, sizeof(*out));
	if (ifindex == 0)
		return cause_set(cause, ENODEV, _("インターフェース %s がありません",
						  "no interface %s"), ifname);
	ret = k6_cache(fill_neigh, &sk, &cache, cause);
	if (ret < 0)
		return ret;
	a = nl_addr_build(AF_INET6, addr, 16);
	ne = a != NULL ? rtnl_neigh_get(cache, ifindex, a) : NULL;
	if (ne == NULL) {
		ret = -ENOENT;
		goto out;
	}
	st = rtnl_neigh_get_state(ne);
	rtnl_neigh_state2str(st, out->state, sizeof(out->state));
	out->usable = (st & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)) != 0;
	out->router = (rtnl_neigh_get_flags(ne) & NTF_ROUTER) != 0;
	if (rtnl_neigh_get_lladdr(ne) != NULL)
		nl_addr2str(rtnl_neigh_get_lladdr(ne), out->lladdr, sizeof(out->lladdr));
	rtnl_neigh_put(ne);
out:
	nl_addr_put(a);
	nl_cache_free(cache);
	nl_socket_free(sk);
	return ret;
}

const char *k6_proto_name(unsigned protocol)
{
	switch (protocol) {
	case RTPROT_KERNEL: return "kernel";
	case RTPROT_BOOT: return "boot";
	case RTPROT_STATIC: return "static";
	case RTPROT_RA: return "ra";
	case RTPROT_DHCP: return "dhcp";
	default: return "other";
	}
}

/* ---- router advertisements ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool ra_parse(const uint8_t *msg, size_t len, struct ra_info *out)
{
	size_t off = 16;

	memset(out, 0, sizeof(*out));
	if (len < 16 || msg[0] != ND_ROUTER_ADVERT || msg[1] != 0)
		return false;
	out->managed = (msg[5] & 0x80) != 0;
	out->other = (msg[5] & 0x40) != 0;
	out->lifetime_s = (unsigned)(msg[6] << 8 | msg[7]);
	while (off + 2 <= len) {
		size_t olen = (size_t)msg[off + 1] * 8;
		const uint8_t *o = msg + off;

		if (olen == 0 || off + olen > len)
			return false;	/* RFC 4861: a zero length is malformed */
		if (o[0] == ND_OPT_MTU && olen == 8) {
			out->mtu = be32(o + 4);
		} else if (o[0] == ND_OPT_PREFIX_INFORMATION && olen == 32 && o[2] <= 128 &&
			   out->n_prefix < RA_MAX_PREFIX) {
			size_t k = out->n_prefix++;

			out->prefix[k].prefix.family = AF_INET6;
			out->prefix[k].prefix.len = o[2];
			memcpy(out->prefix[k].prefix.addr, o + 16, 16);
			out->prefix[k].autonomous = (o[3] & 0x40) != 0;
			out->prefix[k].valid_s = be32(o + 4);
			out->prefix[k].preferred_s = be32(o + 8);
		}
		off += olen;
	}
	return true;
}

int ra_solicit(const char *ifname, int wait_ms, struct ra_info *out, char **cause)
{
	struct icmp6_filter f;
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 }, from;
	uint8_t rs[8] = { ND_ROUTER_SOLICIT }, buf[1500];
	int fd, hops = 255, e;
	unsigned ifindex = if_nametoindex(ifname);
	int64_t end = net_now_us() / 1000 + wait_ms;

	if (ifindex == 0)
		return cause_set(cause, ENODEV, _("インターフェース %s がありません",
						  "no interface %s"), ifname);
	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return cause_set(cause, errno, _("ICMPv6 ソケットを開けません: %s (root が必要です)",
						 "cannot open an ICMPv6 socket: %s (needs root)"),
				 i18n_strerror(errno));
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, &f);
	setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops));
	setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex));
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0) {
		e = errno;
		close(fd);
		return cause_set(cause, e, "%s: %s", ifname, i18n_strerror(e));
	}
	inet_pton(AF_INET6, "ff02::2", &to.sin6_addr);
	to.sin6_scope_id = ifindex;
	if (sendto(fd, rs, sizeof(rs), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		e = errno;
		close(fd);
		return cause_set(cause, e, _("ルーター要請を送れません: %s",
					     "cannot send a router solicitation: %s"), i18n_strerror(e));
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		socklen_t fl = sizeof(from);
		int64_t left = end - net_now_us() / 1000;
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n > 0 && ra_parse(buf, (size_t)n, out)) {
			memcpy(out->from, &from.sin6_addr, 16);
			close(fd);
			return 0;
		}
	}
	close(fd);
	return -ETIMEDOUT;
}

/* ---- the line's prefix ---- */

/* The global address of a list that the line's prefix is read from: DAD
 * not failed; a learnt one before one set by hand, a deprecated one (a
 * prefix on its way out) last. NULL when none. */
static const struct k6_addr *first_global(const struct k6_addr *a, size_t n)
{
	const struct k6_addr *best = NULL;
	int best_rank = 0;

	for (size_t i = 0; i < n; i++) {
		int rank;

		if (a[i].link_local || (a[i].flags & IFA_F_DADFAILED))
			continue;
		rank = (a[i].flags & IFA_F_DEPRECATED) ? 1 : (a[i].flags & IFA_F_PERMANENT) ? 2 : 3;
		if (rank > best_rank) {
			best = &a[i];
			best_rank = rank;
		}
	}
	return best;
}

void line6_derive(const struct k6_addr *wan, size_t n_wan, const struct k6_addr *term,
		  size_t n_term, const struct k6_route *routes, size_t n_routes, struct line6 *out)
{
	const struct k6_addr *w = first_global(wan, n_wan), *t = first_global(term, n_term);

	memset(out, 0, sizeof(*out));
	if (w != NULL)
		out->wan = w->addr;
	if (t != NULL)
		out->term = t->addr;
	if (t != NULL) {
		/* The delegated prefix, as the DHCPv6 client routes it away. */
		for (size_t i = 0; i < n_routes; i++)
			if (routes[i].type == RTN_UNREACHABLE && routes[i].dst.len > 0 &&
			    routes[i].dst.len < 64 && prefix_contains(&routes[i].dst, &t->addr)) {
				out->origin = LINE6_PD;
				out->prefix = prefix_network(&routes[i].dst);
				return;
			}
		if (!(t->flags & IFA_F_PERMANENT) &&
		    (w == NULL || !prefix_contains(&w->addr, &t->addr))) {
			out->origin = LINE6_PD;
			out->prefix = prefix_network(&t->addr);
			return;
		}
	}
	if (w == NULL)
		return;
	out->origin = w->flags & IFA_F_PERMANENT ? LINE6_STATIC : LINE6_RA;
	out->prefix = prefix_network(&w->addr);
}

const char *line6_origin_name(enum line6_origin o)
{
	switch (o) {
	case LINE6_STATIC: return "static";
	case LINE6_RA: return "RA";
	case LINE6_PD: return "DHCPv6-PD";
	default: return "none";
	}
}

int line6_read(const struct site *s, struct line6 *out, char **cause)
{
	struct k6_addr wan[16], term[16];
	struct k6_route rt[256];
	size_t n_wan, n_term = 0, n_rt;
	const char *tif = s->segment == SITE_SEGMENT_SEPARATE && s->term_if ? s->term_if : s->lan_if;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = k6_addrs(s->wan_if, wan, ARRAY_SIZE(wan), &n_wan, cause);
	if (ret < 0)
		return ret;
	if (tif != NULL && k6_addrs(tif, term, ARRAY_SIZE(term), &n_term, NULL) < 0)
		n_term = 0;
	ret = k6_routes(rt, ARRAY_SIZE(rt), &n_rt, cause);
	if (ret < 0)
		return ret;
	line6_derive(wan, n_wan, term, n_term, rt, n_rt, out);
	return 0;
}

int line6_prefix_compare(const char *recorded, const struct oq_prefix *now,
			 struct oq_prefix *old)
{
	char buf[64];
	size_t l;

	memset(old, 0, sizeof(*old));
	if (recorded == NULL)
		return -1;
	l = strcspn(recorded, "\r\n");
	if (l == 0 || l >= sizeof(buf))
		return -1;
	memcpy(buf, recorded, l);
	buf[l] = '\0';
	if (!prefix_parse(buf, old) || old->family != AF_INET6) {
		memset(old, 0, sizeof(*old));
		return -1;
	}
	return prefix_equal(old, now) ? 0 : 1;
}
