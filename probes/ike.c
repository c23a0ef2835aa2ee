/* Probes "ike" and "child" (IPsec+IKE lines): the SAs of our connection as
 * charon reports them over VICI (ipsec/ipsec.h). ike: an IKE SA established
 * with the expected peer and identity, and the algorithms it uses. child: a
 * CHILD SA installed whose selectors cover the terminal side and every
 * central prefix, with its counters before and after the other probes'
 * traffic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"
#include "probes/list.h"
#include "probes/net.h"
#include "probes/proposal.h"

static const struct bitext R_DIAG = BT(
	"oqlink ipsec diagnose で原因 (到達不能・提案不一致・認証・証明書) を調べてください。",
	"Run oqlink ipsec diagnose to find the cause (unreachable, proposal mismatch, authentication, certificate).");

/* Read our SAs; on failure the result is set and NULL returned. */
static const struct ipsec_ike_sa *our_sa(const struct site *s, struct ipsec_sas *sas,
					 struct probe_result *r)
{
	char *cause = NULL;
	const struct ipsec_ike_sa *ike;

	if (ipsec_sas_get(s->vici_socket, IPSEC_CONN_NAME, sas, &cause) < 0) {
		probe_result_evidence(r, "vici %s: %s", s->vici_socket, cause);
		pr_set(r, PROBE_ERROR,
		       BT("charon (strongSwan) が動いているか、vici_socket の設定を確認してください。",
			  "Check that charon (strongSwan) runs and the vici_socket setting."),
		       "charon に問い合わせできません: %s", "cannot query charon: %s", cause);
		free(cause);
		return NULL;
	}
	ike = ipsec_sas_ours(sas);
	if (ike == NULL || ike->state == NULL || strcmp(ike->state, "ESTABLISHED") != 0) {
		probe_result_evidence(r, "IKE SA %s: %s", IPSEC_CONN_NAME,
				      ike && ike->state ? ike->state : "none");
		if (ike && ike->state)
			pr_set(r, PROBE_FAIL, R_DIAG, "IKE SA が確立していません (%s)",
			       "no established IKE SA (%s)", ike->state);
		else
			pr_set(r, PROBE_FAIL, R_DIAG, "IKE SA がありません", "no IKE SA");
		return NULL;
	}
	return ike;
}

/* Does the connection charon holds differ from the one the site asks for
 * (charon only negotiates what is loaded, so this is where the expected
 * algorithms are checked)? The differing fields go into the evidence. */
static bool conn_differs(const struct site *s, struct probe_result *r)
{
	struct ipsec_conn want, have;
	bool loaded = false, differs = false;
	char **diff;

	if (ipsec_conn_from_site(s, &want, NULL) < 0)
		return false;
	if (ipsec_conn_query(s->vici_socket, &have, &loaded, NULL) == 0 && loaded &&
	    (diff = ipsec_conn_diff(&want, &have)) != NULL) {
		for (char **d = diff; *d != NULL; d++)
			probe_result_evidence(r, "loaded connection differs from the config: %s", *d);
		differs = true;
		str_list_free(diff);
	}
	ipsec_conn_clear(&want);
	if (loaded)
		ipsec_conn_clear(&have);
	return differs;
}

