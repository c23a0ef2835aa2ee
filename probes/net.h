/* Network helpers shared by the probes (internal to probes/): the verdict
 * of an echo series (the echoes themselves are core/net.h), DNS through the
 * configured servers (c-ares), TCP connect, ARP, HTTP, and the pure parsers
 * behind them (unit-tested). No library types. */
#ifndef OQ_PROBE_NET_H
#define OQ_PROBE_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/addr.h"
#include "core/net.h"
#include "probes/probe.h"

struct site;
struct probe_ctx;

/* ---- ICMP echo (core/net.h) ---- */

/* The verdict for ping statistics: FAIL when
 * nothing or more than REACH_FAIL_LOSS % comes back, WARN for any loss, an
 * average above REACH_WARN_RTT_MS or jitter above REACH_WARN_JITTER_MS. */
#define REACH_FAIL_LOSS 20.0
#define REACH_WARN_RTT_MS 150.0
#define REACH_WARN_JITTER_MS 30.0
enum probe_verdict reach_verdict(const struct ping_stats *st);

/* ---- DNS ---- */

/* One answer from one server. */
struct dns_answer {
	int status;		/* 0 ok, else a c-ares status */
	const char *rcode;	/* "NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", "TIMEOUT", ... */
	char addrs[256];	/* "192.0.2.10 192.0.2.11" */
	struct oq_prefix first;	/* the first address (family 0 when none) */
	double ms;
};

/* The name of a c-ares status, as the DNS RCODE it stands for; pure. */
const char *dns_status_rcode(int status);
/* Resolve name (A) through server from source src (may be NULL) within
 * timeout_ms. Returns 0 (answer filled, whatever the status) or -errno. */
int dns_query(const char *server, const struct oq_prefix *src, const char *name, int timeout_ms,
	      struct dns_answer *out, char **cause);
/* The same for n names at once (one channel, queries in parallel); out
 * has n elements. */
int dns_query_many(const char *server, const struct oq_prefix *src, const char *const *names,
		   size_t n, int timeout_ms, struct dns_answer *out, char **cause);
/* An address for host: a literal, or through the site's central DNS
 * servers. Returns 0 or -errno with *cause. */
int net_resolve(const struct site *site, const char *host, int timeout_ms, struct oq_prefix *out,
		char **cause);

/* ---- TCP and helpers ---- */

/* Connect to dst:port from src within timeout_ms; *fd gets the connected
 * socket (blocking again). Returns 0 or -errno with *cause; *ms the time. */
int tcp_connect(const struct oq_prefix *src, const struct oq_prefix *dst, unsigned port,
		int timeout_ms, int *fd, double *ms, char **cause);
/* Whether address a is on the interface ifname (its prefix length aside). */
bool net_addr_present(const char *ifname, const struct oq_prefix *a);
/* ---- ARP ---- */

/* Send an ARP request for target (network order) on ifname with sender
 * address sender (0 for a duplicate-address probe, RFC 5227) and collect the
 * hardware addresses of those that answer within timeout_ms, our own
 * excluded. Returns how many (at most max) or -errno with *cause. */
int arp_probe(const char *ifname, uint32_t sender, uint32_t target, int timeout_ms,
	      uint8_t (*macs)[6], int max, char **cause);
/* An ARP reply for target from a MAC other than own (pure, for tests):
 * fills mac and returns true. */
bool arp_parse_reply(const uint8_t *pkt, size_t len, uint32_t target, const uint8_t own[6],
		     uint8_t mac[6]);
/* "aa:bb:cc:dd:ee:ff" */
const char *mac_str(const uint8_t mac[6], char buf[18]);

/* ---- HTTP ---- */

/* The status code of an HTTP/1.x status line ("HTTP/1.1 200 Connection
 * established"); false when buf does not start with one. Pure. */
bool http_status_parse(const char *buf, int *code);
/* Split "http://host[:port]/path" (http only); host and path are newly
 * allocated. Pure. */
bool http_url_parse(const char *url, char **host, unsigned *port, char **path);
/* Send req on fd and read the reply (at most max bytes, until close or
 * timeout_ms) into a new NUL-terminated buffer; its length in *len.
 * Returns 0 or -errno. */
int http_exchange(int fd, const char *req, int timeout_ms, size_t max, char **reply,
		  size_t *len);

/* ---- result helpers ---- */

/* Set verdict, a summary formatted from both formats with the same
 * arguments, and the remedy (static strings, copied). */
void pr_set(struct probe_result *r, enum probe_verdict verdict, struct bitext remedy, const char *ja,
	    const char *en, ...) __attribute__((format(printf, 4, 6), format(printf, 5, 6)));

#endif
