/* The setup wizard's model: one row per question, the site.conf text made
 * from the answers, validation by the config's own parser (so every message
 * is the one `oqlink config check` prints), and the atomic write. No curses
 * here: tui/scr_setup.c draws it. */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "tui/ui.h"

const struct wiz_page wiz_pages[] = {
	{ BT("施設", "Facility"),
	  BT("医療機関の情報と、作業する人の名前です。報告書に載ります。",
	     "The facility, and who does the work. They go into the report.") },
	{ BT("回線 (WAN)", "Line (WAN)"),
	  BT("電気通信回線種別と、上流側インターフェースのアドレスです。",
	     "The line type and the address of the uplink interface.") },
	{ BT("事業者の設定", "Carrier settings"),
	  BT("事業者から届いた設定票の値を入力します。",
	     "Type the values from the carrier's settings sheet.") },
	{ BT("LAN と資格確認端末", "LAN and terminal"),
	  BT("院内 LAN と、資格確認端末を置くセグメントです。",
	     "The clinic LAN, and the segment of the qualification terminal.") },
	{ BT("センター側", "Central side"),
	  BT("閉域網の先のプレフィックスと、DNS・NTP・プロキシです。",
	     "The prefixes behind the closed network, and DNS, NTP and proxy.") },
	{ BT("疎通確認の対象", "Probe targets"),
	  BT("疎通確認で名前解決・ping・接続を試す相手です。空欄は既定値を使います。",
	     "What the probes resolve, ping and connect to. Empty fields use the defaults.") },
	{ BT("確認と保存", "Review and save"),
	  BT("設定全体を検査して保存します。", "The whole config is checked, then saved.") },
};
const size_t wiz_n_pages = ARRAY_SIZE(wiz_pages);

static const struct wiz_choice line_choices[] = {
	{ "ipsec", BT("IPsec+IKE接続方式 (インターネット回線)", "IPsec+IKE over an internet line") },
	{ "ipvpn", BT("IP-VPN接続方式 (事業者の閉域網)", "IP-VPN (the carrier's closed network)") },
	{ NULL, BT("", "") },
};
static const struct wiz_choice auth_choices[] = {
	{ "pubkey", BT("証明書 (公開鍵)", "certificate (public key)") },
	{ "psk", BT("事前共有鍵 (PSK)", "pre-shared key (PSK)") },
	{ NULL, BT("", "") },
};
static const struct wiz_choice natt_choices[] = {
	{ "auto", BT("自動", "automatic") },
	{ "force", BT("常に UDP カプセル化", "always encapsulate in UDP") },
	{ "off", BT("使わない", "never") },
	{ NULL, BT("", "") },
};
static const struct wiz_choice start_choices[] = {
	{ "start", BT("起動時に接続", "connect at start") },
	{ "trap", BT("通信があれば接続", "connect on traffic") },
	{ "none", BT("手動", "manual") },
	{ NULL, BT("", "") },
};
static const struct wiz_choice ipv6_choices[] = {
	{ "none", BT("使わない", "none") },
	{ "ipoe", BT("IPoE", "IPoE") },
	{ NULL, BT("", "") },
};
static const struct wiz_choice segment_choices[] = {
	{ "separate", BT("専用セグメント (推奨)", "own segment (recommended)") },
	{ "lan", BT("院内 LAN と同じ", "same as the clinic LAN") },
	{ NULL, BT("", "") },
};

#define F(sec, key, ja, en, hja, hen, kind, ch, page, when, req, list, def, sec_of) \
	{ sec, key, BT(ja, en), BT(hja, hen), kind, ch, page, when, req, list, def, sec_of }

