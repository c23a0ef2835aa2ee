/* Path MTU thresholds (internal to probes/, unit-tested). */
#ifndef OQ_PROBE_PMTU_H
#define OQ_PROBE_PMTU_H

#include <stdbool.h>

#include "probes/probe.h"

struct site;

/* PASS when found reaches expected; below it WARN when routers said so
 * (ICMP frag-needed, PMTU discovery works), FAIL when they did not (a black
 * hole) or when nothing passed (found 0). */
enum probe_verdict pmtu_verdict(unsigned found, unsigned expected, bool frag_needed_seen);
/* The packet size the config expects to pass: tunnel_mtu on an IPsec line,
 * else the uplink MTU. */
unsigned pmtu_expected(const struct site *s);

#endif
