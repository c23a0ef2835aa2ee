/* Explaining why the tunnel does not work: bring it up with charon's
 * control log captured, match the log against a table of patterns, and
 * where the log cannot tell (AUTHENTICATION_FAILED), run one more
 * experiment. Then check that traffic passes both ways. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <json-c/json.h>

#include "core/clock.h"
#include "core/net.h"
#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"
#include "ipsec/ipsec_int.h"

/* ---- what each cause means, in both languages ---- */

struct cause_text {
	enum ipsec_cause cause;
	const char *id;
	struct bitext title, explain, next;
};

static const struct cause_text texts[] = {
	{ IPSEC_CAUSE_OK, "ok",
	  BT("トンネルは確立し、通信できています", "the tunnel is up and passes traffic"),
	  BT("IKE_SA と CHILD_SA が確立し、端末側から中央への通信に応答がありました。",
	     "The IKE_SA and the CHILD_SA are established and traffic from the terminal side to "
	     "the central network was answered."),
	  BT("対処は不要です。", "Nothing to do.") },
	{ IPSEC_CAUSE_UNREACHABLE, "peer-unreachable",
	  BT("VPN ゲートウェイから応答がありません", "the VPN gateway does not answer"),
	  BT("IKE_SA_INIT 要求を再送しても応答がありません。ゲートウェイが停止しているか、"
	     "経路の途中で UDP 500 が遮断されています。",
	     "IKE_SA_INIT requests were retransmitted without any answer: the gateway is down or "
	     "UDP 500 is blocked on the way."),
	  BT("[ipsec] peer のアドレスが正しいか、回線 (WAN 側) が通じているか確認してください。"
	     "通じていれば、ゲートウェイが動いているか、UDP 500/4500 を通しているかを回線事業者に問い合わせてください。",
	     "Check the address in [ipsec] peer and that the uplink works. If it does, ask the "
	     "carrier whether the gateway is running and whether UDP 500/4500 is allowed.") },
	{ IPSEC_CAUSE_NATT_BLOCKED, "udp4500-blocked",
	  BT("UDP 4500 が遮断されています (NAT の内側)", "UDP 4500 is blocked (NAT in the way)"),
	  BT("UDP 500 の IKE_SA_INIT には応答がありましたが、UDP 4500 に移った後の IKE_AUTH に応答が"
	     "ありません。NAT を越えるための UDP 4500 が途中で遮断されています。",
	     "IKE_SA_INIT on UDP 500 was answered, but IKE_AUTH after moving to UDP 4500 was not: "
	     "UDP 4500, needed to cross the NAT, is blocked on the way."),
	  BT("ルーターや回線の設定で UDP 4500 (と ESP) を通すよう設定するか、回線事業者に確認してください。",
	     "Allow UDP 4500 (and ESP) on the router or the line, or ask the carrier.") },
	{ IPSEC_CAUSE_NO_PROPOSAL, "no-proposal",
	  BT("IKE の暗号方式の提案が合いません (IKE_SA_INIT で NO_PROPOSAL_CHOSEN)",
	     "the IKE algorithm proposals do not match (NO_PROPOSAL_CHOSEN in IKE_SA_INIT)"),
	  BT("最初の交換 IKE_SA_INIT で、ゲートウェイがこちらの IKE の提案 (暗号、完全性、PRF、DH グループ) を"
	     "どれも受け入れませんでした。",
	     "In the first exchange, IKE_SA_INIT, the gateway accepted none of our IKE proposals "
	     "(encryption, integrity, PRF, DH group)."),
	  BT("回線事業者に IKE の暗号方式を確認し、[ipsec] ike_proposals に設定してください。"
	     "こちらの提案は上に示します。",
	     "Ask the carrier for the IKE algorithms and set them in [ipsec] ike_proposals. Ours "
	     "are shown above.") },
	{ IPSEC_CAUSE_NO_ESP_PROPOSAL, "no-proposal",
	  BT("ESP の暗号方式の提案が合いません (CHILD_SA で NO_PROPOSAL_CHOSEN)",
	     "the ESP algorithm proposals do not match (NO_PROPOSAL_CHOSEN for the CHILD_SA)"),
	  BT("IKE_SA は確立しましたが、CHILD_SA (ESP) でゲートウェイがこちらの ESP の提案をどれも"
	     "受け入れませんでした。IKE の設定は合っています。",
	     "The IKE_SA was established, but for the CHILD_SA (ESP) the gateway accepted none of "
	     "our ESP proposals. The IKE settings match."),
	  BT("回線事業者に ESP の暗号方式 (暗号、完全性、PFS の DH グループ) を確認し、"
	     "[ipsec] esp_proposals に設定してください。こちらの提案は上に示します。",
	     "Ask the carrier for the ESP algorithms (encryption, integrity, DH group for PFS) and "
	     "set them in [ipsec] esp_proposals. Ours are shown above.") },
	{ IPSEC_CAUSE_REMOTE_ID, "remote-id",
	  BT("ゲートウェイの ID が設定と違います", "the gateway's identity differs from the config"),
	  BT("ゲートウェイは、設定した remote_id とは別の ID を名乗っています。",
	     "The gateway presents an identity other than the configured remote_id."),
	  BT("回線事業者の設定シートの ID を確認し、[ipsec] remote_id を合わせてください。",
	     "Check the identity on the carrier's sheet and set [ipsec] remote_id to it.") },
	{ IPSEC_CAUSE_OUR_CERT, "our-cert-rejected",
	  BT("ゲートウェイがこちらの証明書を受け入れません", "the gateway rejects our certificate"),
	  BT("ゲートウェイが AUTHENTICATION_FAILED を返しました。相手の ID を指定せずに試しても同じなので、"
	     "こちらの証明書 (発行元、有効期限、ID) か local_id が受け入れられていません。",
	     "The gateway answered AUTHENTICATION_FAILED, also when we tried without insisting on "
	     "its identity: it does not accept our certificate (issuer, validity, identity) or our "
	     "local_id."),
	  BT("証明書が回線事業者の指定した CA から発行されたもので有効期限内か、local_id が証明書の"
	     "主体と一致するかを確認し、ゲートウェイ側のログを回線事業者に確認してください。",
	     "Check that our certificate comes from the CA the carrier named and is valid, that "
	     "local_id matches its subject, and ask the carrier for the gateway's log.") },
	{ IPSEC_CAUSE_PEER_CERT, "peer-cert-untrusted",
	  BT("ゲートウェイの証明書を信頼できません", "the gateway's certificate is not trusted"),
	  BT("ゲートウェイの証明書を、設定した CA までたどって検証できませんでした。",
	     "The gateway's certificate could not be verified up to the configured CA."),
	  BT("[ipsec] ca が回線事業者の CA 証明書か確認してください。",
	     "Check that [ipsec] ca is the carrier's CA certificate.") },
	{ IPSEC_CAUSE_PEER_CERT_EXPIRED, "peer-cert-expired",
	  BT("ゲートウェイの証明書の有効期限が切れています",
	     "the gateway's certificate has expired"),
	  BT("ゲートウェイが示した証明書は有効期限を過ぎています。",
	     "The certificate the gateway presented is past its validity."),
	  BT("回線事業者にゲートウェイの証明書の更新を依頼してください。この機器の時刻が正しいことも確認してください。",
	     "Ask the carrier to renew the gateway's certificate; also check this device's clock.") },
	{ IPSEC_CAUSE_CLOCK, "clock",
	  BT("証明書がまだ有効になっていません (時刻のずれ)",
	     "a certificate is not valid yet (clock skew)"),
	  BT("証明書の有効期間の開始がこの機器の現在時刻より後です。どちらかの時計がずれています。",
	     "A certificate's validity starts after this device's current time: one of the "
	     "clocks is wrong."),
	  BT("この機器の時刻を確認し、NTP で合わせてください (date, timedatectl)。",
	     "Check this device's time and set it with NTP (date, timedatectl).") },
	{ IPSEC_CAUSE_PSK, "psk-mismatch",
	  BT("事前共有鍵 (PSK) が一致しません", "the pre-shared key does not match"),
	  BT("ゲートウェイが AUTHENTICATION_FAILED を返しました。相手の ID を指定せずに試しても同じなので、"
	     "ID ではなく事前共有鍵が一致していません。",
	     "The gateway answered AUTHENTICATION_FAILED, also when we tried without insisting on "
	     "its identity: the pre-shared key does not match, not the identity."),
	  BT("回線事業者の設定シートの事前共有鍵を [ipsec] psk_file のファイルに書き直してください "
	     "(余分な空白や改行に注意)。",
	     "Write the pre-shared key from the carrier's sheet into the [ipsec] psk_file file "
	     "again (mind stray spaces and line breaks).") },
	{ IPSEC_CAUSE_AUTH, "auth-failed",
	  BT("認証に失敗しました (AUTHENTICATION_FAILED)", "authentication failed (AUTHENTICATION_FAILED)"),
	  BT("ゲートウェイが認証を拒否しましたが、ログからはそれ以上の原因を特定できません。",
	     "The gateway refused the authentication; the log does not tell more."),
	  BT("local_id / remote_id、証明書または事前共有鍵を回線事業者の設定シートと照合してください。",
	     "Compare local_id / remote_id and the certificate or pre-shared key with the "
	     "carrier's sheet.") },
	{ IPSEC_CAUSE_TS, "ts-unacceptable",
	  BT("通信範囲 (トラフィックセレクタ) が合いません (TS_UNACCEPTABLE)",
	     "the traffic selectors do not match (TS_UNACCEPTABLE)"),
	  BT("IKE は確立しましたが、ゲートウェイがこちらの通信範囲を受け入れませんでした。",
	     "IKE came up, but the gateway did not accept our traffic selectors."),
	  BT("端末側のアドレス範囲と中央側のプレフィックスを回線事業者に確認し、[terminal] と "
	     "[central] prefixes を合わせてください。こちらのセレクタは上に示します。",
	     "Ask the carrier which terminal-side range and central prefixes they expect and set "
	     "[terminal] and [central] prefixes accordingly. Ours are shown above.") },
	{ IPSEC_CAUSE_NO_TRAFFIC, "no-traffic",
	  BT("トンネルは確立しましたが通信が戻りません (ESP の遮断)",
	     "the tunnel is up but nothing comes back (ESP blocked)"),
	  BT("CHILD_SA は確立し、送信のバイト数は増えましたが受信は増えていません。ESP (または UDP 4500) "
	     "が途中で遮断されているか、相手側で通信が捨てられています。",
	     "The CHILD_SA is up and bytes went out, but none came in: ESP (or UDP 4500) is "
	     "blocked on the way, or the far side drops the traffic."),
	  BT("経路上で ESP (IP プロトコル 50) を通しているか確認し、回線事業者にゲートウェイ側の受信"
	     "カウンタを確認してください。NAT の内側なら nat_traversal = force も試してください。",
	     "Check that ESP (IP protocol 50) passes on the way and ask the carrier to look at "
	     "the gateway's counters. Behind a NAT, try nat_traversal = force.") },
	{ IPSEC_CAUSE_NOT_ROUTED, "not-routed",
	  BT("トンネルは確立しましたが、通信がトンネルに入りません",
	     "the tunnel is up but traffic does not enter it"),
	  BT("CHILD_SA は確立しましたが、端末側から中央への通信で送信のバイト数が増えません。"
	     "経路か送信元アドレスが CHILD_SA のセレクタと合っていません。",
	     "The CHILD_SA is up, but traffic from the terminal side to the central network does "
	     "not increase its outbound bytes: the routes or the source address do not match the "
	     "CHILD_SA's selectors."),
	  BT("'oqlink plan' で経路とアドレスを確認し、'oqlink apply' で合わせてください。",
	     "Check the routes and addresses with 'oqlink plan' and fix them with 'oqlink apply'.") },
	{ IPSEC_CAUSE_MTU, "mtu-blackhole",
	  BT("大きなパケットだけが通りません (経路 MTU のブラックホール)",
	     "only large packets are lost (path MTU black hole)"),
	  BT("トンネルは確立し小さなパケットは通りますが、tunnel_mtu の大きさのパケットには応答がありません。"
	     "経路の MTU が小さく、しかも ICMP「フラグメント必要」が途中で捨てられているため、"
	     "送信側が小さくすべきことを知ることができません。TLS などの通信が途中で止まります。",
	     "The tunnel is up and small packets pass, but packets of tunnel_mtu size get no "
	     "answer: the path MTU is smaller and ICMP \"fragmentation needed\" is dropped on the "
	     "way, so the sender never learns to send less. TLS and other transfers stall."),
	  BT("[ipsec] tunnel_mtu を小さく (例: 1280) して MSS を抑え、回線事業者に経路の MTU と "
	     "ICMP の扱いを確認してください。",
	     "Lower [ipsec] tunnel_mtu (for example to 1280) so the MSS is clamped, and ask the "
	     "carrier about the path MTU and how ICMP is filtered.") },
	{ IPSEC_CAUSE_KERNEL, "kernel-install",
	  BT("この機器のカーネルに SA を組み込めません", "the SA cannot be installed on this device"),
	  BT("ゲートウェイとの交渉は成功しましたが、charon がこの機器のカーネルに IPsec の SA、"
	     "ポリシーまたは経路を組み込めませんでした。",
	     "The negotiation with the gateway succeeded, but charon could not install the IPsec "
	     "SA, its policies or its route in this device's kernel."),
	  BT("カーネルが IPsec (XFRM) に対応しているか、charon が kernel-libipsec を使っているかを確認してください。"
	     "kernel-libipsec では、端末側のセレクタそれぞれにこの機器のアドレスが含まれている必要があります "
	     "(LAN 同居の構成の端末の /32 は含みません)。",
	     "Check that the kernel supports IPsec (XFRM) or that charon uses kernel-libipsec. With "
	     "kernel-libipsec every terminal-side selector must hold one of this device's "
	     "addresses (the terminal's /32 of the lan layout does not).") },
	{ IPSEC_CAUSE_CHARON, "charon",
	  BT("charon に接続できません", "cannot reach charon"),
	  BT("strongSwan の charon が動いていないか、要求を拒否しました。",
	     "strongSwan's charon is not running or refused the request."),
	  BT("charon (strongSwan) を起動し、[ipsec] vici_socket のパスを確認してください。",
	     "Start charon (strongSwan) and check the path in [ipsec] vici_socket.") },
	{ IPSEC_CAUSE_UNKNOWN, "unknown",
	  BT("原因を特定できませんでした", "the cause could not be determined"),
	  BT("トンネルは確立しませんでしたが、ログは既知のどのパターンにも当てはまりません。",
	     "The tunnel did not come up and the log matches none of the known patterns."),
	  BT("下のログを回線事業者と共有してください (oqlink ipsec log で続きを見られます)。",
	     "Share the log below with the carrier (oqlink ipsec log follows it).") },
};