PROBE_FN(ike)
{
	const struct site *s = probe_ctx_site(ctx);
	struct ipsec_sas sas = { 0 };
	const struct ipsec_ike_sa *ike = our_sa(s, &sas, r);
	char algs[160];

	if (ike == NULL)
		goto out;
	snprintf(algs, sizeof(algs), "%s-%llu/%s/%s/%s", ike->encr_alg ? ike->encr_alg : "?",
		 (unsigned long long)ike->encr_keysize, ike->integ_alg ? ike->integ_alg : "-",
		 ike->prf_alg ? ike->prf_alg : "-", ike->dh_group ? ike->dh_group : "-");
	probe_result_evidence(r, "IKE SA #%llu %s: %s[%llu] %s <-> %s[%llu] %s, %s, established %llu s ago%s",
			      (unsigned long long)ike->uniqueid, ike->state,
			      ike->local_host ? ike->local_host : "?",
			      (unsigned long long)ike->local_port, ike->local_id ? ike->local_id : "?",
			      ike->remote_host ? ike->remote_host : "?",
			      (unsigned long long)ike->remote_port, ike->remote_id ? ike->remote_id : "?",
			      algs, (unsigned long long)ike->established,
			      ike->nat_any ? ", NAT detected" : "");
	probe_result_text(r, "algorithms", BT("アルゴリズム", "algorithms"), algs);
	probe_result_text(r, "peer", BT("相手", "peer"), ike->remote_host ? ike->remote_host : "");
	probe_result_value(r, "established", BT("確立してからの時間", "established for"),
			   (double)ike->established, "s");
	if (s->remote_id && ike->remote_id && strcmp(s->remote_id, ike->remote_id) != 0)
		pr_set(r, PROBE_FAIL,
		       BT("接続相手が設定の remote_id と違います。事業者から通知された ID を確認してください。",
			  "The peer is not the configured remote_id: check the ID the carrier gave."),
		       "相手の ID が %s で、設定 (%s) と違います", "the peer's ID is %s, not %s",
		       ike->remote_id, s->remote_id);
	else if (s->peer && ike->remote_host && addr_parse(s->peer, &(struct oq_prefix){ 0 }) &&
		 strcmp(s->peer, ike->remote_host) != 0)
		pr_set(r, PROBE_FAIL,
		       BT("接続相手のアドレスが設定の peer と違います。peer を確認してください。",
			  "The peer's address is not the configured peer: check peer."),
		       "相手のアドレスが %s で、設定 (%s) と違います", "the peer is %s, not %s",
		       ike->remote_host, s->peer);
	else if (!proposal_allows(s->ike_proposals, ike->encr_alg, (unsigned)ike->encr_keysize,
				  ike->integ_alg, ike->dh_group))
		pr_set(r, PROBE_WARN,
		       BT("交渉されたアルゴリズムが設定の ike_proposals にありません。oqlink apply で接続を読み込み直してください。",
			  "The negotiated algorithms are not in the configured ike_proposals: reload the connection with oqlink apply."),
		       "交渉されたアルゴリズム %s が設定 (%s) にありません",
		       "negotiated %s is not in the configured %s", algs, s->ike_proposals);
	else if (conn_differs(s, r))
		pr_set(r, PROBE_WARN,
		       BT("charon に読み込まれた接続が設定と違います (提案やセレクタ)。oqlink plan で確かめ、oqlink apply で読み込み直してください。",
			  "The connection loaded in charon differs from the config (proposals or selectors): check with oqlink plan and reload with oqlink apply."),
		       "%s と確立していますが、読み込まれた接続が設定と違います",
		       "established with %s, but the loaded connection differs from the config",
		       ike->remote_host ? ike->remote_host : "?");
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "%s と IKE SA 確立 (%s)",
		       "IKE SA established with %s (%s)", ike->remote_host ? ike->remote_host : "?",
		       algs);
out:
	ipsec_sas_free(&sas);
}

/* Does one of the selectors (strings "a.b.c.d/n") contain p? */
static bool ts_covers(char *const *ts, size_t n, const struct oq_prefix *p)
{
	for (size_t i = 0; i < n; i++) {
		struct oq_prefix t;
		char buf[80];

		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(ts[i], "["), ts[i]);
		if (prefix_parse(buf, &t) && prefix_contains(&t, p))
			return true;
	}
	return false;
}