const struct wiz_field wiz_fields[] = {
	F("site", "facility_code", "医療機関コード", "Facility code", "10 桁 (例 1312345678)",
	  "10 digits (e.g. 1312345678)", WIZ_TEXT, NULL, 0, WHEN_ALWAYS, true, false, NULL, NULL),
	F("site", "facility_name", "医療機関名", "Facility name", "例 さくら内科クリニック",
	  "e.g. Sakura Clinic", WIZ_TEXT, NULL, 0, WHEN_ALWAYS, true, false, NULL, NULL),
	F("site", "vendor", "システムベンダー", "System vendor", "作業する会社", "the company doing the work",
	  WIZ_TEXT, NULL, 0, WHEN_ALWAYS, false, false, NULL, NULL),
	F("site", "engineer", "作業担当者", "Engineer", "報告書に署名する人", "who signs the report",
	  WIZ_TEXT, NULL, 0, WHEN_ALWAYS, false, false, NULL, NULL),
	F("site", "witness", "立会者", "Witness", "医療機関側の立会者", "the facility's witness",
	  WIZ_TEXT, NULL, 0, WHEN_ALWAYS, false, false, NULL, NULL),

	F("uplink", "type", "回線種別", "Line type", "Enter か左右で選ぶ", "Enter or Left/Right to choose",
	  WIZ_CHOICE, line_choices, 1, WHEN_ALWAYS, true, false, "ipsec", NULL),
	F("uplink", "interface", "WAN インターフェース", "WAN interface", "例 wan0", "e.g. wan0",
	  WIZ_TEXT, NULL, 1, WHEN_ALWAYS, true, false, "wan0", NULL),
	F("uplink", "address", "WAN アドレス", "WAN address", "dhcp または 198.51.100.2/24",
	  "dhcp or 198.51.100.2/24", WIZ_TEXT, NULL, 1, WHEN_ALWAYS, true, false, NULL, NULL),
	F("uplink", "gateway", "WAN ゲートウェイ", "WAN gateway", "例 198.51.100.1 (dhcp なら空欄)",
	  "e.g. 198.51.100.1 (empty with dhcp)", WIZ_TEXT, NULL, 1, WHEN_ALWAYS, false, false, NULL, NULL),
	F("uplink", "mtu", "WAN MTU", "WAN MTU", "1280〜9000", "1280 to 9000",
	  WIZ_TEXT, NULL, 1, WHEN_ALWAYS, false, false, "1500", NULL),
	F("uplink", "dns", "WAN 側 DNS", "WAN DNS", "VPN 装置名の解決用、カンマ区切り",
	  "to resolve the gateway's name, comma separated", WIZ_TEXT, NULL, 1, WHEN_ALWAYS, false, true,
	  NULL, NULL),

	F("ipsec", "peer", "VPN 装置 (対向)", "VPN gateway (peer)", "アドレスまたは名前",
	  "address or name", WIZ_TEXT, NULL, 2, WHEN_IPSEC, true, false, NULL, NULL),
	F("ipsec", "local_id", "自側 ID", "Local ID", "例 CN=clinic-1312345678.example",
	  "e.g. CN=clinic-1312345678.example", WIZ_TEXT, NULL, 2, WHEN_IPSEC, false, false, NULL, NULL),
	F("ipsec", "remote_id", "対向 ID", "Remote ID", "例 CN=vpngw.carrier.example",
	  "e.g. CN=vpngw.carrier.example", WIZ_TEXT, NULL, 2, WHEN_IPSEC, false, false, NULL, NULL),
	F("ipsec", "auth", "認証方式", "Authentication", "Enter か左右で選ぶ",
	  "Enter or Left/Right to choose", WIZ_CHOICE, auth_choices, 2, WHEN_IPSEC, false, false,
	  "pubkey", NULL),
	F("ipsec", "certificate", "証明書ファイル", "Certificate file", "PEM または DER のパス",
	  "path of a PEM or DER file", WIZ_TEXT, NULL, 2, WHEN_PUBKEY, false, false, "@ike.crt", NULL),
	F("ipsec", "private_key", "秘密鍵ファイル (0600)", "Private key file (0600)", "モード 0600 のファイル",
	  "a file of mode 0600", WIZ_TEXT, NULL, 2, WHEN_PUBKEY, false, false, "@ike.key", NULL),
	F("ipsec", "ca", "CA 証明書ファイル", "CA certificate file", "対向を検証する CA",
	  "the CA that signs the gateway", WIZ_TEXT, NULL, 2, WHEN_PUBKEY, false, false, "@ca.crt", NULL),
	F("ipsec", "psk_file", "PSK ファイル (0600)", "PSK file (0600)", "下で入力した鍵をここに保存します",
	  "the key typed below is stored here", WIZ_TEXT, NULL, 2, WHEN_PSK, false, false, "@ike.psk", NULL),
	F(NULL, NULL, "事前共有鍵 (PSK)", "Pre-shared key", "入力は表示されません",
	  "not shown while typed", WIZ_SECRET, NULL, 2, WHEN_PSK, false, false, NULL, "ipsec/psk_file"),
	F("ipsec", "ike_proposals", "IKE プロポーザル", "IKE proposals", "例 aes256-sha256-modp2048",
	  "e.g. aes256-sha256-modp2048", WIZ_TEXT, NULL, 2, WHEN_IPSEC, false, true,
	  "aes256-sha256-modp2048", NULL),
	F("ipsec", "esp_proposals", "ESP プロポーザル", "ESP proposals", "例 aes256gcm16-modp2048",
	  "e.g. aes256gcm16-modp2048", WIZ_TEXT, NULL, 2, WHEN_IPSEC, false, true,
	  "aes256gcm16-modp2048", NULL),
	F("ipsec", "dpd_delay", "DPD 間隔 (秒)", "DPD delay (s)", "0 で無効、最大 3600",
	  "0 turns it off, at most 3600", WIZ_TEXT, NULL, 2, WHEN_IPSEC, false, false, "30", NULL),
	F("ipsec", "nat_traversal", "NAT 越え", "NAT traversal", "Enter か左右で選ぶ",
	  "Enter or Left/Right to choose", WIZ_CHOICE, natt_choices, 2, WHEN_IPSEC, false, false,
	  "auto", NULL),
	F("ipsec", "start_action", "接続の開始", "Start action", "Enter か左右で選ぶ",
	  "Enter or Left/Right to choose", WIZ_CHOICE, start_choices, 2, WHEN_IPSEC, false, false,
	  "start", NULL),
	F("ipsec", "tunnel_mtu", "トンネル MTU", "Tunnel MTU", "MSS 調整に使う、1280〜9000",
	  "for MSS clamping, 1280 to 9000", WIZ_TEXT, NULL, 2, WHEN_IPSEC, false, false, "1400", NULL),
	F("ipsec", "vici_socket", "charon の VICI ソケット", "charon's VICI socket", "通常は既定値",
	  "usually the default", WIZ_TEXT, NULL, 2, WHEN_IPSEC, false, false, "/var/run/charon.vici", NULL),

	F("ipvpn", "ce_router", "CE ルーター", "CE router", "事業者の CE ルーターのアドレス",
	  "the address of the carrier's CE router", WIZ_TEXT, NULL, 2, WHEN_IPVPN, true, false, NULL, NULL),
	F("ipvpn", "customer_id", "お客さまID", "Customer ID", "NTT 回線: CAF/COP と数字",
	  "NTT lines: CAF or COP and digits", WIZ_TEXT, NULL, 2, WHEN_IPVPN, false, false, NULL, NULL),
	F("ipvpn", "ipv6", "IPv6", "IPv6", "Enter か左右で選ぶ", "Enter or Left/Right to choose",
	  WIZ_CHOICE, ipv6_choices, 2, WHEN_IPVPN, false, false, "none", NULL),

	F("lan", "interface", "LAN インターフェース", "LAN interface", "例 lan0", "e.g. lan0",
	  WIZ_TEXT, NULL, 3, WHEN_ALWAYS, true, false, "lan0", NULL),
	F("lan", "address", "LAN アドレス", "LAN address", "本機のアドレス/長さ 例 192.168.10.1/24",
	  "this box's address/length, e.g. 192.168.10.1/24", WIZ_TEXT, NULL, 3, WHEN_ALWAYS, true, false,
	  NULL, NULL),
	F("lan", "management", "管理を許す範囲", "Management from", "例 192.168.10.0/24",
	  "e.g. 192.168.10.0/24", WIZ_TEXT, NULL, 3, WHEN_ALWAYS, false, true, NULL, NULL),
	F("terminal", "segment", "端末のセグメント", "Terminal segment", "Enter か左右で選ぶ",
	  "Enter or Left/Right to choose", WIZ_CHOICE, segment_choices, 3, WHEN_ALWAYS, false, false,
	  "separate", NULL),
	F("terminal", "interface", "端末側インターフェース", "Terminal interface", "例 term0", "e.g. term0",
	  WIZ_TEXT, NULL, 3, WHEN_SEPARATE, false, false, "term0", NULL),
	F("terminal", "address", "端末側の本機アドレス", "This box on that segment",
	  "例 192.168.20.1/24", "e.g. 192.168.20.1/24", WIZ_TEXT, NULL, 3, WHEN_SEPARATE, false, false,
	  NULL, NULL),
	F("terminal", "host", "資格確認端末", "Qualification terminal", "端末のアドレス 例 192.168.20.10",
	  "the terminal's address, e.g. 192.168.20.10", WIZ_TEXT, NULL, 3, WHEN_ALWAYS, true, false,
	  NULL, NULL),
	F("terminal", "lan_ports", "LAN から端末へのポート", "LAN to terminal ports",
	  "例 tcp/443, tcp/3389", "e.g. tcp/443, tcp/3389", WIZ_TEXT, NULL, 3, WHEN_ALWAYS, false, true,
	  NULL, NULL),

	F("central", "prefixes", "センター側プレフィックス", "Central prefixes", "例 192.0.2.0/24",
	  "e.g. 192.0.2.0/24", WIZ_TEXT, NULL, 4, WHEN_ALWAYS, true, true, NULL, NULL),
	F("central", "dns", "閉域網の DNS", "Closed-network DNS", "アドレス、カンマ区切り",
	  "addresses, comma separated", WIZ_TEXT, NULL, 4, WHEN_ALWAYS, false, true, NULL, NULL),
	F("central", "ntp", "NTP サーバ", "NTP servers", "アドレスまたは名前", "addresses or names",
	  WIZ_TEXT, NULL, 4, WHEN_ALWAYS, false, true, NULL, NULL),
	F("central", "proxy", "プロキシ", "Proxy", "ホスト:ポート 例 192.0.2.80:8080",
	  "host:port, e.g. 192.0.2.80:8080", WIZ_TEXT, NULL, 4, WHEN_ALWAYS, false, false, NULL, NULL),

	F("probe", "dns_names", "名前解決する名前", "Names to resolve", "カンマ区切り",
	  "comma separated", WIZ_TEXT, NULL, 5, WHEN_ALWAYS, false, true, NULL, NULL),
	F("probe", "ping", "ping の相手", "Ping targets", "アドレスまたは名前", "addresses or names",
	  WIZ_TEXT, NULL, 5, WHEN_ALWAYS, false, true, NULL, NULL),
	F("probe", "tcp", "TCP 接続の相手", "TCP targets", "ホスト:ポート、カンマ区切り",
	  "host:port, comma separated", WIZ_TEXT, NULL, 5, WHEN_ALWAYS, false, true, NULL, NULL),
	F("probe", "lineauth_url", "回線認証ページ", "Line-auth page", "例 http://www.lineauth.mnw/",
	  "e.g. http://www.lineauth.mnw/", WIZ_TEXT, NULL, 5, WHEN_ALWAYS, false, false, NULL, NULL),
	F("probe.tls", "host", "TLS 確認先", "TLS check host", "空欄なら TLS の確認なし",
	  "empty: no TLS check", WIZ_TEXT, NULL, 5, WHEN_ALWAYS, false, false, NULL, NULL),
	F("probe.tls", "port", "TLS ポート", "TLS port", "通常 443", "usually 443",
	  WIZ_TEXT, NULL, 5, WHEN_TLS, false, false, "443", NULL),
	F("probe.tls", "ca", "TLS の CA ファイル", "TLS CA file", "サーバを検証する CA",
	  "the CA of the server", WIZ_TEXT, NULL, 5, WHEN_TLS, true, false, NULL, NULL),
	F("probe.tls", "client_p12", "端末の証明書 (PKCS#12)", "Terminal certificate (PKCS#12)",
	  "クライアント証明書のファイル", "the client certificate file", WIZ_TEXT, NULL, 5, WHEN_TLS, false,
	  false, NULL, NULL),
	F("probe.tls", "client_ca", "端末証明書の CA", "Terminal certificate's CA",
	  "端末の証明書を発行した CA のファイル", "the CA file that issued the terminal's certificate",
	  WIZ_TEXT, NULL, 5, WHEN_TLS, false, false, NULL, NULL),
	F("probe.tls", "password_file", "そのパスワードのファイル", "Its password file",
	  "下で入力したパスワードをここに保存します", "the password typed below is stored here", WIZ_TEXT,
	  NULL, 5, WHEN_TLS, false, false, "@terminal.p12.pass", NULL),
	F(NULL, NULL, "PKCS#12 のパスワード", "PKCS#12 password", "入力は表示されません",
	  "not shown while typed", WIZ_SECRET, NULL, 5, WHEN_TLS, false, false, NULL,
	  "probe.tls/password_file"),
};
const size_t wiz_n_fields = ARRAY_SIZE(wiz_fields);