static const struct cause_text *text_of(enum ipsec_cause c)
{
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		if (texts[i].cause == c)
			return &texts[i];
	return &texts[ARRAY_SIZE(texts) - 1];
}

/* ---- the log patterns ---- */

/* Extra checks some rules make on the line their first pattern matched. */
enum rule_check { CHECK_NONE, CHECK_NOT_YET_VALID, CHECK_EXPIRED };

/* A cause is named when every pattern of `all` matches some line (in any
 * order) and `unless` matches none. Rules are tried in order; the first
 * that holds wins. auth limits a rule to "pubkey" or "psk". */
struct rule {
	enum ipsec_cause cause;
	const char *all[3];
	const char *unless;
	const char *auth;
	enum rule_check check;
};

#define VALIDITY "certificate invalid \\(valid from .* to .*\\)"

static const struct rule rules[] = {
	{ IPSEC_CAUSE_CLOCK, { "not valid yet" }, NULL, NULL, CHECK_NONE },
	{ IPSEC_CAUSE_CLOCK, { VALIDITY }, NULL, NULL, CHECK_NOT_YET_VALID },
	{ IPSEC_CAUSE_PEER_CERT_EXPIRED, { VALIDITY }, NULL, NULL, CHECK_EXPIRED },
	{ IPSEC_CAUSE_PEER_CERT_EXPIRED, { "expired \\([0-9]" }, NULL, NULL, CHECK_NONE },
	{ IPSEC_CAUSE_REMOTE_ID, { "constraint check failed: .*identity '.*' required" }, NULL,
	  NULL, CHECK_NONE },
	{ IPSEC_CAUSE_PEER_CERT,
	  { "no trusted .* public key found for|is not trusted|"
	    "constraint check failed: peer not authenticated by CA" }, NULL, NULL, CHECK_NONE },
	{ IPSEC_CAUSE_NO_PROPOSAL, { "received NO_PROPOSAL_CHOSEN notify|no acceptable proposal" },
	  NULL, NULL, CHECK_NONE },
	{ IPSEC_CAUSE_TS, { "received TS_UNACCEPTABLE notify|no acceptable traffic selectors" },
	  NULL, NULL, CHECK_NONE },
	{ IPSEC_CAUSE_PSK, { "received AUTHENTICATION_FAILED notify" }, NULL, "psk", CHECK_NONE },
	{ IPSEC_CAUSE_OUR_CERT, { "received AUTHENTICATION_FAILED notify" }, NULL, "pubkey",
	  CHECK_NONE },
	{ IPSEC_CAUSE_KERNEL,
	  { "unable to install IPsec policies|error installing route with policy|"
	    "unable to install (inbound|outbound|inbound and outbound) IPsec SA" },
	  NULL, NULL, CHECK_NONE },
	{ IPSEC_CAUSE_NATT_BLOCKED,
	  { "parsed IKE_SA_INIT response", "sending packet: from .*\\[4500\\]",
	    "retransmit [0-9]+ of request with message ID [1-9]|giving up after" },
	  "parsed IKE_AUTH response", NULL, CHECK_NONE },
	{ IPSEC_CAUSE_UNREACHABLE,
	  { "retransmit [0-9]+ of request with message ID 0|giving up after|peer not responding" },
	  "parsed IKE_SA_INIT response", NULL, CHECK_NONE },
};