PROBE_FN(child)
{
	const struct site *s = probe_ctx_site(ctx);
	struct ipsec_sas sas = { 0 }, later = { 0 };
	const struct ipsec_ike_sa *ike = our_sa(s, &sas, r);
	const struct ipsec_child_sa *c;
	struct oq_prefix local = net_terminal_source(s);
	char b[64];
	const char *uncovered = NULL;

	if (ike == NULL)
		goto out;
	c = ipsec_ike_child(ike);
	if (c == NULL || c->state == NULL || strcmp(c->state, "INSTALLED") != 0) {
		if (c && c->state)
			pr_set(r, PROBE_FAIL, R_DIAG, "CHILD SA がインストールされていません (%s)",
			       "no CHILD SA installed (%s)", c->state);
		else
			pr_set(r, PROBE_FAIL, R_DIAG, "CHILD SA がありません", "no CHILD SA");
		goto out;
	}
	probe_result_evidence(r, "CHILD SA %s #%llu %s %s%s, SPI in %s out %s, %s-%llu/%s",
			      c->name ? c->name : "?", (unsigned long long)c->uniqueid, c->state,
			      c->protocol ? c->protocol : "?", c->encap ? " in UDP" : "",
			      c->spi_in ? c->spi_in : "?", c->spi_out ? c->spi_out : "?",
			      c->encr_alg ? c->encr_alg : "?", (unsigned long long)c->encr_keysize,
			      c->integ_alg ? c->integ_alg : "-");
	for (size_t i = 0; i < c->n_local_ts; i++)
		probe_result_evidence(r, "local_ts %s", c->local_ts[i]);
	for (size_t i = 0; i < c->n_remote_ts; i++)
		probe_result_evidence(r, "remote_ts %s", c->remote_ts[i]);
	for (size_t i = 0; i < s->n_central && uncovered == NULL; i++)
		if (!ts_covers(c->remote_ts, c->n_remote_ts, &s->central[i]))
			uncovered = prefix_str(&s->central[i], b, false);
	if (uncovered == NULL && local.family && !ts_covers(c->local_ts, c->n_local_ts, &local))
		uncovered = net_str(&local, b);
	probe_result_value(r, "bytes_out", BT("送信バイト", "bytes out"), (double)c->bytes_out, "bytes");
	probe_result_value(r, "bytes_in", BT("受信バイト", "bytes in"), (double)c->bytes_in, "bytes");
	/* Move the counters ourselves: one echo from the terminal side to the
	 * first target, then read them again (evidence; reach judges). */
	if (s->n_ping_targets > 0) {
		struct oq_prefix dst;
		struct ping_stats st;
		double rtt;

		if (net_resolve(s, s->ping_targets[0], 200, &dst, NULL) == 0)
			ping4(&local, &dst, 1, 0, 64, false, 200, &rtt, &st, NULL);
	}
	if (ipsec_sas_get(s->vici_socket, IPSEC_CONN_NAME, &later, NULL) == 0) {
		const struct ipsec_ike_sa *ike2 = ipsec_sas_ours(&later);
		const struct ipsec_child_sa *c2 = ike2 ? ipsec_ike_child(ike2) : NULL;

		if (c2 != NULL)
			probe_result_evidence(r, "counters after one echo: out +%llu packets, in +%llu packets",
					      (unsigned long long)(c2->packets_out - c->packets_out),
					      (unsigned long long)(c2->packets_in - c->packets_in));
	}
	if (uncovered == NULL &&
	    !proposal_allows(s->esp_proposals, c->encr_alg, (unsigned)c->encr_keysize, c->integ_alg,
			     c->dh_group))
		pr_set(r, PROBE_WARN,
		       BT("ESP のアルゴリズムが設定の esp_proposals にありません。oqlink apply で接続を読み込み直してください。",
			  "The ESP algorithms are not in the configured esp_proposals: reload the connection with oqlink apply."),
		       "ESP %s-%llu が設定 (%s) にありません", "ESP %s-%llu is not in the configured %s",
		       c->encr_alg ? c->encr_alg : "?", (unsigned long long)c->encr_keysize,
		       s->esp_proposals);
	else if (uncovered != NULL)
		pr_set(r, PROBE_FAIL,
		       BT("トンネルのセレクタ (中央側プレフィックスと端末側アドレス) が設定と合いません。oqlink apply で接続を読み込み直してください。",
			  "The tunnel's selectors (central prefixes, terminal side) do not match the config: run oqlink apply to reload the connection."),
		       "CHILD SA のセレクタが %s を含みません", "the CHILD SA's selectors do not cover %s",
		       uncovered);
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "CHILD SA インストール済み、セレクタは %zu 個の中央プレフィックスを含みます",
		       "CHILD SA installed, selectors cover the %zu central prefixes", s->n_central);
out:
	ipsec_sas_free(&sas);
	ipsec_sas_free(&later);
}
