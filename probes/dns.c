/* Probe "dns": every configured name, A and AAAA, through every configured
 * closed-network DNS server (IPv4 or IPv6; c-ares, queries in parallel),
 * from the terminal-side address; one evidence line per name, type and
 * server with RCODE, answer and time.
 *
 * Questions go over UDP with EDNS first. Those without a whole answer are
 * asked again over TCP and over plain UDP at once: an answer larger than
 * 512 bytes that needed EDNS or TCP is said so, and one that is truncated
 * without EDNS and comes back neither way (the path drops large UDP and
 * TCP 53) fails with that reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

#define DNS_SLOW_MS 1000.0
#define DNS_ROUND_MS 1500

/* Every question of one server, over each transport. */
struct dns_server {
	char name[64];
	struct oq_prefix src;
	struct dns_answer *edns, *tcp, *udp;	/* n_q each */
	struct dns_question *again;		/* the questions asked again */
	size_t *again_i;			/* their index in edns */
	size_t n_again;
};

/* The tail of an evidence line saying how an answer came. */
static const char *dns_need_text(enum dns_need need, const struct dns_answer *a, char *buf,
				 size_t len)
{
	switch (need) {
	case DNS_NEED_EDNS:
		snprintf(buf, len, ", %zu bytes: needed EDNS", a->size);
		break;
	case DNS_NEED_TCP:
		snprintf(buf, len, ", %zu bytes: needed TCP", a->size);
		break;
	case DNS_NEED_LOST:
		snprintf(buf, len, ", truncated at %zu bytes without EDNS; EDNS and TCP brought "
			 "no answer", a->size);
		break;
	default:
		buf[0] = '\0';
	}
	return buf;
}

/* Ask every server every question over UDP with EDNS, then the unanswered
 * ones over TCP and plain UDP. */
static void dns_ask(struct probe_ctx *ctx, struct probe_result *r, struct dns_server *sv,
		    size_t n_sv, const struct dns_question *q, size_t n_q)
{
	struct dns_job *jobs = xcalloc(2 * n_sv + 1, sizeof(*jobs));
	size_t nj = 0;
	char *cause = NULL;
	int wait = probe_ctx_remaining_ms(ctx) / 2 - 200;

	if (wait > DNS_ROUND_MS)
		wait = DNS_ROUND_MS;
	for (size_t k = 0; k < n_sv; k++)
		jobs[nj++] = (struct dns_job){ sv[k].name, &sv[k].src, DNS_VIA_EDNS, q, n_q,
					       sv[k].edns };
	if (dns_run(jobs, nj, wait, &cause) < 0) {
		probe_result_evidence(r, "%s", cause);
		goto out;
	}
	nj = 0;
	for (size_t k = 0; k < n_sv; k++) {
		for (size_t i = 0; i < n_q; i++)
			if (!dns_complete(&sv[k].edns[i])) {
				sv[k].again[sv[k].n_again] = q[i];
				sv[k].again_i[sv[k].n_again++] = i;
			}
		if (sv[k].n_again == 0)
			continue;
		jobs[nj++] = (struct dns_job){ sv[k].name, &sv[k].src, DNS_VIA_TCP, sv[k].again,
					       sv[k].n_again, sv[k].tcp };
		jobs[nj++] = (struct dns_job){ sv[k].name, &sv[k].src, DNS_VIA_UDP, sv[k].again,
					       sv[k].n_again, sv[k].udp };
	}
	wait = probe_ctx_remaining_ms(ctx) - 300;
	if (wait > DNS_ROUND_MS)
		wait = DNS_ROUND_MS;
	if (nj > 0 && dns_run(jobs, nj, wait, &cause) < 0)
		probe_result_evidence(r, "%s", cause);
out:
	free(cause);
	free(jobs);
}

/* How many of each outcome. */
struct dns_tally {
	size_t bad_names, bad_servers, edns, tcp, lost;
	const char *first_bad, *first_rcode, *first_lost;
	double worst;
};

/* Evidence for every answer of one server; the tally. */
static void dns_judge_server(struct probe_result *r, const struct dns_server *sv,
			     const struct dns_question *q, size_t n_q, bool *name_ok,
			     struct dns_tally *t)
{
	size_t ok = 0, names = n_q / 2;
	bool *got = xcalloc(names ? names : 1, sizeof(*got));
	const char **rc = xcalloc(n_q, sizeof(*rc));