/* Parse the dates of "... (valid from Nov 22 08:40:24 2026 to ...)" and
 * tell whether now is before the start (not yet valid) or after the end. */
static bool validity_says(const char *line, enum rule_check check)
{
	const char *p = strstr(line, "valid from ");
	struct tm from = { 0 }, to = { 0 };
	const char *q;
	time_t now = time(NULL);

	if (p == NULL)
		return false;
	q = strptime(p + strlen("valid from "), "%b %d %H:%M:%S %Y", &from);
	if (q == NULL || strncmp(q, " to ", 4) != 0 ||
	    strptime(q + 4, "%b %d %H:%M:%S %Y", &to) == NULL)
		return false;
	from.tm_isdst = to.tm_isdst = -1;
	if (check == CHECK_NOT_YET_VALID)
		return now < mktime(&from);
	return now > mktime(&to);
}

static void add_line(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The strings of v joined with sep, in a new string. */
static char *join_lines(char **v, size_t n, const char *sep)
{
	size_t len = 1;
	char *out;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + strlen(sep);
	out = xcalloc(1, len);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, sep);
		strcat(out, v[i]);
	}
	return out;
}

/* Does the rule hold? Collects the matching lines as evidence. */
static bool rule_holds(const struct rule *r, const char *const *lines, size_t n,
		       struct ipsec_diagnosis *d)
{
	regex_t re;
	size_t first[3];
	bool ok = true;

