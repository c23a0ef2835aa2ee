/* metrics: what the monitor knows, in the Prometheus text exposition format
 * (version 0.0.4), served over HTTP on the management LAN.
 *
 * The names follow the exporters people already scrape: ipsec_exporter
 * (ipsec_up, ipsec_ike_sa_*, ipsec_child_sa_*, with its labels and state
 * codes) and x509-certificate-exporter (x509_cert_not_after, ...); oqlink's
 * own are oqlink_*. docs/metrics.md lists every metric and label.
 *
 * The monitor builds a struct metrics_snapshot from what it has read (the
 * SAs from charon, the certificates, the latest result of each probe) and
 * hands it to metrics_update, which renders it at once: the snapshot and
 * everything it points to are only borrowed for the call. */
#ifndef OQ_METRICS_H
#define OQ_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ipsec_sas;
struct probe_cert_info;
struct probe_result;

/* One certificate file the appliance uses. */
struct metrics_cert {
	const char *path;			/* the file, as configured */
	/* What probe_cert_inspect read; NULL when it could not be read
	 * (the certificate is then left out). */
	const struct probe_cert_info *info;
};

/* What the monitor knows at one time. Every pointer is borrowed; NULL (or
 * a count of 0) leaves the metrics made from it out. */
struct metrics_snapshot {
	int64_t now_ms;				/* wall clock, ms since the epoch */
	/* The SAs as charon reported them (ipsec_sas_get); NULL when charon
	 * could not be asked, which is ipsec_up 0. */
	const struct ipsec_sas *sas;
	const struct metrics_cert *certs;
	size_t n_certs;
	/* The latest result of each probe, one per id. */
	const struct probe_result *probes;
	size_t n_probes;
};

/* The codes of ipsec_ike_sa_state and ipsec_child_sa_state (strongSwan's
 * state order, as ipsec_exporter reports them); -1 for a state charon
 * reports that is not in the list. Pure. */
int metrics_ike_state_code(const char *state);
int metrics_child_state_code(const char *state);

/* The snapshot in the text exposition format: HELP and TYPE lines, then
 * the samples, one family after the other. A new string the caller frees.
 * Pure: the same snapshot gives the same text. */
char *metrics_render(const struct metrics_snapshot *s);

/* The HTTP server (opaque). */
struct metrics;

/* The Content-Type of the exposition. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Serve GET /metrics on addr (an IPv4 or IPv6 address, never the
 * unspecified 0.0.0.0 or ::) and port (0: a free port, see metrics_port),
 * from a thread of its own, with few connections and short timeouts.
 * Other paths answer 404, other methods than GET and HEAD 405. Until the
 * first metrics_update it serves an empty snapshot (ipsec_up 0). Returns
 * 0 with *out (free with metrics_stop), -EINVAL for a bad address, or
 * -errno when it cannot listen; *cause then says why. */
int metrics_start(const char *addr, unsigned port, struct metrics **out, char **cause);
/* The port it listens on. */
unsigned metrics_port(const struct metrics *m);
/* Render s and serve it from now on (thread-safe). */
void metrics_update(struct metrics *m, const struct metrics_snapshot *s);
/* Stop serving and free m. Accepts NULL. */
void metrics_stop(struct metrics *m);

#endif