	for (size_t i = 0, j = 0; i < n_q; i++) {
		const struct dns_answer *a = &sv->edns[i], *tcp = NULL, *udp = NULL;
		enum dns_need need;
		char tail[128];

		if (j < sv->n_again && sv->again_i[j] == i) {
			tcp = &sv->tcp[j];
			udp = &sv->udp[j++];
		}
		need = dns_classify(a, tcp, udp);
		if (need == DNS_NEED_TCP)
			a = tcp;
		else if (need == DNS_NEED_LOST)
			a = udp != NULL && udp->truncated ? udp : a;
		else if (need == DNS_NEED_NONE && tcp != NULL && tcp->status != a->status)
			a = tcp;	/* a refusal over TCP says more than a UDP timeout */
		probe_result_evidence(r, "@%s %s %s: %s %s %.1f ms%s", sv->name, q[i].name,
				      q[i].type == DNS_T_AAAA ? "AAAA" : "A", a->rcode,
				      a->addrs[0] ? a->addrs : "-", a->ms,
				      dns_need_text(need, a, tail, sizeof(tail)));
		t->edns += need == DNS_NEED_EDNS;
		t->tcp += need == DNS_NEED_TCP;
		if (need == DNS_NEED_LOST && t->lost++ == 0)
			t->first_lost = q[i].name;
		if (a->first.family && need != DNS_NEED_LOST) {
			got[i / 2] = true;
			if (a->ms > t->worst)
				t->worst = a->ms;
		}
		rc[i] = a->rcode;
	}
	for (size_t m = 0; m < names; m++) {
		ok += got[m];
		name_ok[m] = name_ok[m] || got[m];
		/* The A answer's RCODE says why, unless it only has no data. */
		if (!got[m] && t->first_rcode == NULL)
			t->first_rcode = strcmp(rc[2 * m], "NODATA") ? rc[2 * m] : rc[2 * m + 1];
	}
	if (ok < names)
		t->bad_servers++;
	free(got);
	free(rc);
}

/* The verdict of the tally. */
static void dns_verdict(struct probe_result *r, const struct dns_tally *t, size_t n)
{
	if (t->lost > 0)
		pr_set(r, PROBE_FAIL,
		       BT("512 バイトを超える DNS 応答が戻りません。経路のファイアウォールやルーターで、512 バイトを超える UDP の DNS 応答 (EDNS) と TCP 53 番を通してください。",
			  "DNS answers larger than 512 bytes do not come back: let UDP DNS answers over 512 bytes (EDNS) and TCP port 53 pass the firewalls and routers on the path."),
		       "%zu 件の応答が 512 バイトを超え、EDNS でも TCP でも戻りません (最初: %s)",
		       "%zu answers are larger than 512 bytes and come back neither over EDNS nor TCP (first: %s)",
		       t->lost, t->first_lost);
	else if (t->bad_names > 0)
		pr_set(r, PROBE_FAIL,
		       BT("DNS サーバへの経路 (UDP/TCP 53)、サーバの稼働、名前の綴りを確認してください。TIMEOUT はサーバに届いていない、NXDOMAIN は名前がないことを示します。",
			  "Check the path to the DNS server (UDP/TCP 53), that it runs, and the spelling of the name. TIMEOUT means the server is not reached, NXDOMAIN that the name does not exist."),
		       "%zu 個の名前が解決できません (最初: %s, %s)",
		       "%zu names not resolved (first: %s, %s)", t->bad_names, t->first_bad,
		       t->first_rcode ? t->first_rcode : "?");
	else if (t->bad_servers > 0)
		pr_set(r, PROBE_WARN,
		       BT("応答しない DNS サーバがあります。冗長性がないため、そのサーバへの経路と設定を確認してください。",
			  "A DNS server does not answer every name: there is no redundancy left; check the path to it and the config."),
		       "%zu 台の DNS サーバが一部の名前に答えません", "%zu DNS servers fail some names",
		       t->bad_servers);
	else if (t->worst > DNS_SLOW_MS)
		pr_set(r, PROBE_WARN,
		       BT("DNS の応答が遅いです。回線の遅延と DNS サーバの負荷を確認してください。",
			  "DNS answers are slow; check the line's delay and the DNS server's load."),
		       "DNS の応答が遅い (最大 %.0f ms)", "slow DNS answers (up to %.0f ms)", t->worst);
	else if (t->tcp > 0)
		pr_set(r, PROBE_PASS, BT(NULL, NULL),
		       "%zu 個の名前をすべてのサーバで解決 (最大 %.0f ms、%zu 件は TCP が必要)",
		       "%zu names resolved by every server (up to %.0f ms; %zu answers needed TCP)", n,
		       t->worst, t->tcp);
	else if (t->edns > 0)
		pr_set(r, PROBE_PASS, BT(NULL, NULL),
		       "%zu 個の名前をすべてのサーバで解決 (最大 %.0f ms、%zu 件は EDNS が必要)",
		       "%zu names resolved by every server (up to %.0f ms; %zu answers needed EDNS)", n,
		       t->worst, t->edns);
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "%zu 個の名前をすべてのサーバで解決 (最大 %.0f ms)",
		       "%zu names resolved by every server (up to %.0f ms)", n, t->worst);
}