	for (size_t k = 0; k < ARRAY_SIZE(r->all) && r->all[k] && ok; k++) {
		ok = false;
		if (regcomp(&re, r->all[k], REG_EXTENDED | REG_NOSUB) != 0)
			return false;
		for (size_t i = 0; i < n && !ok; i++)
			if (regexec(&re, lines[i], 0, NULL, 0) == 0 &&
			    (k > 0 || r->check == CHECK_NONE || validity_says(lines[i], r->check))) {
				ok = true;
				first[k] = i;
			}
		regfree(&re);
	}
	if (ok && r->unless) {
		if (regcomp(&re, r->unless, REG_EXTENDED | REG_NOSUB) != 0)
			return false;
		for (size_t i = 0; i < n && ok; i++)
			ok = regexec(&re, lines[i], 0, NULL, 0) != 0;
		regfree(&re);
	}
	if (!ok)
		return false;
	for (size_t k = 0; k < ARRAY_SIZE(r->all) && r->all[k]; k++)
		add_line(&d->evidence, &d->n_evidence, lines[first[k]]);
	return true;
}

static void set_cause(struct ipsec_diagnosis *d, enum ipsec_cause c)
{
	const struct cause_text *t = text_of(c);

	d->cause = c;
	d->id = t->id;
	d->title = t->title;
	d->explain = t->explain;
	d->next = t->next;
}

const char *ipsec_phase_name(enum ipsec_phase p)
{
	static const char *const names[] = { NULL, "IKE_SA_INIT", "IKE_AUTH", "CHILD_SA" };

	return (size_t)p < ARRAY_SIZE(names) ? names[p] : NULL;
}

/* The first group of the last line matching pattern, or NULL (new string). */
static char *last_match(const char *const *lines, size_t n, const char *pattern, int group)
{
	regmatch_t m[5];
	regex_t re;
	char *out = NULL;

	if (regcomp(&re, pattern, REG_EXTENDED) != 0)
		return NULL;
	for (size_t i = n; i-- > 0 && out == NULL;)
		if (regexec(&re, lines[i], 5, m, 0) == 0 && m[group].rm_so >= 0)
			out = xstrndup(lines[i] + m[group].rm_so,
				       (size_t)(m[group].rm_eo - m[group].rm_so));
	regfree(&re);
	return out;
}

static bool any_match(const char *const *lines, size_t n, const char *pattern)
{
	char *m = last_match(lines, n, pattern, 0);
	bool found = m != NULL;

	free(m);
	return found;
}

/* Where the exchanges got to: the IKE_SA stood (CHILD_SA), the first
 * exchange was answered with an SA (IKE_AUTH), or not even that. */