/* Sections in file order; probe.tls is written as [probe.tls.NAME]. */
static const char *const wiz_sections[] = {
	"site", "uplink", "ipsec", "ipvpn", "lan", "terminal", "central", "probe", "probe.tls",
	"paths",
};

int wiz_field_find(const char *section, const char *key)
{
	for (size_t i = 0; i < wiz_n_fields; i++)
		if (wiz_fields[i].key && strcmp(wiz_fields[i].section, section) == 0 &&
		    strcmp(wiz_fields[i].key, key) == 0)
			return (int)i;
	return -1;
}

/* The value of section/key, or "". */
static const char *value_of(const struct wiz *w, const char *section, const char *key)
{
	int i = wiz_field_find(section, key);

	return i >= 0 && w->values[i] ? w->values[i] : "";
}

bool wiz_field_active(const struct wiz *w, size_t i)
{
	bool ipsec = strcmp(value_of(w, "uplink", "type"), "ipvpn") != 0;

	switch (wiz_fields[i].when) {
	case WHEN_ALWAYS:
		return true;
	case WHEN_IPSEC:
		return ipsec;
	case WHEN_IPVPN:
		return !ipsec;
	case WHEN_PUBKEY:
		return ipsec && strcmp(value_of(w, "ipsec", "auth"), "psk") != 0;
	case WHEN_PSK:
		return ipsec && strcmp(value_of(w, "ipsec", "auth"), "psk") == 0;
	case WHEN_SEPARATE:
		return strcmp(value_of(w, "terminal", "segment"), "lan") != 0;
	case WHEN_TLS:
		return *value_of(w, "probe.tls", "host") != '\0';
	}
	return false;
}

