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
/* Fit reach's one series (both families at once) into remaining_ms:
 * *count echoes per target (asked for on entry, at least 3 on return) every
 * interval_ms, then *wait ms (200 to 1000) for the last; pure. */
void reach_plan(int remaining_ms, unsigned interval_ms, unsigned *count, int *wait);

/* ---- DNS ---- */

/* Question types. */
#define DNS_T_A 1
#define DNS_T_AAAA 28
/* The largest DNS message plain UDP carries (RFC 1035), and the UDP size
 * the EDNS queries offer. */
#define DNS_PLAIN_SIZE 512
#define DNS_EDNS_SIZE 1232

/* How a question is sent: c-ares' default (UDP, again over TCP when the
 * answer is truncated), plain UDP without EDNS, UDP with EDNS (a truncated
 * answer is kept as it is, not retried), TCP only. */
enum dns_via { DNS_VIA_AUTO, DNS_VIA_UDP, DNS_VIA_EDNS, DNS_VIA_TCP };

struct dns_question {
	const char *name;
	int type;		/* DNS_T_A or DNS_T_AAAA */
};

/* One answer from one server. */
struct dns_answer {
	int status;		/* 0 ok, else a c-ares status */
	const char *rcode;	/* "NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", "TIMEOUT", ... */
	char addrs[256];	/* "192.0.2.10 192.0.2.11" */
	struct oq_prefix first;	/* the first address (family 0 when none) */
	double ms;
	int type;		/* the question's type */
	enum dns_via via;	/* how it was asked */
	size_t size;		/* bytes of the answer message, 0 when none came */
	bool truncated;		/* the answer had TC set */
};

/* The name of a c-ares status, as the DNS RCODE it stands for; pure. */
const char *dns_status_rcode(int status);

/* The questions q[0..n) to one server (an IPv4 or IPv6 address) from
 * source src (may be NULL; the family of the server's), sent as via;
 * out[i] gets the answer to q[i]. The job's pointers are the caller's. */
struct dns_job {
	const char *server;
	const struct oq_prefix *src;
	enum dns_via via;
	const struct dns_question *q;
	size_t n;
	struct dns_answer *out;
};
/* Run every job at once (a c-ares channel each) within timeout_ms.
 * Returns 0 (answers filled, whatever their status) or -errno with *cause
 * for a bad server address. */
int dns_run(const struct dns_job *jobs, size_t n_jobs, int timeout_ms, char **cause);
/* Resolve name (A) through server from source src (may be NULL) within
 * timeout_ms. Returns 0 (answer filled, whatever the status) or -errno. */
int dns_query(const char *server, const struct oq_prefix *src, const char *name, int timeout_ms,
	      struct dns_answer *out, char **cause);
/* The same for n names at once (one channel, queries in parallel); out
 * has n elements. */
int dns_query_many(const char *server, const struct oq_prefix *src, const char *const *names,
		   size_t n, int timeout_ms, struct dns_answer *out, char **cause);

/* Whether a whole answer came back (a message without TC); pure. */
bool dns_complete(const struct dns_answer *a);
/* What a question needed to be answered, from its answers over UDP with
 * EDNS, over TCP and over plain UDP (tcp and udp NULL when not asked):
 * plain UDP (the answer fits in 512 bytes), EDNS (a larger answer over
 * UDP), TCP (EDNS brought no whole answer, TCP did); LOST when the answer
 * is too large for plain UDP (truncated) and neither EDNS nor TCP brought
 * it back; NONE when no answer came at all. Pure. */
enum dns_need { DNS_NEED_UDP, DNS_NEED_EDNS, DNS_NEED_TCP, DNS_NEED_LOST, DNS_NEED_NONE };
enum dns_need dns_classify(const struct dns_answer *edns, const struct dns_answer *tcp,
			   const struct dns_answer *udp);
/* An address for host: a literal (IPv4 or IPv6), or through the site's
 * central DNS servers (A and AAAA asked at once; the AAAA answer first on a
 * site that uses IPv6, else the A answer). Returns 0 or -errno with
 * *cause. */
int net_resolve(const struct site *site, const char *host, int timeout_ms, struct oq_prefix *out,
		char **cause);

/* ---- TCP and helpers ---- */

/* The terminal-side source for a destination of family: the terminal
 * source (net_terminal_source) when it is of that family, else for IPv6 a
 * global address on the terminal-side interface; family 0 when there is
 * none (the kernel chooses). */
struct oq_prefix net_source_for(const struct site *site, int family);
/* Connect to dst:port from src within timeout_ms; *fd gets the connected
 * socket (blocking again). Returns 0 or -errno with *cause; *ms the time. */
int tcp_connect(const struct oq_prefix *src, const struct oq_prefix *dst, unsigned port,
		int timeout_ms, int *fd, double *ms, char **cause);
/* tcp_connect from the terminal side's source of dst's family
 * (net_source_for). */
int net_connect(const struct site *site, const struct oq_prefix *dst, unsigned port,
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
/* Split "http://host[:port]/path" (http only; an IPv6 address in
 * brackets, given back without them); host and path are newly allocated.
 * Pure. */
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