static enum ipsec_phase phase_of(const char *const *lines, size_t n)
{
	if (any_match(lines, n, "IKE_SA [^ ]+ established between|no CHILD_SA built|"
			  "failed to establish CHILD_SA|selected proposal: ESP|"
			  "unable to install"))
		return IPSEC_PHASE_CHILD_SA;
	if (any_match(lines, n, "parsed IKE_SA_INIT response [0-9]+ \\[ SA|parsed IKE_AUTH response|"
			  "sending packet: from .*\\[4500\\]|AUTHENTICATION_FAILED|"
			  "end entity cert|constraint check failed|certificate invalid|"
			  "trusted .* public key"))
		return IPSEC_PHASE_IKE_AUTH;
	return IPSEC_PHASE_IKE_SA_INIT;
}

/* "198.51.100.2[4500]" of charon's log as "198.51.100.2:4500" ([v6]:port). */
static char *endpoint(const char *addr, const char *port)
{
	return strchr(addr, ':') ? xasprintf("[%s]:%s", addr, port) : xasprintf("%s:%s", addr, port);
}

/* The addresses and ports of the last packet sent. */
static void read_endpoints(const char *const *lines, size_t n, struct ipsec_diagnosis *d)
{
	static const char *pat = "sending packet: from ([^[ ]+)\\[([0-9]+)\\] to ([^[ ]+)\\[([0-9]+)\\]";
	char *la = last_match(lines, n, pat, 1), *lp = last_match(lines, n, pat, 2);
	char *ra = last_match(lines, n, pat, 3), *rp = last_match(lines, n, pat, 4);

	if (la && lp && ra && rp) {
		free(d->local);
		free(d->remote);
		d->local = endpoint(la, lp);
		d->remote = endpoint(ra, rp);
	}
	free(la);
	free(lp);
	free(ra);
	free(rp);
}

void ipsec_classify(const char *const *lines, size_t n, const char *auth,
		    struct ipsec_diagnosis *d)
{
	size_t i;

	d->phase = phase_of(lines, n);
	read_endpoints(lines, n, d);
	for (i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct rule *r = &rules[i];
		if (r->auth && auth && strcmp(r->auth, auth) != 0)
			continue;
		if (rule_holds(r, lines, n, d))
			break;
	}
	if (i == ARRAY_SIZE(rules)) {
		set_cause(d, IPSEC_CAUSE_UNKNOWN);
		/* the last lines are the best evidence we have */
		for (i = n > 5 ? n - 5 : 0; i < n; i++)
			add_line(&d->evidence, &d->n_evidence, lines[i]);
		return;
	}
	set_cause(d, rules[i].cause);
	if (d->cause == IPSEC_CAUSE_NO_PROPOSAL) {
		if (d->phase == IPSEC_PHASE_CHILD_SA)
			set_cause(d, IPSEC_CAUSE_NO_ESP_PROPOSAL);
		else
			d->phase = IPSEC_PHASE_IKE_SA_INIT;
		d->proposal = d->cause == IPSEC_CAUSE_NO_ESP_PROPOSAL ? "esp" : "ike";
		free(d->peer_proposals);
		d->peer_proposals = last_match(lines, n, "received proposals: (.*)", 1);
	}
}

/* ---- the experiment for AUTHENTICATION_FAILED ---- */

/* The identity the gateway presented, from a log, or NULL (new string). */
static char *presented_id(char **lines, size_t n)
{
	static const char *const pats[] = {
		"authentication of '([^']*)' with .* successful",
		"received end entity cert \"([^\"]*)\"",
		"no shared key found for '[^']*' - '([^']*)'",
		"tried [0-9]+ shared keys? for '[^']*' - '([^']*)'",
		"established between .*\\[[^]]*\\]\\.\\.\\.[^[]*\\[([^]]*)\\]",
	};
	regmatch_t m[2];
	regex_t re;

	for (size_t k = 0; k < ARRAY_SIZE(pats); k++) {
		if (regcomp(&re, pats[k], REG_EXTENDED) != 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (strstr(lines[i], "(myself)") == NULL &&
			    regexec(&re, lines[i], 2, m, 0) == 0 && m[1].rm_so >= 0) {
				regfree(&re);
				return xstrndup(lines[i] + m[1].rm_so,
						(size_t)(m[1].rm_eo - m[1].rm_so));
			}
		}
		regfree(&re);
	}
	return NULL;
}

/* A captured log. */
struct capture {
	char **lines;
	size_t n;
	int64_t t0, ike_ms, child_ms;
	ipsec_log_fn *fn;
	void *ctx;
	int level;			/* what the caller wants to see */
};

static void on_capture(void *ctx, const struct ipsec_log_line *l)
{
	struct capture *c = ctx;
	char *line = xasprintf("[%s] %s", l->group, l->msg);

	if (c->n < 2000)
		add_line(&c->lines, &c->n, line);
	free(line);
	if (strstr(l->msg, "IKE_SA ") && strstr(l->msg, "] established between") &&
	    c->ike_ms < 0)
		c->ike_ms = l->t_ms - c->t0;
	if (strstr(l->msg, "CHILD_SA ") && strstr(l->msg, "} established with SPIs") &&
	    c->child_ms < 0)
		c->child_ms = l->t_ms - c->t0;
	if (c->fn && l->level <= c->level)
		c->fn(c->ctx, l);
}

/* Initiate the probe connection: which identity does the gateway present
 * when we do not insist on one? Refines an AUTHENTICATION_FAILED. */