PROBE_FN(dns)
{
	const struct site *s = probe_ctx_site(ctx);
	size_t n = s->n_dns_names, n_q = 2 * n;
	struct dns_question *q;
	struct dns_server *sv;
	struct dns_tally t = { 0 };
	bool *name_ok;

	if (s->n_dns == 0 || n == 0) {
		probe_result_set(r, PROBE_SKIP,
				 BT("DNS サーバか確認する名前が設定されていません",
				    "no DNS server or no name to check configured"),
				 BT("[central] dns と [probe] dns_names を設定してください。",
				    "Set [central] dns and [probe] dns_names."));
		return;
	}
	q = xcalloc(n_q, sizeof(*q));
	for (size_t i = 0; i < n; i++) {
		q[2 * i] = (struct dns_question){ s->dns_names[i], DNS_T_A };
		q[2 * i + 1] = (struct dns_question){ s->dns_names[i], DNS_T_AAAA };
	}
	sv = xcalloc(s->n_dns, sizeof(*sv));
	for (size_t k = 0; k < s->n_dns; k++) {
		net_str(&s->dns[k], sv[k].name);
		sv[k].src = net_source_for(s, s->dns[k].family);
		sv[k].edns = xcalloc(n_q, sizeof(*sv[k].edns));
		sv[k].tcp = xcalloc(n_q, sizeof(*sv[k].tcp));
		sv[k].udp = xcalloc(n_q, sizeof(*sv[k].udp));
		sv[k].again = xcalloc(n_q, sizeof(*sv[k].again));
		sv[k].again_i = xcalloc(n_q, sizeof(*sv[k].again_i));
	}
	dns_ask(ctx, r, sv, s->n_dns, q, n_q);
	name_ok = xcalloc(n, sizeof(*name_ok));
	for (size_t k = 0; k < s->n_dns; k++) {
		dns_judge_server(r, &sv[k], q, n_q, name_ok, &t);
	}
	for (size_t i = 0; i < n; i++)
		if (!name_ok[i] && t.bad_names++ == 0)
			t.first_bad = s->dns_names[i];
	probe_result_value(r, "names", BT("名前の数", "names"), (double)n, "");
	probe_result_value(r, "servers", BT("サーバの数", "servers"), (double)s->n_dns, "");
	probe_result_value(r, "failed_names", BT("解決できない名前", "names not resolved"),
			   (double)t.bad_names, "");
	probe_result_value(r, "slowest", BT("最も遅い応答", "slowest answer"), t.worst, "ms");
	probe_result_value(r, "needed_edns", BT("EDNS が必要だった応答", "answers that needed EDNS"),
			   (double)t.edns, "");
	probe_result_value(r, "needed_tcp", BT("TCP が必要だった応答", "answers that needed TCP"),
			   (double)t.tcp, "");
	probe_result_value(r, "large_lost", BT("戻らない大きな応答", "large answers lost"),
			   (double)t.lost, "");
	dns_verdict(r, &t, n);
	for (size_t k = 0; k < s->n_dns; k++) {
		free(sv[k].edns);
		free(sv[k].tcp);
		free(sv[k].udp);
		free(sv[k].again);
		free(sv[k].again_i);
	}
	free(sv);
	free(q);
	free(name_ok);
}
