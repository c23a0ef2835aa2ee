/* The run functions of the probes, one file each (internal to probes/). */
#ifndef OQ_PROBE_LIST_H
#define OQ_PROBE_LIST_H

#include "probes/probe.h"

#define PROBE_FN(name) void probe_##name(struct probe_ctx *ctx, struct probe_result *r)
PROBE_FN(link);
PROBE_FN(address);
PROBE_FN(address6);
PROBE_FN(gateway);
PROBE_FN(gateway6);
PROBE_FN(clock);
PROBE_FN(ike);
PROBE_FN(child);
PROBE_FN(dns);
PROBE_FN(reach);
PROBE_FN(pmtu);
PROBE_FN(tcp);
PROBE_FN(tls);
PROBE_FN(cert);
PROBE_FN(proxy);
PROBE_FN(lineauth);
PROBE_FN(capture);

/* The setup of PROBE_SANDBOX probes that need one (see struct probe). */
#define PROBE_SETUP(name) int probe_##name##_setup(struct probe_ctx *ctx, struct probe_result *r)
PROBE_SETUP(tls);
PROBE_SETUP(lineauth);
PROBE_SETUP(capture);

/* probe_run_all with another registry (for tests of the runner). */
int probe_run_registry(const struct probe *reg, size_t n_reg, const struct site *site,
		       const char *const *ids, size_t n_ids, const struct probe_options *opt,
		       probe_progress_fn *fn, void *fn_ctx, struct probe_run *run, char **cause);

#endif
