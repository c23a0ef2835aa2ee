/* Shared between the files of ipsec/ only. */
#ifndef OQ_IPSEC_INT_H
#define OQ_IPSEC_INT_H

#include "ipsec/ipsec.h"

struct site;

/* A second connection used only by diagnose: the same as ours, but with
 * the remote identity left open (%any, no IDr sent) and no start action,
 * to learn which identity the gateway really presents. */
#define IPSEC_PROBE_NAME "oqlink-probe"

int ipsec_probe_load(const struct site *s, char **cause);
int ipsec_probe_unload(const struct site *s, char **cause);

/* Empty charon's cache of certificates it has seen, so that a peer's old,
 * valid certificate with the same key cannot stand in for the one it
 * presents now. */
int ipsec_flush_certs(const struct site *s, char **cause);

/* Initiate or terminate the connection named name; see ipsec_up. */
int ipsec_initiate_named(const struct site *s, const char *name, int level, int timeout_ms,
			 ipsec_log_fn *fn, void *ctx, char **cause);
int ipsec_terminate_named(const struct site *s, const char *name, int timeout_ms,
			  char **cause);
/* Delete every IKE_SA of connection name at once, without waiting for the
 * peer to answer the delete. */
int ipsec_terminate_forced(const struct site *s, const char *name, char **cause);

#endif