/* The field holding the path of secret field i. */
static int secret_path_field(size_t i)
{
	char sec[32];
	const char *of = wiz_fields[i].secret_of;
	const char *slash = strchr(of, '/');

	snprintf(sec, sizeof(sec), "%.*s", (int)(slash - of), of);
	return wiz_field_find(sec, slash + 1);
}

/* A default: "@name" is name in the directory of the config. */
static char *default_value(const char *path, const char *def)
{
	char *copy, *v;

	if (def == NULL)
		return xstrdup("");
	if (def[0] != '@')
		return xstrdup(def);
	copy = xstrdup(path);
	v = xasprintf("%s/%s", dirname(copy), def + 1);
	free(copy);
	return v;
}

/* Keep one key of the file: in its field, or aside with the others. */
static void wiz_take(struct wiz *w, const struct site_entry *e)
{
	const char *section = e->section;
	int i;

	if (str_has_prefix(section, "probe.tls.")) {
		if (w->tls_name == NULL)
			w->tls_name = xstrdup(section + strlen("probe.tls."));
		if (strcmp(section + strlen("probe.tls."), w->tls_name) == 0)
			section = "probe.tls";
	}
	if ((i = wiz_field_find(section, e->key)) >= 0) {
		free(w->values[i]);
		w->values[i] = xstrdup(e->value);
		return;
	}
	w->extra = xrealloc(w->extra, (w->n_extra + 2) * sizeof(*w->extra));
	w->extra[w->n_extra++] = xasprintf("%s\t%s\t%s", section, e->key, e->value);
	w->extra[w->n_extra] = NULL;
}

