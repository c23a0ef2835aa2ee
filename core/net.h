/* Network helpers below every module that sends packets (probes/ and
 * ipsec/ alike): the Internet checksum, ICMPv4 echo over a raw socket (or
 * an unprivileged ping socket), the statistics of a series of echoes, and
 * the appliance's source address on the terminal side. ICMPv6 echo and
 * errors alike. No library types. */
#ifndef OQ_CORE_NET_H
#define OQ_CORE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/addr.h"

struct site;

/* ---- addresses ---- */

/* The appliance's address on the terminal side: the source that traffic to
 * the central must use to match the tunnel (term address on a separate
 * segment, else the LAN address), as a host address (full length). Family
 * 0 when none. */
struct oq_prefix net_terminal_source(const struct site *site);
/* Fill a sockaddr from an address and port; returns its length. */
socklen_t net_sockaddr(const struct oq_prefix *a, unsigned port, struct sockaddr_storage *ss);
/* "192.0.2.1" into buf (64 bytes); "-" for no address. Returns buf. */
const char *net_str(const struct oq_prefix *a, char buf[64]);
/* Bind the socket fd to src when src is an address of family (src may be
 * NULL: nothing to do). Returns fd, or closes fd and returns -errno with
 * *cause naming the source. */
int net_bind_source(int fd, const struct oq_prefix *src, int family, char **cause);
/* A monotonic clock in microseconds, and the milliseconds since start_us. */
int64_t net_now_us(void);
double net_elapsed_ms(int64_t start_us);

/* ---- ICMP echo ---- */

/* The Internet checksum (RFC 1071) of data, in network byte order; pure. */
uint16_t inet_cksum(const void *data, size_t len);

/* Round-trip statistics of a series of echoes. */
struct ping_stats {
	unsigned sent, received;
	double loss_pct;
	double min_ms, avg_ms, max_ms;
	double jitter_ms;	/* mean absolute difference of consecutive RTTs */
	unsigned errors;	/* ICMP errors received (unreachable, ...) */
	char error[96];		/* the first ICMP error, as text */
};

/* Compute stats from n RTTs (ms, negative = lost); pure. */
void ping_stats_compute(const double *rtt, size_t n, struct ping_stats *st);

/* Build an ICMPv4 echo request of len bytes (>= 8) into buf; pure. */
size_t icmp4_build_echo(uint8_t *buf, size_t len, uint16_t id, uint16_t seq);
/* What an ICMPv4 packet (IP header first, as a raw socket gives it) is. */
enum icmp_kind { ICMP_K_OTHER, ICMP_K_REPLY, ICMP_K_ERROR };
struct icmp_parsed {
	enum icmp_kind kind;
	uint16_t id, seq;		/* of the echo (for errors: the quoted echo) */
	uint8_t type, code;
	uint16_t next_mtu;		/* frag-needed: the MTU the router reports */
	uint32_t from;			/* source address (network order) */
	int family;			/* AF_INET, or AF_INET6 with from6 */
	uint8_t from6[16];
};
bool icmp4_parse(const uint8_t *pkt, size_t len, struct icmp_parsed *out);
/* Build an ICMPv6 echo request of len bytes (>= 8; the checksum is left to
 * the kernel) into buf; pure. */
size_t icmp6_build_echo(uint8_t *buf, size_t len, uint16_t id, uint16_t seq);
/* What an ICMPv6 message (as a raw ICMPv6 socket gives it, without the IPv6
 * header) is: an echo reply, or an error (unreachable, packet too big with
 * its MTU in next_mtu, time exceeded) quoting an echo request; pure. The
 * source is the caller's (from6). */
bool icmp6_parse(const uint8_t *msg, size_t len, struct icmp_parsed *out);

/* Send count echoes of size bytes (ICMP header included) to dst every
 * interval_ms from source src (may be NULL), with DF set when df, and wait
 * up to wait_ms for the last. rtt gets one value per echo (-1 lost).
 * Returns 0 or -errno with *cause. IPv4 or IPv6 by dst's family; needs a
 * raw socket (root). */
int ping4(const struct oq_prefix *src, const struct oq_prefix *dst, unsigned count,
	  unsigned interval_ms, unsigned size, bool df, int wait_ms, double *rtt,
	  struct ping_stats *st, char **cause);
/* ping4 to ndst targets of both families at once (echo i to target t has
 * sequence i * ndst + t; rtt has ndst * count values, target-major, st
 * ndst): a socket per family in the same loop, so it takes the time of one
 * series. IPv4 echoes from src4, IPv6 ones from src6 (either may be
 * NULL); a socket is opened only for a family that has a target, and
 * targets of neither family are left as they are. */
int ping_dual(const struct oq_prefix *src4, const struct oq_prefix *src6,
	      const struct oq_prefix *dsts, size_t ndst, unsigned count, unsigned interval_ms,
	      unsigned size, bool df, int wait_ms, double *rtt, struct ping_stats *st,
	      char **cause);
/* ping4 for diagnostics that any user may run: without root, through an
 * unprivileged ping socket (net.ipv4.ping_group_range), which sees replies
 * but no ICMP errors. */
int ping4_any_user(const struct oq_prefix *src, const struct oq_prefix *dst, unsigned count,
		   unsigned interval_ms, unsigned size, bool df, int wait_ms, double *rtt,
		   struct ping_stats *st, char **cause);
/* A raw ICMP socket bound to src (may be NULL), DF set when df; the fd or
 * -errno with *cause. */
int icmp4_open(const struct oq_prefix *src, bool df, char **cause);
/* Read every pending packet of a raw socket; fn gets each reply or error
 * for echo id. */
void icmp4_drain(int fd, uint16_t id, void (*fn)(void *arg, const struct icmp_parsed *ip),
		 void *arg);
/* icmp4_open and icmp4_drain for either family: over IPv6, a raw ICMPv6
 * socket that sees echo replies and errors only; df: never fragmented
 * here (EMSGSIZE above the interface MTU). */
int icmp_open(int family, const struct oq_prefix *src, bool df, char **cause);
void icmp_drain(int fd, int family, uint16_t id,
		void (*fn)(void *arg, const struct icmp_parsed *ip), void *arg);

#endif