static void refine_auth(const struct site *s, int timeout_ms, struct ipsec_diagnosis *d)
{
	struct capture cap = { .t0 = now_ms(), .ike_ms = -1, .child_ms = -1 };
	char *id, *cause = NULL;

	if (ipsec_probe_load(s, &cause) < 0)
		goto out;
	ipsec_initiate_named(s, IPSEC_PROBE_NAME, 1, timeout_ms, on_capture, &cap, NULL);
	ipsec_terminate_named(s, IPSEC_PROBE_NAME, IPSEC_TIMEOUT_MS, NULL);
	ipsec_probe_unload(s, NULL);
	id = presented_id(cap.lines, cap.n);
	if (id && s->remote_id && strcmp(id, s->remote_id) != 0) {
		set_cause(d, IPSEC_CAUSE_REMOTE_ID);
		free(d->detail);
		d->detail = xasprintf(_("設定の remote_id: %s / ゲートウェイが名乗る ID: %s",
					"configured remote_id: %s / the gateway presents: %s"),
				      s->remote_id, id);
		for (size_t i = 0; i < cap.n; i++)
			if (strstr(cap.lines[i], id) &&
			    (strstr(cap.lines[i], "authentication of") ||
			     strstr(cap.lines[i], "shared key") ||
			     strstr(cap.lines[i], "end entity cert") ||
			     strstr(cap.lines[i], "established between")))
				add_line(&d->evidence, &d->n_evidence, cap.lines[i]);
	}
	free(id);
out:
	if (cap.n)
		add_line(&d->log, &d->n_log, "-- " IPSEC_PROBE_NAME " --");
	for (size_t i = 0; i < cap.n; i++)
		add_line(&d->log, &d->n_log, cap.lines[i]);
	free_lines(cap.lines, cap.n);
	free(cause);
}

/* ---- the traffic check ---- */

/* Send count (at most 3) ICMP echo requests of size bytes (IP header
 * included, with "don't fragment") from src (any when NULL) to dst; returns
 * the number of replies, or -errno. */
static int ping(const struct oq_prefix *src, const struct oq_prefix *dst, unsigned count,
		unsigned size)
{
	double rtt[3];
	struct ping_stats st;
	int r;

	if (count > ARRAY_SIZE(rtt))
		count = ARRAY_SIZE(rtt);
	r = ping4_any_user(src, dst, count, 200, size > 28 ? size - 20 : 8, true, 700, rtt, &st,
			   NULL);
	return r < 0 ? r : (int)st.received;
}

/* Is anything listening on UDP 500 of the peer? 1 when the peer refused
 * (ICMP port unreachable), 0 when nothing came back, -errno on error. */
static int udp500_refused(const struct oq_prefix *peer)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(500) };
	struct pollfd p;
	char buf[16];
	int fd, refused = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(&to.sin_addr, peer->addr, 4);
	/* an empty datagram: no IKE message, nothing for a listening charon to
	 * answer, but a closed port makes the host send port unreachable */
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0 && send(fd, "", 0, 0) == 0) {
		p = (struct pollfd){ fd, POLLIN, 0 };
		if (poll(&p, 1, 1000) > 0 && recv(fd, buf, sizeof(buf), 0) < 0 &&
		    errno == ECONNREFUSED)
			refused = 1;
	}
	close(fd);
	return refused;
}

/* No answer to IKE: tell a gateway that is down from one whose UDP 500 is
 * filtered, by what its host still answers. */
static void probe_peer(const struct site *s, struct ipsec_diagnosis *d)
{
	struct oq_prefix peer;
	int echo, refused;
	const char *what;
	char *line;

	if (s->peer == NULL || !addr_parse(s->peer, &peer) || peer.family != AF_INET)
		return;
	echo = ping(NULL, &peer, 2, 28);
	refused = udp500_refused(&peer);
	line = xasprintf(_("%s への ICMP エコー 2 回: 応答 %d 回; UDP 500 への空の送信: %s",
			   "2 ICMP echo requests to %s: %d replies; an empty datagram to UDP 500: %s"),
			 s->peer, echo < 0 ? 0 : echo,
			 refused > 0 ? _("拒否 (ICMP port unreachable)", "refused (ICMP port unreachable)")
				     : _("応答なし", "no answer"));
	add_line(&d->evidence, &d->n_evidence, line);
	free(line);
	if (refused > 0)
		what = _("ゲートウェイの機器は動いていますが、UDP 500 で IKE を受け付けていません: "
			 "IKE のサービス (VPN 装置の IPsec 機能) が止まっています。",
			 "the gateway's host is up but nothing listens on UDP 500: its IKE service "
			 "is not running.");
	else if (echo > 0)
		what = _("ゲートウェイの機器は ping に応答しますが、UDP 500 には何も返りません: "
			 "途中で UDP 500/4500 が遮断されているか、ゲートウェイが IKE を無視しています。",
			 "the gateway's host answers ping but nothing comes back on UDP 500: UDP "
			 "500/4500 is filtered on the way, or the gateway ignores our IKE.");
	else
		what = _("ゲートウェイは ping にも応答しません: 停止しているか、経路がないか、ICMP も遮断されています。",
			 "the gateway does not answer ping either: it is down, unreachable, or ICMP is "
			 "filtered too.");
	free(d->detail);
	d->detail = xstrdup(what);
}

/* The bytes in and out of our CHILD_SA. */
static bool child_bytes(const struct site *s, uint64_t *in, uint64_t *out)
{
	struct ipsec_sas sas;
	const struct ipsec_child_sa *c;
	bool ok;

	if (ipsec_sas_get(s->vici_socket, IPSEC_CONN_NAME, &sas, NULL) < 0)
		return false;
	c = ipsec_ike_child(ipsec_sas_ours(&sas));
	ok = c != NULL;
	if (ok) {
		*in = c->bytes_in;
		*out = c->bytes_out;
	}
	ipsec_sas_free(&sas);
	return ok;
}

