/* SNTP and the clock thresholds (internal to probes/, unit-tested). */
#ifndef OQ_PROBE_CLOCK_H
#define OQ_PROBE_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/probe.h"

/* WARN above 1 s. FAIL above 300 s: the leeway OpenSSL allows when it
 * checks OCSP response times (OCSP_check_validity, MAX_VALIDITY_PERIOD of
 * 5 minutes) and the usual limit of time-checked authentication; beyond it,
 * a freshly issued certificate (strongSwan's pki and most private CAs set
 * notBefore to the moment of issue, without backdating) is "not yet valid"
 * on a clock that runs late, and revocation data is rejected. */
#define CLOCK_WARN_S 1.0
#define CLOCK_FAIL_S 300.0

/* PASS, WARN or FAIL for an offset. */
enum probe_verdict clock_verdict(double offset_s);

#define NTP_PACKET 48
/* A client request (mode 3, version 4) with transmit time t1 (Unix seconds). */
void sntp_build(uint8_t pkt[NTP_PACKET], double t1);

/* A parsed server reply. */
struct sntp_reply {
	int leap, version, mode, stratum;
	char refid[8];		/* printable, or the kiss code */
	double t1, t2, t3;	/* originate, receive, transmit (Unix seconds) */
};
/* Parse a reply; false (with *why) when it is not a usable server answer:
 * short, not mode 4, a kiss-of-death (stratum 0), unsynchronised (leap 3),
 * or its originate time not our t1. */
bool sntp_parse(const uint8_t *pkt, size_t len, double t1, struct sntp_reply *out,
		const char **why);
/* Offset (server minus us) and delay from the four times, t4 our receive. */
void sntp_offset(const struct sntp_reply *r, double t4, double *offset, double *delay);

#endif