struct wiz *wiz_new(const char *path)
{
	struct wiz *w = xcalloc(1, sizeof(*w));
	char *text = NULL;
	size_t len;

	w->path = xstrdup(path);
	w->values = xcalloc(wiz_n_fields, sizeof(*w->values));
	w->secrets = xcalloc(wiz_n_fields, sizeof(*w->secrets));
	w->secret_set = xcalloc(wiz_n_fields, sizeof(*w->secret_set));
	w->problems = xcalloc(wiz_n_fields, sizeof(*w->problems));
	w->general = xcalloc(1, sizeof(*w->general));
	w->extra = xcalloc(1, sizeof(*w->extra));
	for (size_t i = 0; i < wiz_n_fields; i++)
		w->values[i] = default_value(path, wiz_fields[i].def);
	if (file_read(path, 256 * 1024, &text, &len, NULL) == 0) {
		/* read loosely, as written, so that a broken file can be repaired;
		 * the problems show when the answers are checked */
		struct site_entries e = { 0 };
		struct site_diags d = { 0 };
		site_free(site_load_entries(path, text, false, &e, &d));
		for (size_t k = 0; k < e.n; k++)
			wiz_take(w, &e.v[k]);
		site_entries_free(&e);
		site_diags_free(&d);
	}
	free(text);
	if (w->tls_name == NULL)
		w->tls_name = xstrdup("central");
	return w;
}

