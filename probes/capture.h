/* Packet classification of the capture probe (internal, unit-tested). */
#ifndef OQ_PROBE_CAPTURE_H
#define OQ_PROBE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cap_dir { CAP_OUT = 0, CAP_IN = 1 };

struct cap_counts {
	unsigned ike[2];	/* UDP 500, and UDP 4500 with the non-ESP marker */
	unsigned natt_esp[2];	/* ESP in UDP 4500 */
	unsigned esp[2];	/* IP protocol 50 */
	unsigned keepalive[2];	/* NAT-T keepalives */
	unsigned frags;		/* IPv4 fragments */
	unsigned icmp_errors;	/* unreachable, time exceeded, parameter problem */
	char first_icmp[96];	/* the first ICMP error, as text */
};

/* Count one IPv4 packet (from its IP header) against our WAN address wan
 * (network order); packets neither from nor to it are ignored. Pure. */
void cap_count(const uint8_t *ip, size_t len, uint32_t wan, struct cap_counts *c);

/* Keep the capture files (capture-*.pcap) in dir within bounds: the newest
 * keep of them, and of those only as many, newest first, as fit in
 * max_bytes together (the newest is always kept). Other files are left
 * alone. Returns the number of files removed, or -errno with *cause. */
int cap_prune(const char *dir, size_t keep, uint64_t max_bytes, char **cause);

#endif