/* The address to ping: given, else the first probe ping target that is an
 * IPv4 address in the central prefixes. */
static bool ping_target(const struct site *s, const char *given, struct oq_prefix *out)
{
	if (given)
		return addr_parse(given, out) && out->family == AF_INET;
	for (size_t i = 0; i < s->n_ping_targets; i++) {
		if (!addr_parse(s->ping_targets[i], out) || out->family != AF_INET)
			continue;
		for (size_t k = 0; k < s->n_central; k++)
			if (prefix_contains(&s->central[k], out))
				return true;
	}
	return false;
}

/* Small packets pass: do packets of the tunnel's MTU pass too? */
static void check_mtu(const struct site *s, const struct oq_prefix *src,
		      const struct oq_prefix *dst, struct ipsec_diagnosis *d)
{
	unsigned mtu = s->tunnel_mtu ? s->tunnel_mtu : 1400;
	int replies = ping(src, dst, 2, mtu);
	char *line;

	line = xasprintf(_("%u バイトの ICMP エコー (DF) 2 回: 応答 %d 回",
			   "2 ICMP echo requests of %u bytes (DF): %d replies"),
			 mtu, replies < 0 ? 0 : replies);
	add_line(&d->evidence, &d->n_evidence, line);
	free(line);
	if (replies == 0)
		set_cause(d, IPSEC_CAUSE_MTU);
}

/* The tunnel is up: does traffic pass both ways? */
static void check_traffic(const struct site *s, const char *given, struct ipsec_diagnosis *d)
{
	struct oq_prefix src = net_terminal_source(s), dst;
	uint64_t in0 = 0, out0 = 0, in1 = 0, out1 = 0;
	char a[64], b[64];
	int replies;

	set_cause(d, IPSEC_CAUSE_OK);
	if (!ping_target(s, given, &dst) || src.family != AF_INET) {
		add_line(&d->evidence, &d->n_evidence,
			 _("通信の確認は省略しました (中央側の宛先がありません: --ping ADDR)",
			   "traffic check skipped (no central address to ping: --ping ADDR)"));
		return;
	}
	bool counted = child_bytes(s, &in0, &out0);
	replies = ping(&src, &dst, 3, 28);
	counted = child_bytes(s, &in1, &out1) && counted && in1 >= in0 && out1 >= out0;
	d->bytes_in = counted ? in1 - in0 : 0;
	d->bytes_out = counted ? out1 - out0 : 0;
	prefix_str(&src, a, true);
	prefix_str(&dst, b, true);
	char *line = xasprintf(_("%s から %s へ ICMP エコー 3 回: 応答 %d 回; CHILD_SA 送信 +%llu バイト, 受信 +%llu バイト",
				 "3 ICMP echo requests from %s to %s: %d replies; CHILD_SA bytes out +%llu, in +%llu"),
			       a, b, replies < 0 ? 0 : replies,
			       (unsigned long long)d->bytes_out, (unsigned long long)d->bytes_in);
	add_line(&d->evidence, &d->n_evidence, line);
	free(line);
	if (replies <= 0 && d->bytes_in == 0)
		set_cause(d, d->bytes_out ? IPSEC_CAUSE_NO_TRAFFIC : IPSEC_CAUSE_NOT_ROUTED);
	if (replies > 0)
		check_mtu(s, &src, &dst, d);
}

/* ---- diagnose ---- */

/* What to show next to the cause: our proposals or selectors. */
static char *detail_for(const struct site *s, enum ipsec_cause c, const char *peer)
{
	struct ipsec_conn conn;
	char *out = NULL, *l = NULL, *r = NULL;

	if (ipsec_conn_from_site(s, &conn, NULL) < 0)
		return NULL;
	if (c == IPSEC_CAUSE_NO_PROPOSAL) {
		out = xasprintf(_("IKE_SA_INIT で停止。こちらの IKE の提案: %s / ゲートウェイの提案: %s",
				  "stopped in IKE_SA_INIT. Our IKE proposals: %s / the gateway's: %s"),
				conn.ike_proposals, peer ? peer : _("(ログにありません)", "(not in the log)"));
	} else if (c == IPSEC_CAUSE_NO_ESP_PROPOSAL) {
		out = xasprintf(_("IKE_SA は確立、CHILD_SA で停止。こちらの ESP の提案: %s / ゲートウェイの提案: %s",
				  "IKE_SA established, stopped at the CHILD_SA. Our ESP proposals: %s / the gateway's: %s"),
				conn.esp_proposals, peer ? peer : _("(ログにありません)", "(not in the log)"));
	} else if (c == IPSEC_CAUSE_TS) {
		l = join_lines(conn.local_ts, conn.n_local_ts, ", ");
		r = join_lines(conn.remote_ts, conn.n_remote_ts, ", ");
		out = xasprintf(_("こちらのセレクタ: 端末側 %s / 中央側 %s",
				  "our selectors: terminal side %s / central %s"), l, r);
	}
	free(l);
	free(r);
	ipsec_conn_clear(&conn);
	return out;
}