/* Forget the problems of the last validation. */
static void problems_clear(struct wiz *w)
{
	for (size_t i = 0; i < wiz_n_fields; i++) {
		free(w->problems[i]);
		w->problems[i] = NULL;
	}
	str_list_free(w->general);
	w->general = xcalloc(1, sizeof(*w->general));
	w->n_problems = 0;
}

void wiz_free(struct wiz *w)
{
	if (w == NULL)
		return;
	problems_clear(w);
	str_list_free(w->general);
	for (size_t i = 0; i < wiz_n_fields; i++) {
		free(w->values[i]);
		ui_line_wipe(&w->secrets[i]);
	}
	str_list_free(w->extra);
	free(w->tls_name);
	free(w->values);
	free(w->secrets);
	free(w->secret_set);
	free(w->problems);
	free(w->path);
	free(w);
}

void wiz_set(struct wiz *w, size_t i, const char *value)
{
	if (strcmp(w->values[i], value) == 0)
		return;
	free(w->values[i]);
	w->values[i] = xstrdup(value);
	w->dirty = true;
}

/* Growing text with the field of each line. */
struct out {
	FILE *m;
	int *lines;
	size_t n;
};

static void out_line(struct out *o, int tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void out_line(struct out *o, int tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(o->m, fmt, ap);
	va_end(ap);
	fputc('\n', o->m);
	o->lines = xrealloc(o->lines, (o->n + 1) * sizeof(*o->lines));
	o->lines[o->n++] = tag;
}

/* "key = value", a long list folded onto indented lines of at most 120
 * columns (as site_format does). */
static void out_key(struct out *o, int tag, const char *key, const char *v, bool list)
{
	size_t n;
	char **items;
	char buf[256];
	int used;

	if (!list || strlen(key) + 3 + strlen(v) <= 120) {
		out_line(o, tag, "%s = %s", key, v);
		return;
	}
	items = str_split_list(v, &n);
	used = snprintf(buf, sizeof(buf), "%s = ", key);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(items[i]);
		if (i > 0 && (size_t)used + len + 2 > 120) {
			out_line(o, tag, "%s,", buf);
			used = snprintf(buf, sizeof(buf), "  ");
		} else if (i > 0) {
			used += snprintf(buf + used, sizeof(buf) - (size_t)used, ", ");
		}
		used += snprintf(buf + used, sizeof(buf) - (size_t)used, "%.*s",
				 (int)(sizeof(buf) - (size_t)used - 1), items[i]);
		if ((size_t)used >= sizeof(buf))
			used = (int)sizeof(buf) - 1;
	}
	out_line(o, tag, "%s", buf);
	str_list_free(items);
}

/* Whether field i goes into the file. */
static bool written(const struct wiz *w, size_t i)
{
	const struct wiz_field *f = &wiz_fields[i];

	if (f->kind == WIZ_SECRET || !wiz_field_active(w, i))
		return false;
	if (strcmp(f->section, "probe.tls") == 0 && *value_of(w, "probe.tls", "host") == '\0')
		return false;
	return f->required || *w->values[i] != '\0';
}

/* Keys kept from the file for section sec. */
static void out_extras(const struct wiz *w, struct out *o, const char *sec)
{
	for (size_t k = 0; k < w->n_extra; k++) {
		const char *e = w->extra[k];
		size_t sl = strcspn(e, "\t");
		if (strlen(sec) != sl || strncmp(e, sec, sl) != 0)
			continue;
		const char *key = e + sl + 1;
		size_t kl = strcspn(key, "\t");
		out_line(o, -1, "%.*s = %s", (int)kl, key, key + kl + (key[kl] ? 1 : 0));
	}
}

