/* IPv6 helpers of the probes (internal to probes/): the kernel's IPv6
 * addresses and routes (read through libnl, given as plain data), router
 * solicitation and the router advertisement it brings, and the line's
 * prefix and how it came. The parsers and the derivation are pure and
 * unit-tested. No library types. */
#ifndef OQ_PROBE_IPV6_H
#define OQ_PROBE_IPV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

struct site;

/* Whether the site uses IPv6 on the uplink ([uplink] address6 or
 * [ipvpn] ipv6). */
bool site_uses_ipv6(const struct site *s);

/* ---- the kernel's view ---- */

/* One IPv6 address of an interface. */
struct k6_addr {
	struct oq_prefix addr;		/* with its prefix length */
	unsigned flags;			/* IFA_F_* of <linux/if_addr.h>: TENTATIVE, DADFAILED,
					 * DEPRECATED, PERMANENT (set by hand) */
	bool link_local;		/* scope link */
	uint32_t valid_s, preferred_s;	/* lifetimes, K6_FOREVER when none */
};
#define K6_FOREVER 0xffffffffu

/* One IPv6 route of the main table. */
struct k6_route {
	struct oq_prefix dst;		/* ::/0 for the default route */
	struct oq_prefix gw;		/* family 0 when direct */
	int ifindex;
	unsigned protocol;		/* RTPROT_*: 9 ra, 4 static, 16 dhcp, ... */
	unsigned type;			/* RTN_*: 1 unicast, 7 unreachable, ... */
};

/* The IPv6 addresses of ifname (at most max) into out, their count in *n.
 * Returns 0 or -errno with *cause. */
int k6_addrs(const char *ifname, struct k6_addr *out, size_t max, size_t *n, char **cause);
/* The IPv6 routes of the main table (at most max). */
int k6_routes(struct k6_route *out, size_t max, size_t *n, char **cause);
/* The kernel's neighbour entry of an address on an interface. */
struct k6_neigh {
	char state[32];			/* "reachable", "stale", "failed", ... */
	bool usable;			/* reachable, stale, delay, probe or permanent */
	bool router;			/* it said it is a router (NTF_ROUTER) */
	char lladdr[24];		/* "aa:bb:cc:dd:ee:ff", "" when none */
};
/* The neighbour entry of addr on ifname: 0, -ENOENT when there is none,
 * or -errno with *cause. */
int k6_neigh(const char *ifname, const uint8_t addr[16], struct k6_neigh *out, char **cause);
/* The name of a route protocol ("ra", "static", "dhcp", "kernel", ...). */
const char *k6_proto_name(unsigned protocol);

/* ---- router advertisements ---- */

#define RA_MAX_PREFIX 4

/* What a router advertisement says. */
struct ra_info {
	uint8_t from[16];		/* the router's (link-local) address */
	unsigned lifetime_s;		/* router lifetime: 0 = not a default router */
	bool managed, other;		/* M and O flags (DHCPv6) */
	unsigned mtu;			/* 0 when no MTU option */
	size_t n_prefix;
	struct {
		struct oq_prefix prefix;
		bool autonomous;	/* A flag: SLAAC from this prefix */
		uint32_t valid_s, preferred_s;
	} prefix[RA_MAX_PREFIX];
};

/* Parse an ICMPv6 router advertisement (as a raw socket gives it, without
 * the IPv6 header); false when msg is none or is malformed. Pure. */
bool ra_parse(const uint8_t *msg, size_t len, struct ra_info *out);
/* Send a router solicitation on ifname and wait up to wait_ms for an
 * advertisement (also an unsolicited one). Returns 0 with out filled,
 * -ETIMEDOUT when none came, or -errno with *cause. Needs root. */
int ra_solicit(const char *ifname, int wait_ms, struct ra_info *out, char **cause);

/* ---- the line's prefix ---- */

enum line6_origin { LINE6_NONE, LINE6_STATIC, LINE6_RA, LINE6_PD };

struct line6 {
	enum line6_origin origin;
	struct oq_prefix prefix;	/* the line's prefix (/64 of RA, delegated /56) */
	struct oq_prefix wan, term;	/* the global addresses used (family 0: none) */
};

/* The line's prefix and how it came, from the global addresses of the WAN
 * and the terminal side and the routes: a prefix delegated by DHCPv6-PD
 * (an unreachable route shorter than /64 covering the terminal side's
 * address, or a learnt terminal-side address outside the WAN's prefix), a
 * WAN address learnt from RA (SLAAC, not permanent), or a WAN address set
 * by hand (static). Addresses whose DAD failed are left out; deprecated
 * ones (a prefix on its way out) count only when there is no other. Pure. */
void line6_derive(const struct k6_addr *wan, size_t n_wan, const struct k6_addr *term,
		  size_t n_term, const struct k6_route *routes, size_t n_routes, struct line6 *out);
/* "RA", "DHCPv6-PD", "static", "none". */
const char *line6_origin_name(enum line6_origin o);
/* The line as the kernel has it now for site (reads addresses and routes). */
int line6_read(const struct site *s, struct line6 *out, char **cause);

/* Compare the prefix recorded at the last successful line authentication
 * (text as the record file holds it, NULL when there is none) with now:
 * 0 the same, 1 changed, -1 nothing recorded or unreadable (then nothing
 * to compare). Pure. */
int line6_prefix_compare(const char *recorded, const struct oq_prefix *now,
			 struct oq_prefix *old);

#endif
