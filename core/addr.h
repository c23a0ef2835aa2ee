/* IPv4 and IPv6 addresses and prefixes, parsed and printed. */
#ifndef OQ_ADDR_H
#define OQ_ADDR_H

#include <stdbool.h>
#include <stdint.h>

struct oq_prefix {
	int family;		/* AF_INET or AF_INET6; 0 when unset */
	uint8_t addr[16];	/* network byte order */
	uint8_t len;		/* prefix length; 32/128 for a plain address */
};

/* Parse "A.B.C.D", "A.B.C.D/len", "2001:db8::1" or "2001:db8::/32". A plain
 * address gets the full length. */
bool prefix_parse(const char *s, struct oq_prefix *out);
/* Parse an address only (no "/len"). */
bool addr_parse(const char *s, struct oq_prefix *out);
/* "A.B.C.D/len" (or "A.B.C.D" when full_if_host and the length is full) into
 * buf of at least 64 bytes; returns buf. */
char *prefix_str(const struct oq_prefix *p, char *buf, bool full_if_host);
/* The network of p (host bits cleared). */
struct oq_prefix prefix_network(const struct oq_prefix *p);
/* Does prefix net contain address (or prefix) a? */
bool prefix_contains(const struct oq_prefix *net, const struct oq_prefix *a);
/* Do the two prefixes share any address? */
bool prefix_overlaps(const struct oq_prefix *a, const struct oq_prefix *b);
/* Is the host part all zero or all one (IPv4 network/broadcast)? */
bool prefix_is_network_or_broadcast(const struct oq_prefix *p);
bool prefix_equal(const struct oq_prefix *a, const struct oq_prefix *b);

#endif