/* Whether section sec gets written at all. */
static bool section_written(const struct wiz *w, const char *sec)
{
	bool ipsec = strcmp(value_of(w, "uplink", "type"), "ipvpn") != 0;

	if ((strcmp(sec, "ipsec") == 0 && !ipsec) || (strcmp(sec, "ipvpn") == 0 && ipsec))
		return false;
	if (strcmp(sec, "probe.tls") == 0)
		return *value_of(w, "probe.tls", "host") != '\0';
	for (size_t i = 0; i < wiz_n_fields; i++)
		if (wiz_fields[i].key && strcmp(wiz_fields[i].section, sec) == 0 && written(w, i))
			return true;
	for (size_t k = 0; k < w->n_extra; k++)
		if (strncmp(w->extra[k], sec, strlen(sec)) == 0 && w->extra[k][strlen(sec)] == '\t')
			return true;
	return false;
}

char *wiz_text(const struct wiz *w, int **lines, size_t *n_lines)
{
	struct out o = { 0 };
	char *text = NULL;
	size_t size = 0;

	o.m = open_memstream(&text, &size);
	if (o.m == NULL)
		abort();
	out_line(&o, -1, "# oqlink site configuration, written by the setup screen (oqlink tui).");
	out_line(&o, -1, "# Every key is described in docs/config.md; secrets are in separate files.");
	for (size_t s = 0; s < ARRAY_SIZE(wiz_sections); s++) {
		const char *sec = wiz_sections[s];
		if (!section_written(w, sec))
			continue;
		out_line(&o, -1, "%s", "");
		if (strcmp(sec, "probe.tls") == 0)
			out_line(&o, -2 - (int)s, "[probe.tls.%s]", w->tls_name);
		else
			out_line(&o, -2 - (int)s, "[%s]", sec);
		for (size_t i = 0; i < wiz_n_fields; i++)
			if (wiz_fields[i].key && strcmp(wiz_fields[i].section, sec) == 0 && written(w, i))
				out_key(&o, (int)i, wiz_fields[i].key, w->values[i], wiz_fields[i].list);
		out_extras(w, &o, sec);
	}
	/* sections the wizard does not know (another [probe.tls.NAME]) */
	for (size_t k = 0; k < w->n_extra; k++) {
		size_t sl = strcspn(w->extra[k], "\t");
		bool known = false, seen = false;
		for (size_t s = 0; s < ARRAY_SIZE(wiz_sections); s++)
			known |= strlen(wiz_sections[s]) == sl &&
				 strncmp(wiz_sections[s], w->extra[k], sl) == 0;
		for (size_t p = 0; p < k; p++)
			seen |= strncmp(w->extra[p], w->extra[k], sl + 1) == 0;
		if (known || seen)
			continue;
		char *sec = xstrndup(w->extra[k], sl);
		out_line(&o, -1, "%s", "");
		out_line(&o, -1, "[%s]", sec);
		out_extras(w, &o, sec);
		free(sec);
	}
	fclose(o.m);
	*lines = o.lines;
	*n_lines = o.n;
	return text;
}

/* The field of section index s that message names ('key'), else the first
 * active field of the section, or -1. */
static int section_field(const struct wiz *w, int s, const char *message)
{
	for (size_t i = 0; i < wiz_n_fields; i++) {
		if (wiz_fields[i].key == NULL || strcmp(wiz_fields[i].section, wiz_sections[s]) != 0 ||
		    !wiz_field_active(w, i))
			continue;
		char *quoted = xasprintf("'%s'", wiz_fields[i].key);
		bool named = strstr(message, quoted) != NULL;
		free(quoted);
		if (named)
			return (int)i;
	}
	for (size_t i = 0; i < wiz_n_fields; i++)
		if (wiz_fields[i].key && strcmp(wiz_fields[i].section, wiz_sections[s]) == 0 &&
		    wiz_field_active(w, i))
			return (int)i;
	return -1;
}

/* The active field that a message names as 'key' in [section], or -1:
 * for a missing key whose section is not in the text at all. */
