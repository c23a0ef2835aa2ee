/* Matching the algorithms charon negotiated against the configured
 * strongSwan proposals (internal to probes/, unit-tested). */
#ifndef OQ_PROBE_PROPOSAL_H
#define OQ_PROBE_PROPOSAL_H

#include <stdbool.h>

/* Is the negotiated set (charon's names as VICI reports them: "AES_CBC"
 * with keysize 256, "HMAC_SHA2_256_128", "MODP_2048"; integ NULL for AEAD,
 * dh NULL when none was used) allowed by one of the comma-separated
 * proposals ("aes256-sha256-modp2048, aes256gcm16-ecp256")? A "default"
 * proposal allows anything; an unknown keyword never matches. Pure. */
bool proposal_allows(const char *proposals, const char *encr, unsigned keysize,
		     const char *integ, const char *dh);

#endif
