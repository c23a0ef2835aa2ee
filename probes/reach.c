/* Probe "reach": ICMP echo from the terminal-side address to every central
 * target at once, through the uplink (and the tunnel): loss, min/avg/max
 * RTT, jitter. IPv6 targets get ICMPv6 echoes from the terminal side's
 * IPv6 address in the same series as the IPv4 ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

enum probe_verdict reach_verdict(const struct ping_stats *st)
{
	if (st->sent == 0 || st->received == 0 || st->loss_pct > REACH_FAIL_LOSS)
		return PROBE_FAIL;
	if (st->loss_pct > 0 || st->avg_ms > REACH_WARN_RTT_MS || st->jitter_ms > REACH_WARN_JITTER_MS)
		return PROBE_WARN;
	return PROBE_PASS;
}

void reach_plan(int remaining_ms, unsigned interval_ms, unsigned *count, int *wait)
{
	int iv = interval_ms ? (int)interval_ms : 1;

	*wait = remaining_ms - (int)(*count * (unsigned)iv) - 200;
	if (*wait < 200) {
		*count = remaining_ms > 600 ? (unsigned)((remaining_ms - 600) / iv) : 0;
		*wait = 300;
	}
	if (*wait > 1000)
		*wait = 1000;
	if (*count < 3)
		*count = 3;
}

PROBE_FN(reach)
{
	const struct site *s = probe_ctx_site(ctx);
	size_t n = s->n_ping_targets;
	unsigned count = s->ping_count ? s->ping_count : 20;
	unsigned interval = s->ping_interval_ms ? s->ping_interval_ms : 50;
	struct oq_prefix *dst;
	struct ping_stats *st;
	double *rtt;
	char *cause = NULL, b[64];
	enum probe_verdict worst = PROBE_PASS;
	struct oq_prefix src4 = net_source_for(s, AF_INET), src6 = net_source_for(s, AF_INET6);
	int wait;
	size_t worst_i = 0;
	double loss_max = 0;

	if (n == 0) {
		probe_result_set(r, PROBE_SKIP, BT("ping の宛先が設定されていません", "no ping target configured"),
				 BT("[probe] ping に中央側の宛先を設定してください。",
				    "Set central targets in [probe] ping."));
		return;
	}
	dst = xcalloc(n, sizeof(*dst));
	st = xcalloc(n, sizeof(*st));
	for (size_t i = 0; i < n; i++) {
		if (net_resolve(s, s->ping_targets[i], 1000, &dst[i], &cause) < 0) {
			probe_result_evidence(r, "%s: %s", s->ping_targets[i], cause);
			free(cause);
			cause = NULL;
		}
	}
	/* One series for both families, within the probe's time. */
	reach_plan(probe_ctx_remaining_ms(ctx), interval, &count, &wait);
	rtt = xcalloc(n * count, sizeof(*rtt));
	if (ping_dual(src4.family ? &src4 : NULL, src6.family ? &src6 : NULL, dst, n, count,
		      interval, 64, false, wait, rtt, st, &cause) < 0) {
		probe_result_evidence(r, "%s", cause);
		pr_set(r, PROBE_ERROR, BT("root で実行してください。", "Run as root."),
		       "ping を送れません: %s", "cannot send ping: %s", cause);
		free(cause);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		enum probe_verdict v = dst[i].family ? reach_verdict(&st[i]) : PROBE_FAIL;
		struct oq_prefix src_i = net_source_for(s, dst[i].family);

		probe_result_evidence(r,
				      "ping %s from %s: %u/%u, loss %.0f%%, rtt min/avg/max %.2f/%.2f/%.2f ms, jitter %.2f ms%s%s",
				      s->ping_targets[i], net_str(&src_i, b), st[i].received, st[i].sent,
				      st[i].loss_pct, st[i].min_ms, st[i].avg_ms, st[i].max_ms,
				      st[i].jitter_ms, st[i].errors ? ", " : "", st[i].error);
		if (v > worst || (v == worst && st[i].loss_pct > loss_max)) {
			worst = v > worst ? v : worst;
			worst_i = i;
			loss_max = st[i].loss_pct;
		}
	}
	probe_result_value(r, "loss", BT("損失率", "loss"), st[worst_i].loss_pct, "%");
	probe_result_value(r, "rtt_min", BT("最小往復時間", "min RTT"), st[worst_i].min_ms, "ms");
	probe_result_value(r, "rtt_avg", BT("平均往復時間", "avg RTT"), st[worst_i].avg_ms, "ms");
	probe_result_value(r, "rtt_max", BT("最大往復時間", "max RTT"), st[worst_i].max_ms, "ms");
	probe_result_value(r, "jitter", BT("ジッタ", "jitter"), st[worst_i].jitter_ms, "ms");
	probe_result_value(r, "count", BT("送信数", "echoes per target"), count, "");
	if (worst == PROBE_FAIL)
		pr_set(r, PROBE_FAIL,
		       BT("トンネル (child プローブ)、ESP が通るか (capture プローブ)、中央側の経路を確認してください。損失が一部なら回線品質を事業者に確認してください。",
			  "Check the tunnel (child probe), whether ESP passes (capture probe) and the central route. With partial loss, ask the carrier about the line quality."),
		       "%s への到達性が不十分です (損失 %.0f%%)", "%s is not reachable well enough (loss %.0f%%)",
		       s->ping_targets[worst_i], st[worst_i].loss_pct);
	else if (worst == PROBE_WARN)
		pr_set(r, PROBE_WARN,
		       BT("回線の混雑や品質を確認してください。続くなら事業者に相談してください。",
			  "Check the line for congestion or poor quality; ask the carrier if it persists."),
		       "%s: 損失 %.0f%%, 平均 %.1f ms, ジッタ %.1f ms",
		       "%s: loss %.0f%%, avg %.1f ms, jitter %.1f ms", s->ping_targets[worst_i],
		       st[worst_i].loss_pct, st[worst_i].avg_ms, st[worst_i].jitter_ms);
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "%zu 宛先に損失なし (平均 %.1f ms)",
		       "%zu targets without loss (avg %.1f ms)", n, st[worst_i].avg_ms);
out:
	free(dst);
	free(st);
	free(rtt);
}