static int field_named(const struct wiz *w, const char *message)
{
	for (size_t i = 0; i < wiz_n_fields; i++) {
		if (wiz_fields[i].key == NULL || !wiz_field_active(w, i))
			continue;
		char *key = xasprintf("'%s'", wiz_fields[i].key);
		char *sec = xasprintf("[%s]", wiz_fields[i].section);
		bool named = strstr(message, key) && strstr(message, sec);
		free(key);
		free(sec);
		if (named)
			return (int)i;
	}
	return -1;
}

/* The secret field whose path is field i, or -1. */
static int secret_for(size_t i)
{
	for (size_t k = 0; k < wiz_n_fields; k++)
		if (wiz_fields[k].kind == WIZ_SECRET && secret_path_field(k) == (int)i)
			return (int)k;
	return -1;
}

/* Put one message on field i (several are joined). */
static void problem_add(struct wiz *w, int i, const struct site_diag *d)
{
	char *s;

	w->n_problems++;
	if (i < 0) {
		size_t n = 0;
		while (w->general[n])
			n++;
		w->general = xrealloc(w->general, (n + 2) * sizeof(*w->general));
		if (d->line)
			w->general[n] = xasprintf("%s:%u:%u: %s", d->file, d->line, d->col, d->message);
		else
			w->general[n] = xasprintf("%s: %s", d->file, d->message);
		w->general[n + 1] = NULL;
		return;
	}
	s = w->problems[i] ? xasprintf("%s; %s", w->problems[i], d->message) : xstrdup(d->message);
	free(w->problems[i]);
	w->problems[i] = s;
}

size_t wiz_validate(struct wiz *w, bool check_files)
{
	int *lines = NULL;
	size_t n_lines = 0;
	char *text = wiz_text(w, &lines, &n_lines);
	struct site_diags d = { 0 };
	struct site *s = site_load_string(w->path, text, check_files, &d);

	problems_clear(w);
	for (size_t k = 0; k < d.n; k++) {
		int f = -1;
		if (d.v[k].line > 0 && d.v[k].line <= n_lines) {
			f = lines[d.v[k].line - 1];
			if (f <= -2)
				f = section_field(w, -2 - f, d.v[k].message);
		}
		if (f < 0)
			f = field_named(w, d.v[k].message);
		int sec = f >= 0 ? secret_for((size_t)f) : -1;
		if (sec >= 0 && w->secret_set[sec] && check_files)
			continue;	/* the file is written from what was typed */
		if (sec >= 0 && check_files && wiz_field_active(w, (size_t)sec))
			f = sec;
		problem_add(w, f, &d.v[k]);
	}
	site_diags_free(&d);
	site_free(s);
	free(lines);
	free(text);
	return w->n_problems;
}

/* Write the secrets typed so far to their files, mode 0600. */
static int write_secrets(struct wiz *w, char **cause)
{
	for (size_t i = 0; i < wiz_n_fields; i++) {
		if (wiz_fields[i].kind != WIZ_SECRET || !w->secret_set[i] || !wiz_field_active(w, i))
			continue;
		const char *path = w->values[secret_path_field(i)];
		char *v = ui_line_get(&w->secrets[i]);
		int r = file_write_atomic(path, v, strlen(v), 0600, cause);
		explicit_bzero(v, strlen(v));
		free(v);
		if (r < 0)
			return r;
		ui_line_wipe(&w->secrets[i]);
		w->secret_set[i] = false;
	}
	return 0;
}

int wiz_save(struct wiz *w, char **cause)
{
	int *lines = NULL;
	size_t n_lines;
	char *text, *dir = xstrdup(w->path);
	int r;

	if (wiz_validate(w, true) > 0) {
		free(dir);
		return -EINVAL;
	}
	r = mkdir_p(dirname(dir), 0750, cause);
	free(dir);
	if (r < 0)
		return r;
	if ((r = write_secrets(w, cause)) < 0)
		return r;
	if (wiz_validate(w, true) > 0)
		return -EINVAL;
	text = wiz_text(w, &lines, &n_lines);
	r = file_write_atomic(w->path, text, strlen(text), 0640, cause);
	free(text);
	free(lines);
	if (r == 0)
		w->dirty = false;
	return r;
}