int ipsec_diagnose(const struct site *s, const char *ping_to, int timeout_ms,
		   ipsec_log_fn *fn, void *ctx, struct ipsec_diagnosis *d, char **cause)
{
	struct capture cap = { .t0 = now_ms(), .ike_ms = -1, .child_ms = -1, .fn = fn,
			       .ctx = ctx, .level = 1 };
	const char *auth = s->auth == SITE_AUTH_PSK ? "psk" : "pubkey";
	char *err = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	d->ike_ms = d->child_ms = -1;
	d->started = clock_wall_ms();
	r = ipsec_load(s, &err);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		set_cause(d, IPSEC_CAUSE_CHARON);
		add_line(&d->evidence, &d->n_evidence, err);
		free(err);
		d->ended = clock_wall_ms();
		return 0;
	}
	if (r < 0) {
		cause_set(cause, -r, "%s", err);
		free(err);
		return r;
	}
	/* start afresh: whatever SA there is goes, so the log tells all. A
	 * reloaded connection with start_action = start is initiated by charon
	 * in a job of its own: give it a moment to appear before closing it. */
	nanosleep(&(struct timespec){ 0, 300 * 1000000 }, NULL);
	ipsec_down(s, 0, IPSEC_TIMEOUT_MS, NULL, NULL, NULL);
	ipsec_flush_certs(s, NULL);
	cap.t0 = now_ms();
	r = ipsec_initiate_named(s, IPSEC_CONN_NAME, 1, timeout_ms, on_capture, &cap, &err);
	d->total_ms = now_ms() - cap.t0;
	d->ike_ms = cap.ike_ms;
	d->child_ms = cap.child_ms;
	for (size_t i = 0; i < cap.n; i++)
		add_line(&d->log, &d->n_log, cap.lines[i]);
	if (r == 0) {
		read_endpoints((const char *const *)cap.lines, cap.n, d);
		check_traffic(s, ping_to, d);
	} else {
		ipsec_classify((const char *const *)cap.lines, cap.n, auth, d);
		/* charon's answer names the CHILD_SA whatever failed: only then is it evidence */
		if (err && d->phase == IPSEC_PHASE_CHILD_SA)
			add_line(&d->evidence, &d->n_evidence, err);
		/* a half-open SA must not linger */
		ipsec_down(s, 0, IPSEC_TIMEOUT_MS, NULL, NULL, NULL);
		if (d->cause == IPSEC_CAUSE_PSK || d->cause == IPSEC_CAUSE_OUR_CERT)
			refine_auth(s, timeout_ms, d);
		else if (d->cause == IPSEC_CAUSE_UNREACHABLE)
			probe_peer(s, d);
	}
	if (d->detail == NULL)
		d->detail = detail_for(s, d->cause, d->peer_proposals);
	if (d->remote == NULL && s->peer)
		d->remote = xasprintf("%s:500", s->peer);
	d->ended = clock_wall_ms();
	free_lines(cap.lines, cap.n);
	free(err);
	return 0;
}

void ipsec_diagnosis_clear(struct ipsec_diagnosis *d)
{
	if (d == NULL)
		return;
	free_lines(d->evidence, d->n_evidence);
	free_lines(d->log, d->n_log);
	free(d->detail);
	free(d->peer_proposals);
	free(d->local);
	free(d->remote);
	memset(d, 0, sizeof(*d));
}

int ipsec_is_up(const struct site *s, bool *up, char **cause)
{
	struct ipsec_sas sas;
	const struct ipsec_ike_sa *ike;
	int r = ipsec_sas_get(s->vici_socket, IPSEC_CONN_NAME, &sas, cause);

	*up = false;
	if (r < 0)
		return r;
	ike = ipsec_sas_ours(&sas);
	*up = ike && ike->state && strcmp(ike->state, "ESTABLISHED") == 0;
	ipsec_sas_free(&sas);
	return 0;
}

static struct json_object *bitext_json(struct bitext t)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ja", json_object_new_string(t.ja));
	json_object_object_add(o, "en", json_object_new_string(t.en));
	return o;
}

static struct json_object *lines_json(char **v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static struct json_object *ms_json(int64_t ms)
{
	return ms < 0 ? NULL : json_object_new_int64(ms);
}

static struct json_object *time_json(int64_t ms)
{
	char buf[CLOCK_BUF];

	return ms ? json_object_new_string(clock_str(ms, CLOCK_ISO, buf)) : NULL;
}

struct json_object *ipsec_diagnosis_to_json(const struct ipsec_diagnosis *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cause", json_object_new_string(d->id ? d->id : "unknown"));
	json_object_object_add(o, "ok", json_object_new_boolean(d->cause == IPSEC_CAUSE_OK));
	json_object_object_add(o, "title", bitext_json(d->title));
	json_object_object_add(o, "explain", bitext_json(d->explain));
	json_object_object_add(o, "next", bitext_json(d->next));
	json_object_object_add(o, "detail", d->detail ? json_object_new_string(d->detail) : NULL);
	json_object_object_add(o, "phase", ipsec_phase_name(d->phase) ?
				   json_object_new_string(ipsec_phase_name(d->phase)) : NULL);
	json_object_object_add(o, "proposal", d->proposal ? json_object_new_string(d->proposal) : NULL);
	json_object_object_add(o, "peer_proposals",
			       d->peer_proposals ? json_object_new_string(d->peer_proposals) : NULL);
	json_object_object_add(o, "started", time_json(d->started));
	json_object_object_add(o, "ended", time_json(d->ended));
	json_object_object_add(o, "local", d->local ? json_object_new_string(d->local) : NULL);
	json_object_object_add(o, "remote", d->remote ? json_object_new_string(d->remote) : NULL);
	json_object_object_add(o, "evidence", lines_json(d->evidence, d->n_evidence));
	json_object_object_add(o, "ike_ms", ms_json(d->ike_ms));
	json_object_object_add(o, "child_ms", ms_json(d->child_ms));
	json_object_object_add(o, "total_ms", ms_json(d->total_ms));
	json_object_object_add(o, "bytes_out", json_object_new_int64((int64_t)d->bytes_out));
	json_object_object_add(o, "bytes_in", json_object_new_int64((int64_t)d->bytes_in));
	json_object_object_add(o, "log", lines_json(d->log, d->n_log));
	return o;
}
