/* The site config: parse with inih, validate, format. Every key is one row of
 * a table (keys[]); validation that spans keys is in site_validate(). */
#include "core/site.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <json-c/json.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/net.h"
#include "core/proposal.h"
#include "core/sshkey.h"
#include "core/util.h"

#define SITE_MAX_SIZE (256 * 1024)
#define SITE_MAX_LINE 199	/* inih's line buffer is 200 bytes */
#define SITE_MAX_TLS 32
#define SITE_MAX_LIST 1024

enum key_type {
	K_STR,		/* free text (no control characters) */
	K_NAME,		/* host name or address */
	K_ID,		/* IKE identity */
	K_PATH,		/* absolute path of a file that must exist */
	K_SECRET,	/* absolute path of a secret file (0600) */
	K_DIR,		/* absolute path of a directory (created when needed) */
	K_IFNAME,	/* network interface name */
	K_ENUM,		/* one word of an enum table */
	K_UINT,		/* number within [min, max] */
	K_ADDR,		/* address, no prefix length */
	K_IFADDR,	/* address with prefix length */
	K_WANADDR,	/* "dhcp" or address with prefix length */
	K_WANADDR6,	/* "none", "ra" or IPv6 address with prefix length */
	K_PREFIXES,	/* list of prefixes */
	K_ADDRS,	/* list of addresses */
	K_NAMES,	/* list of host names or addresses */
	K_HOSTPORT,	/* host:port */
	K_HOSTPORTS,	/* list of host:port */
	K_PORTS,	/* list of tcp/N, udp/N */
	K_PROPOSALS,	/* strongSwan proposals, IKE */
	K_ESP_PROPOSALS,/* strongSwan proposals, ESP */
	K_FACILITY,	/* 医療機関コード */
	K_CUSTOMER,	/* お客さまID */
	K_URL,		/* http:// or https:// URL */
	K_ZONE,		/* time zone of the tz database */
};

#define WORD(w, v, ja, en) { w, v, BT(ja, en) }
#define WORDS_END { NULL, 0, BT(NULL, NULL) }

static const struct site_choice line_words[] = {
	WORD("ipsec", SITE_LINE_IPSEC, "IPsec+IKE 接続方式", "IPsec+IKE"),
	WORD("ipvpn", SITE_LINE_IPVPN, "IP-VPN 接続方式", "IP-VPN"),
	WORDS_END };
static const struct site_choice auth_words[] = {
	WORD("pubkey", SITE_AUTH_PUBKEY, "電子証明書", "certificate"),
	WORD("psk", SITE_AUTH_PSK, "事前共有鍵", "pre-shared key"),
	WORDS_END };
static const struct site_choice natt_words[] = {
	WORD("auto", SITE_NATT_AUTO, "自動", "automatic"),
	WORD("force", SITE_NATT_FORCE, "常に UDP カプセル化", "always encapsulate in UDP"),
	WORD("off", SITE_NATT_OFF, "使わない", "never"),
	WORDS_END };
static const struct site_choice start_words[] = {
	WORD("start", SITE_START_START, "起動時に接続", "connect at start"),
	WORD("trap", SITE_START_TRAP, "通信があれば接続", "connect on traffic"),
	WORD("none", SITE_START_NONE, "手動", "manual"),
	WORDS_END };
static const struct site_choice segment_words[] = {
	WORD("lan", SITE_SEGMENT_LAN, "LAN と同じ", "same as the LAN"),
	WORD("separate", SITE_SEGMENT_SEPARATE, "専用セグメント", "separate segment"),
	WORDS_END };
static const struct site_choice ipvpn6_words[] = {
	WORD("none", SITE_IPVPN6_NONE, "使わない", "none"),
	WORD("ipoe", SITE_IPVPN6_IPOE, "IPoE", "IPoE"),
	WORDS_END };
static const struct site_choice prefix6_words[] = {
	WORD("ra", SITE_PREFIX6_RA, "RA の /64 (ひかり電話なし)", "a /64 by RA (no ひかり電話)"),
	WORD("pd", SITE_PREFIX6_PD, "DHCPv6-PD の /56 (ひかり電話あり)", "a /56 by DHCPv6-PD (ひかり電話)"),
	WORDS_END };
static const struct site_choice onoff_words[] = {
	WORD("off", 0, "使わない", "off"),
	WORD("on", 1, "使う", "on"),
	WORDS_END };
static const struct site_choice yesno_words[] = {
	WORD("no", 0, "使わない", "no"),
	WORD("yes", 1, "使う", "yes"),
	WORDS_END };

/* Which line types need a key. */
enum key_need { NEED_NO = 0, NEED_ALWAYS, NEED_IPSEC, NEED_IPVPN };

struct key_def {
	const char *section;	/* "probe.tls" for every [probe.tls.NAME] */
	const char *key;
	enum key_type type;
	size_t off;		/* offset in struct site (or struct site_tls) */
	size_t count_off;	/* offset of the size_t count of a list */
	const struct site_choice *words;
	unsigned min, max;
	enum key_need need;
	const char *def;	/* default value as it would be written */
	struct bitext label;
	struct bitext hint;
	const char *example;	/* see struct site_key */
	enum site_when when;
	enum site_page page;
	struct bitext doc;	/* what docs/config.md says of it */
	struct bitext doc_need;	/* when it is needed, if not always (docs) */
};

#define S(f) offsetof(struct site, f)
#define T(f) offsetof(struct site_tls, f)
#define NOCOUNT 0
#define NOTEXT BT(NULL, NULL)

/* Sorted by section in file order, then as written by site_format(). */
static const struct key_def keys[] = {
	{ "site", "facility_code", K_FACILITY, S(facility_code), NOCOUNT, NULL, 0, 0, NEED_ALWAYS, NULL,
	  BT("医療機関コード", "Facility code"),
	  BT("10 桁 (例 1312345678)", "10 digits (e.g. 1312345678)"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_FACILITY,
	  BT("医療機関コード (10 桁。先頭 2 桁は都道府県番号 01〜47)",
	     "facility code, 10 digits, the first two a prefecture number 01–47"),
	  NOTEXT },
	{ "site", "facility_name", K_STR, S(facility_name), NOCOUNT, NULL, 1, 200, NEED_ALWAYS, NULL,
	  BT("医療機関名", "Facility name"),
	  BT("例 さくら内科クリニック", "e.g. Sakura Clinic"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_FACILITY,
	  BT("医療機関名 (報告書に載ります)",
	     "facility name (printed on the report)"),
	  NOTEXT },
	{ "site", "vendor", K_STR, S(vendor), NOCOUNT, NULL, 0, 200, NEED_NO, NULL,
	  BT("システムベンダー", "System vendor"),
	  BT("作業する会社", "the company doing the work"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_FACILITY,
	  BT("システムベンダー名",
	     "system vendor"),
	  NOTEXT },
	{ "site", "engineer", K_STR, S(engineer), NOCOUNT, NULL, 0, 200, NEED_NO, NULL,
	  BT("作業担当者", "Engineer"),
	  BT("報告書に署名する人", "who signs the report"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_FACILITY,
	  BT("作業担当者 (`oqlink test --engineer` で上書き可)",
	     "field engineer (`oqlink test --engineer` overrides)"),
	  NOTEXT },
	{ "site", "witness", K_STR, S(witness), NOCOUNT, NULL, 0, 200, NEED_NO, NULL,
	  BT("立会者", "Witness"),
	  BT("医療機関側の立会者", "the facility's witness"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_FACILITY,
	  BT("立会者 (`oqlink test --witness` で上書き可)",
	     "the clinic's witness (`oqlink test --witness` overrides)"),
	  NOTEXT },
	{ "site", "address", K_STR, S(address), NOCOUNT, NULL, 0, 200, NEED_NO, NULL,
	  BT("作業場所", "Place of work"),
	  BT("施設の住所 (報告書に載ります)", "the facility's address, for the report"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("作業場所 (医療機関の住所。報告書に載ります)",
	     "where the work was done: the facility's address (printed on the report)"),
	  NOTEXT },
	{ "site", "timezone", K_ZONE, S(timezone), NOCOUNT, NULL, 0, 0, NEED_NO, CLOCK_DEFAULT_ZONE,
	  BT("時間帯", "Time zone"),
	  BT("tz データベースの名前 例 Asia/Tokyo", "a tz database name, e.g. Asia/Tokyo"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("表示し書き出すすべての時刻の時間帯 (システムの時間帯データベース tzdata の名前)",
	     "the time zone of every time shown or written (a name of the system's tz database, tzdata)"),
	  NOTEXT },

	{ "uplink", "type", K_ENUM, S(line), NOCOUNT, line_words, 0, 0, NEED_ALWAYS, NULL,
	  BT("回線種別", "Line type"),
	  BT("IPsec+IKE 接続方式か IP-VPN 接続方式", "IPsec+IKE or IP-VPN"),
	  "ipsec", SITE_WHEN_ALWAYS, SITE_PAGE_LINE,
	  BT("電気通信回線種別: `ipsec` (IPsec+IKE 接続方式) か `ipvpn` (IP-VPN 接続方式)",
	     "line type: `ipsec` (IPsec+IKE over the internet) or `ipvpn` (the carrier's closed IP-VPN)"),
	  NOTEXT },
	{ "uplink", "interface", K_IFNAME, S(wan_if), NOCOUNT, NULL, 0, 0, NEED_ALWAYS, NULL,
	  BT("WAN インターフェース", "WAN interface"),
	  BT("例 wan0", "e.g. wan0"),
	  "wan0", SITE_WHEN_ALWAYS, SITE_PAGE_LINE,
	  BT("WAN 側のインターフェース",
	     "WAN interface"),
	  NOTEXT },
	{ "uplink", "address", K_WANADDR, S(wan_addr), NOCOUNT, NULL, 0, 0, NEED_ALWAYS, NULL,
	  BT("WAN アドレス", "WAN address"),
	  BT("dhcp または 198.51.100.2/24", "dhcp or 198.51.100.2/24"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_LINE,
	  BT("`dhcp` か IPv4 アドレス/長さ",
	     "`dhcp` or IPv4 address/length"),
	  NOTEXT },
	{ "uplink", "gateway", K_ADDR, S(wan_gateway), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("WAN ゲートウェイ", "WAN gateway"),
	  BT("例 198.51.100.1 (dhcp なら空欄)", "e.g. 198.51.100.1 (empty with dhcp)"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_LINE,
	  BT("次ホップ (WAN のサブネット内)",
	     "next hop, inside the WAN subnet"),
	  BT("ipsec で固定アドレスのとき", "ipsec with a static address") },
	{ "uplink", "address6", K_WANADDR6, S(wan6_addr), NOCOUNT, NULL, 0, 0, NEED_NO, "none",
	  BT("WAN IPv6", "WAN IPv6"),
	  BT("none、ra または 2001:db8::2/64", "none, ra or 2001:db8::2/64"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_LINE,
	  BT("`none`、`ra` (ルーター広告)、または IPv6 アドレス/長さ",
	     "`none`, `ra` (router advertisements) or an IPv6 address/length"),
	  NOTEXT },
	{ "uplink", "gateway6", K_ADDR, S(wan6_gateway), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("WAN IPv6 ゲートウェイ", "WAN IPv6 gateway"),
	  BT("address6 が固定アドレスのときの次ホップ", "the next hop when address6 is static"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("IPv6 の次ホップ",
	     "IPv6 next hop"),
	  BT("`address6` が固定のとき", "with a static `address6`") },
	{ "uplink", "mtu", K_UINT, S(wan_mtu), NOCOUNT, NULL, 1280, 9000, NEED_NO, "1500",
	  BT("回線 MTU", "Line MTU"),
	  NOTEXT,
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_LINE,
	  BT("回線の MTU (1280〜9000)",
	     "line MTU, 1280–9000"),
	  NOTEXT },
	{ "uplink", "dns", K_NAMES, S(wan_dns), S(n_wan_dns), NULL, 0, 0, NEED_NO, NULL,
	  BT("WAN 側 DNS", "WAN DNS"),
	  BT("VPN 装置名の解決用、カンマ区切り", "to resolve the gateway's name, comma separated"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_LINE,
	  BT("インターネット側の DNS (ピアを名前で書いたとき)",
	     "internet-side resolvers (when the peer is a name)"),
	  NOTEXT },
	{ "uplink", "carrier", K_STR, S(carrier), NOCOUNT, NULL, 0, 200, NEED_NO, NULL,
	  BT("回線事業者", "Carrier"),
	  BT("報告書に載ります", "for the report"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("回線事業者 (報告書に載ります)",
	     "the carrier (printed on the report)"),
	  NOTEXT },
	{ "uplink", "line_id", K_STR, S(line_id), NOCOUNT, NULL, 0, 64, NEED_NO, NULL,
	  BT("回線ID", "Line ID"),
	  BT("事業者の設定票のとおり", "as the carrier's sheet gives it"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("回線ID (回線事業者の開通案内のとおり。報告書に載ります)",
	     "the line ID as the carrier's sheet gives it (printed on the report)"),
	  NOTEXT },

	{ "ipsec", "peer", K_NAME, S(peer), NOCOUNT, NULL, 0, 0, NEED_IPSEC, NULL,
	  BT("VPN ゲートウェイ", "VPN gateway"),
	  BT("アドレスまたは名前", "address or name"),
	  NULL, SITE_WHEN_IPSEC, SITE_PAGE_CARRIER,
	  BT("事業者の VPN ゲートウェイ (アドレスか名前)",
	     "the carrier's VPN gateway, address or name"),
	  NOTEXT },
	{ "ipsec", "local_id", K_ID, S(local_id), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("自 IKE ID", "Local IKE ID"),
	  BT("例 CN=clinic-1312345678.example", "e.g. CN=clinic-1312345678.example"),
	  NULL, SITE_WHEN_IPSEC, SITE_PAGE_CARRIER,
	  BT("自分の IKE ID (既定は証明書の DN)",
	     "our IKE identity (default: the certificate's DN)"),
	  BT("psk では必須", "psk") },
	{ "ipsec", "remote_id", K_ID, S(remote_id), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("相手 IKE ID", "Remote IKE ID"),
	  BT("例 CN=vpngw.carrier.example", "e.g. CN=vpngw.carrier.example"),
	  NULL, SITE_WHEN_IPSEC, SITE_PAGE_CARRIER,
	  BT("相手の IKE ID",
	     "the gateway's IKE identity"),
	  BT("psk では必須", "psk") },
	{ "ipsec", "auth", K_ENUM, S(auth), NOCOUNT, auth_words, 0, 0, NEED_NO, "pubkey",
	  BT("認証方式", "Authentication"),
	  BT("電子証明書か事前共有鍵", "certificate or pre-shared key"),
	  NULL, SITE_WHEN_IPSEC, SITE_PAGE_CARRIER,
	  BT("`pubkey` (証明書) か `psk` (事前共有鍵)",
	     "`pubkey` (certificate) or `psk` (pre-shared key)"),
	  NOTEXT },
	{ "ipsec", "certificate", K_PATH, S(certificate), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("IKE 証明書", "IKE certificate"),
	  BT("PEM または DER のパス", "path of a PEM or DER file"),
	  "@ike.crt", SITE_WHEN_PUBKEY, SITE_PAGE_CARRIER,
	  BT("この機器の IKE 証明書 (PEM/DER)",
	     "this appliance's IKE certificate"),
	  BT("pubkey", "pubkey") },
	{ "ipsec", "private_key", K_SECRET, S(private_key), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("秘密鍵", "Private key"),
	  BT("モード 0600 のファイル", "a file of mode 0600"),
	  "@ike.key", SITE_WHEN_PUBKEY, SITE_PAGE_CARRIER,
	  BT("その秘密鍵 (秘密のファイル, 0600)",
	     "its private key (secret file, 0600)"),
	  BT("pubkey", "pubkey") },
	{ "ipsec", "ca", K_PATH, S(ca), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("CA 証明書", "CA certificate"),
	  BT("対向を検証する CA", "the CA that signs the gateway"),
	  "@ca.crt", SITE_WHEN_PUBKEY, SITE_PAGE_CARRIER,
	  BT("相手の証明書を検証する CA",
	     "CA that verifies the gateway's certificate"),
	  BT("pubkey", "pubkey") },
	{ "ipsec", "psk_file", K_SECRET, S(psk_file), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("事前共有鍵", "Pre-shared key"),
	  BT("鍵を収めたモード 0600 のファイル", "a file of mode 0600 that holds the key"),
	  "@ike.psk", SITE_WHEN_PSK, SITE_PAGE_CARRIER,
	  BT("事前共有鍵のファイル (0600)",
	     "file holding the pre-shared key (0600)"),
	  BT("psk", "psk") },
	{ "ipsec", "ike_proposals", K_PROPOSALS, S(ike_proposals), NOCOUNT, NULL, 0, 0, NEED_NO, "aes256-sha256-modp2048",
	  BT("IKE 提案", "IKE proposals"),
	  BT("例 aes256-sha256-modp2048", "e.g. aes256-sha256-modp2048"),
	  NULL, SITE_WHEN_IPSEC, SITE_PAGE_CARRIER,
	  BT("IKE の提案 (strongSwan の書式、カンマ区切り)",
	     "IKE proposals, strongSwan syntax, comma separated"),
	  NOTEXT },
	{ "ipsec", "esp_proposals", K_ESP_PROPOSALS, S(esp_proposals), NOCOUNT, NULL, 0, 0, NEED_NO, "aes256gcm16-modp2048",
	  BT("ESP 提案", "ESP proposals"),
	  BT("例 aes256gcm16-modp2048", "e.g. aes256gcm16-modp2048"),
	  NULL, SITE_WHEN_IPSEC, SITE_PAGE_CARRIER,
	  BT("ESP の提案",
	     "ESP proposals"),
	  NOTEXT },
	{ "ipsec", "dpd_delay", K_UINT, S(dpd_delay), NOCOUNT, NULL, 0, 3600, NEED_NO, "30",
	  BT("DPD 間隔 (秒)", "DPD delay (s)"),
	  BT("0 で無効", "0 turns it off"),
	  NULL, SITE_WHEN_IPSEC, SITE_PAGE_CARRIER,
	  BT("DPD の間隔 (秒、0 で無効)",
	     "dead-peer-detection interval in seconds, 0 = off"),
	  NOTEXT },
	{ "ipsec", "nat_traversal", K_ENUM, S(natt), NOCOUNT, natt_words, 0, 0, NEED_NO, "auto",
	  BT("NAT 越え", "NAT traversal"),
	  BT("自動、常に UDP カプセル化、または使わない", "automatic, always in UDP, or never"),
	  NULL, SITE_WHEN_IPSEC, SITE_PAGE_CARRIER,
	  BT("`auto`、`force` (常に UDP 4500 でカプセル化)、`off`",
	     "`auto`, `force` (always UDP-encapsulate), `off`"),
	  NOTEXT },
	{ "ipsec", "start_action", K_ENUM, S(start_action), NOCOUNT, start_words, 0, 0, NEED_NO, "start",
	  BT("接続の開始", "Start action"),
	  BT("起動時、通信があれば、または手動", "at start, on traffic, or by hand"),
	  NULL, SITE_WHEN_IPSEC, SITE_PAGE_CARRIER,
	  BT("`start` (起動時に接続)、`trap` (通信発生時)、`none`",
	     "`start` (at once), `trap` (on traffic), `none`"),
	  NOTEXT },
	{ "ipsec", "tunnel_mtu", K_UINT, S(tunnel_mtu), NOCOUNT, NULL, 1280, 9000, NEED_NO, "1400",
	  BT("トンネル MTU", "Tunnel MTU"),
	  BT("MSS 調整に使う", "for MSS clamping"),
	  NULL, SITE_WHEN_IPSEC, SITE_PAGE_CARRIER,
	  BT("トンネル内の MTU (TCP MSS をこれに合わせます)",
	     "MTU inside the tunnel (TCP MSS is clamped to it)"),
	  NOTEXT },
	{ "ipsec", "vici_socket", K_PATH, S(vici_socket), NOCOUNT, NULL, 0, 0, NEED_NO, "/var/run/charon.vici",
	  BT("charon の VICI ソケット", "charon's VICI socket"),
	  BT("通常は既定値", "usually the default"),
	  NULL, SITE_WHEN_IPSEC, SITE_PAGE_CARRIER,
	  BT("charon の VICI ソケット",
	     "charon's VICI socket"),
	  NOTEXT },

	{ "ipvpn", "ce_router", K_ADDR, S(ce_router), NOCOUNT, NULL, 0, 0, NEED_IPVPN, NULL,
	  BT("CE ルーター", "CE router"),
	  BT("事業者の CE ルーターのアドレス", "the address of the carrier's CE router"),
	  NULL, SITE_WHEN_IPVPN, SITE_PAGE_CARRIER,
	  BT("事業者の CE ルーター (センター側への次ホップ、WAN のサブネット内)",
	     "the carrier's CE router, next hop to the central prefixes, inside the WAN subnet"),
	  NOTEXT },
	{ "ipvpn", "customer_id", K_CUSTOMER, S(customer_id), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("お客さまID", "Customer ID"),
	  BT("NTT 回線: CAF/COP と数字", "NTT lines: CAF or COP and digits"),
	  NULL, SITE_WHEN_IPVPN, SITE_PAGE_CARRIER,
	  BT("お客さまID (NTT の回線: `CAF` か `COP` と 8〜10 桁)",
	     "customer ID for NTT lines: `CAF` or `COP` and 8–10 digits"),
	  NOTEXT },
	{ "ipvpn", "ipv6", K_ENUM, S(ipvpn6), NOCOUNT, ipvpn6_words, 0, 0, NEED_NO, "none",
	  BT("IPv6", "IPv6"),
	  BT("閉域網の IPv6: 使わないか IPoE", "IPv6 on the closed network: none or IPoE"),
	  NULL, SITE_WHEN_IPVPN, SITE_PAGE_CARRIER,
	  BT("`none` か `ipoe` (NGN の IPv6 IPoE、フレッツ・v6オプション。`[uplink] address6 = ra` と `[terminal] segment = separate` が要ります)",
	     "`none` or `ipoe` (IPv6 IPoE on the NGN; needs `[uplink] address6 = ra` and `[terminal] segment = separate`)"),
	  NOTEXT },
	{ "ipvpn", "ipv6_prefix", K_ENUM, S(prefix6), NOCOUNT, prefix6_words, 0, 0, NEED_NO, "ra",
	  BT("IPv6 プレフィックスの受け取り方", "How the IPv6 prefix comes"),
	  BT("ひかり電話ありは pd、なしは ra", "pd with ひかり電話, else ra"),
	  NULL, SITE_WHEN_IPOE6, SITE_PAGE_CARRIER,
	  BT("`ra`: 回線の /64 を RA で受け、ND プロキシ (ndppd) で端末セグメントに広げる (ひかり電話なし)。"
	     "`pd`: /56 を DHCPv6-PD (dhcpcd) で受け、その /64 を端末セグメントに配る (ひかり電話あり)",
	     "`ra`: the line's /64 comes by RA and an ND proxy (ndppd) extends it to the terminal segment (lines without ひかり電話); "
	     "`pd`: a /56 comes by DHCPv6-PD (dhcpcd) and one of its /64 goes to the terminal segment (lines with ひかり電話)"),
	  NOTEXT },
	{ "ipvpn", "pd_subnet", K_UINT, S(pd_subnet), NOCOUNT, NULL, 0, 255, NEED_NO, "1",
	  BT("端末セグメントに使う /64 の番号", "Number of the /64 for the terminal segment"),
	  BT("pd のとき、委任された /56 の何番目の /64 か", "with pd, which /64 of the delegated /56"),
	  NULL, SITE_WHEN_IPOE6, SITE_PAGE_NONE,
	  BT("`pd` のとき端末セグメントに使う /64 の番号 (0〜255)",
	     "with `pd`, which /64 of the /56 the terminal segment gets (0–255)"),
	  NOTEXT },

	{ "lan", "interface", K_IFNAME, S(lan_if), NOCOUNT, NULL, 0, 0, NEED_ALWAYS, NULL,
	  BT("LAN インターフェース", "LAN interface"),
	  BT("例 lan0", "e.g. lan0"),
	  "lan0", SITE_WHEN_ALWAYS, SITE_PAGE_CLINIC,
	  BT("LAN 側のインターフェース",
	     "LAN interface"),
	  NOTEXT },
	{ "lan", "address", K_IFADDR, S(lan_addr), NOCOUNT, NULL, 0, 0, NEED_ALWAYS, NULL,
	  BT("LAN アドレス", "LAN address"),
	  BT("本機のアドレス/長さ 例 192.168.10.1/24", "this box's address/length, e.g. 192.168.10.1/24"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_CLINIC,
	  BT("この機器の LAN アドレス/長さ",
	     "this appliance's LAN address/length"),
	  NOTEXT },
	{ "lan", "management", K_PREFIXES, S(management), S(n_management), NULL, 0, 0, NEED_NO, NULL,
	  BT("管理を許す範囲", "Management from"),
	  BT("例 192.168.10.0/24", "e.g. 192.168.10.0/24"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_CLINIC,
	  BT("この機器の管理 (ssh) を許す送信元",
	     "where management (ssh) of this appliance is allowed from"),
	  NOTEXT },
	{ "lan", "ssh", K_ENUM, S(ssh), NOCOUNT, onoff_words, 0, 0, NEED_NO, "off",
	  BT("SSH による管理", "SSH management"),
	  BT("on にすると管理 LAN から鍵でだけログインできます", "on: log in from the management LAN, with keys only"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("`on`: `[lan] management` の送信元から LAN のアドレスの tcp/22 に、`ssh_keys` の鍵でだけ SSH でログインできます (パスワードは使えません。WAN からは届きません)。`off` (既定): sshd は動かず、ファイアウォールは tcp/22 を通しません",
	     "`on`: SSH logins to the LAN address, tcp/22, from the sources of `[lan] management`, with the keys of `ssh_keys` only (never a password; never from the WAN). `off` (the default): no sshd runs and the firewall lets no tcp/22 in"),
	  NOTEXT },
	{ "lan", "ssh_keys", K_PATH, S(ssh_keys), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("SSH の公開鍵", "SSH public keys"),
	  BT("OpenSSH の公開鍵のファイル (1 行に 1 つ)", "a file of OpenSSH public keys, one a line"),
	  NULL, SITE_WHEN_SSH, SITE_PAGE_NONE,
	  BT("ログインを許す OpenSSH の公開鍵のファイル。1 行に 1 つ、`種類 base64 [コメント]` の形で、種類は ssh-ed25519、ecdsa-sha2-nistp256/384/521、3072 ビット以上の ssh-rsa。前にオプションは書けません。空行と # の行は読み飛ばします。apply はこれを root だけが読めるファイルに写して sshd に渡します",
	     "the file of OpenSSH public keys that may log in: one a line, `TYPE BASE64 [COMMENT]`, the type ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa of 3072 bits or more, no options in front; blank lines and lines starting with # are skipped. apply copies it into a file only root can read, for sshd"),
	  BT("ssh = on のとき", "with ssh = on") },
	{ "lan", "pppoe_passthrough", K_ENUM, S(pppoe_passthrough), NOCOUNT, yesno_words, 0, 0, NEED_NO, "no",
	  BT("PPPoE パススルー", "PPPoE pass-through"),
	  BT("オンライン請求を PPPoE でつなぐとき yes", "yes when online claims go over PPPoE"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_CLINIC,
	  BT("`yes`: LAN と WAN のポートの間で PPPoE のフレーム (0x8863/0x8864) だけをそのまま通す (オンライン請求の PPPoE 用、docs/provision.md)",
	     "`yes`: pass PPPoE frames (0x8863/0x8864), and nothing else, as they are between the LAN and WAN ports (for online claims over PPPoE; docs/provision.md)"),
	  NOTEXT },

	{ "terminal", "segment", K_ENUM, S(segment), NOCOUNT, segment_words, 0, 0, NEED_NO, "lan",
	  BT("端末の接続", "Terminal segment"),
	  BT("専用セグメントを勧めます", "a separate segment is recommended"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_CLINIC,
	  BT("`lan` (LAN 上) か `separate` (専用セグメント)",
	     "`lan` (on the clinic LAN) or `separate` (its own segment)"),
	  NOTEXT },
	{ "terminal", "interface", K_IFNAME, S(term_if), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("端末側インターフェース", "Terminal interface"),
	  BT("例 term0", "e.g. term0"),
	  "term0", SITE_WHEN_SEPARATE, SITE_PAGE_CLINIC,
	  BT("端末用セグメントのインターフェース",
	     "the terminal segment's interface"),
	  BT("separate", "separate") },
	{ "terminal", "address", K_IFADDR, S(term_addr), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("端末側アドレス", "Terminal-side address"),
	  BT("端末側の本機アドレス 例 192.168.20.1/24", "this box on that segment, e.g. 192.168.20.1/24"),
	  NULL, SITE_WHEN_SEPARATE, SITE_PAGE_CLINIC,
	  BT("この機器の端末用セグメントのアドレス/長さ",
	     "this appliance's address/length on that segment"),
	  BT("separate", "separate") },
	{ "terminal", "host", K_ADDR, S(terminal), NOCOUNT, NULL, 0, 0, NEED_ALWAYS, NULL,
	  BT("資格確認端末", "Qualification terminal"),
	  BT("端末のアドレス 例 192.168.20.10", "the terminal's address, e.g. 192.168.20.10"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_CLINIC,
	  BT("資格確認端末のアドレス",
	     "the terminal's address"),
	  NOTEXT },
	{ "terminal", "lan_ports", K_PORTS, S(lan_ports), S(n_lan_ports), NULL, 0, 0, NEED_NO, NULL,
	  BT("LAN から端末へ許すポート", "LAN to terminal ports"),
	  BT("例 tcp/443, tcp/3389", "e.g. tcp/443, tcp/3389"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_CLINIC,
	  BT("LAN の機器が端末に接続してよいポート (`tcp/443, tcp/3389`)",
	     "ports on which LAN hosts may reach the terminal"),
	  NOTEXT },

	{ "central", "prefixes", K_PREFIXES, S(central), S(n_central), NULL, 0, 0, NEED_ALWAYS, NULL,
	  BT("センターのプレフィックス", "Central prefixes"),
	  BT("例 192.0.2.0/24", "e.g. 192.0.2.0/24"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_CENTRAL,
	  BT("回線の先にあるセンター側のプレフィックス (LAN・WAN と重なってはいけません。既定経路は不可)",
	     "central prefixes reached through the uplink (must not overlap the LAN or WAN; no default route)"),
	  NOTEXT },
	{ "central", "dns", K_ADDRS, S(dns), S(n_dns), NULL, 0, 0, NEED_NO, NULL,
	  BT("閉域 DNS", "Closed-network DNS"),
	  BT("アドレス、カンマ区切り", "addresses, comma separated"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_CENTRAL,
	  BT("閉域網の DNS サーバー (センター側のプレフィックス内)",
	     "closed-network DNS servers, inside the central prefixes"),
	  NOTEXT },
	{ "central", "ntp", K_NAMES, S(ntp), S(n_ntp), NULL, 0, 0, NEED_NO, NULL,
	  BT("NTP", "NTP"),
	  BT("アドレスまたは名前", "addresses or names"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_CENTRAL,
	  BT("NTP サーバー (アドレスか名前)",
	     "NTP servers, address or name"),
	  NOTEXT },
	{ "central", "proxy", K_HOSTPORT, S(proxy), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("プロキシ", "Proxy"),
	  BT("ホスト:ポート 例 192.0.2.80:8080", "host:port, e.g. 192.0.2.80:8080"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_CENTRAL,
	  BT("HTTP プロキシ (`ホスト:ポート`)",
	     "HTTP proxy, `host:port`"),
	  NOTEXT },

	{ "probe", "dns_names", K_NAMES, S(dns_names), S(n_dns_names), NULL, 0, 0, NEED_NO, "www.lineauth.mnw, hweb.oqs-st.onshikaku.org, pweb.base.oqs-pdl.org, " "ntp.base.oqs-pdl.org, crldownload.obn.managedpki.ne.jp",
	  BT("名前解決する名前", "Names to resolve"),
	  BT("カンマ区切り", "comma separated"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_PROBES,
	  BT("名前解決を確かめる名前",
	     "names to resolve"),
	  NOTEXT },
	{ "probe", "ping", K_NAMES, S(ping_targets), S(n_ping_targets), NULL, 0, 0, NEED_NO, NULL,
	  BT("ping の相手", "Ping targets"),
	  BT("アドレスまたは名前", "addresses or names"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_PROBES,
	  BT("ping の宛先",
	     "ping targets"),
	  NOTEXT },
	{ "probe", "tcp", K_HOSTPORTS, S(tcp_targets), S(n_tcp_targets), NULL, 0, 0, NEED_NO, NULL,
	  BT("TCP 接続の相手", "TCP targets"),
	  BT("ホスト:ポート、カンマ区切り", "host:port, comma separated"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_PROBES,
	  BT("接続時間を測る `ホスト:ポート`",
	     "`host:port` to time a connect to"),
	  NOTEXT },
	{ "probe", "ping_count", K_UINT, S(ping_count), NOCOUNT, NULL, 1, 1000, NEED_NO, "20",
	  BT("ping の回数", "Pings per target"),
	  NOTEXT,
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("ping の回数",
	     "pings per target"),
	  NOTEXT },
	{ "probe", "ping_interval_ms", K_UINT, S(ping_interval_ms), NOCOUNT, NULL, 10, 10000, NEED_NO, "50",
	  BT("ping の間隔 (ミリ秒)", "Ping interval (ms)"),
	  NOTEXT,
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("ping の間隔 (ミリ秒)",
	     "interval between pings, ms"),
	  NOTEXT },
	{ "probe", "timeout_ms", K_UINT, S(timeout_ms), NOCOUNT, NULL, 100, 600000, NEED_NO, "5000",
	  BT("検査ごとの制限時間 (ミリ秒)", "Timeout per probe (ms)"),
	  NOTEXT,
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("プローブごとの時間切れ (ミリ秒)",
	     "timeout per probe, ms"),
	  NOTEXT },
	{ "probe", "lineauth_url", K_URL, S(lineauth_url), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("回線認証ページ", "Line-auth page"),
	  BT("例 http://www.lineauth.mnw/", "e.g. http://www.lineauth.mnw/"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_PROBES,
	  BT("回線認証のページ",
	     "the line-authentication page"),
	  BT("IP-VPN で `customer_id` があるとき", "ipvpn with a customer ID") },
	{ "probe", "lineauth_expect", K_STR, S(lineauth_expect), NOCOUNT, NULL, 1, 200, NEED_NO, "認証済みです",
	  BT("認証済みを示す文字列", "Text that means authenticated"),
	  BT("回線認証ページにこの文字列があれば合格", "the line-auth page passes when it holds this text"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("認証済みを示す文字列",
	     "the text that means authenticated"),
	  NOTEXT },

	{ "probe.tls", "host", K_NAME, T(host), NOCOUNT, NULL, 0, 0, NEED_ALWAYS, NULL,
	  BT("TLS 接続先", "TLS endpoint"),
	  BT("空欄なら TLS の確認なし", "empty: no TLS check"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_PROBES,
	  BT("接続して検証するホスト名",
	     "host name to connect to and verify"),
	  NOTEXT },
	{ "probe.tls", "port", K_UINT, T(port), NOCOUNT, NULL, 1, 65535, NEED_NO, "443",
	  BT("TLS ポート", "TLS port"),
	  BT("通常 443", "usually 443"),
	  NULL, SITE_WHEN_TLS, SITE_PAGE_PROBES,
	  BT("ポート",
	     "port"),
	  NOTEXT },
	{ "probe.tls", "ca", K_PATH, T(ca), NOCOUNT, NULL, 0, 0, NEED_ALWAYS, NULL,
	  BT("TLS の CA ファイル", "TLS CA file"),
	  BT("サーバーを検証する CA", "the CA of the server"),
	  NULL, SITE_WHEN_TLS, SITE_PAGE_PROBES,
	  BT("サーバー証明書を検証する CA",
	     "CA that verifies the server chain"),
	  NOTEXT },
	{ "probe.tls", "client_p12", K_PATH, T(client_p12), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("端末の証明書 (PKCS#12)", "Terminal certificate (PKCS#12)"),
	  BT("クライアント証明書のファイル", "the client certificate file"),
	  NULL, SITE_WHEN_TLS, SITE_PAGE_PROBES,
	  BT("資格確認端末の電子証明書 (PKCS#12)",
	     "the terminal's client certificate, PKCS#12"),
	  NOTEXT },
	{ "probe.tls", "client_ca", K_PATH, T(client_ca), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("端末証明書の CA", "Terminal certificate's CA"),
	  BT("端末の証明書を発行した CA のファイル", "the CA file that issued the terminal's certificate"),
	  NULL, SITE_WHEN_TLS, SITE_PAGE_PROBES,
	  BT("その電子証明書を発行した CA (共通認証局)。ない場合は IKE の `ca` とこの宛先の `ca` で検証します",
	     "CA that issued that certificate (the common CA); without it the IKE `ca` and this endpoint's `ca` are tried"),
	  NOTEXT },
	{ "probe.tls", "password_file", K_SECRET, T(password_file), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("PKCS#12 のパスワード", "PKCS#12 password"),
	  BT("パスワードを収めたモード 0600 のファイル", "a file of mode 0600 that holds the password"),
	  "@terminal.p12.pass", SITE_WHEN_TLS, SITE_PAGE_PROBES,
	  BT("その PKCS#12 のパスワードのファイル (0600)",
	     "file holding that PKCS#12's password (0600)"),
	  NOTEXT },

	{ "monitor", "light_interval", K_UINT, S(mon_light_s), NOCOUNT, NULL, 10, 86400, NEED_NO, "60",
	  BT("軽い検査の間隔 (秒)", "Light probe interval (s)"),
	  NOTEXT,
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("軽い検査 (link, gateway, ike, child, dns, reach) の間隔 (秒、10〜86400)",
	     "seconds between the light probes (link, gateway, ike, child, dns, reach), 10–86400"),
	  NOTEXT },
	{ "monitor", "heavy_interval", K_UINT, S(mon_heavy_s), NOCOUNT, NULL, 60, 86400, NEED_NO, "900",
	  BT("重い検査の間隔 (秒)", "Heavy probe interval (s)"),
	  NOTEXT,
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("重い検査 (tls, cert, pmtu, proxy, clock) の間隔 (秒、60〜86400)",
	     "seconds between the heavy probes (tls, cert, pmtu, proxy, clock), 60–86400"),
	  NOTEXT },
	{ "monitor", "reinitiate_after", K_UINT, S(mon_reinitiate_s), NOCOUNT, NULL, 1, 3600, NEED_NO, "10",
	  BT("トンネル再確立までの秒数", "Seconds before re-initiating"),
	  BT("CHILD SA がこの秒数ないとき接続し直す", "no CHILD SA this long: initiate again"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("CHILD_SA がこの秒数ないとき張り直しを始めます (1〜3600)",
	     "re-initiate when no CHILD_SA has been installed for this many seconds, 1–3600"),
	  NOTEXT },
	{ "monitor", "metrics_listen", K_HOSTPORT, S(metrics_listen), NOCOUNT, NULL, 0, 0, NEED_NO, NULL,
	  BT("メトリクスの待ち受け", "Metrics listen address"),
	  BT("ホスト:ポート、管理 LAN 側のみ (空欄: 無効)", "host:port on the management LAN (empty: off)"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("Prometheus のメトリクスを出すアドレス:ポート。`[lan] address` のアドレスだけ使えます。空なら出しません",
	     "address:port for Prometheus metrics; only the `[lan] address` is accepted; empty: off"),
	  NOTEXT },
	{ "monitor", "metrics_allow", K_PREFIXES, S(metrics_allow), S(n_metrics_allow), NULL, 0, 0, NEED_NO, NULL,
	  BT("メトリクスを取得できる送信元", "Sources allowed to scrape the metrics"),
	  BT("プレフィックスをカンマ区切りで (空欄: 管理 LAN の management、なければ LAN)",
	     "prefixes, comma separated (empty: the LAN's management, else the LAN)"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("メトリクスを取得してよい送信元のプレフィックス (カンマ区切り、待ち受けのアドレスと同じ IP の版、`0.0.0.0/0` のような全アドレスは不可)。"
		"ファイアウォールはこれ以外からの取得を落とします。空なら `[lan] management` のうち同じ版のもの、それもなければ LAN のプレフィックス",
	     "prefixes that may scrape the metrics (comma separated, of the listen address's IP version, never every address such as `0.0.0.0/0`); "
		"the firewall drops a scrape from anywhere else. Empty: those of `[lan] management` of that version, or else the LAN prefix itself"),
	  NOTEXT },
	{ "monitor", "syslog", K_STR, S(syslog), NOCOUNT, NULL, 1, 200, NEED_NO, NULL,
	  BT("syslog の送り先", "Syslog server"),
	  BT("udp://ホスト:ポート または tcp://ホスト:ポート (空欄: 無効)", "udp://host:port or tcp://host:port (empty: off)"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("事象を RFC 5424 で送る先: `udp://ホスト:ポート` か `tcp://ホスト:ポート`。空なら送りません",
	     "where events go as RFC 5424 syslog: `udp://host:port` or `tcp://host:port`; empty: off"),
	  NOTEXT },
	{ "monitor", "history_days", K_UINT, S(history_days), NOCOUNT, NULL, 1, 3650, NEED_NO, "90",
	  BT("履歴の保存日数", "History kept (days)"),
	  NOTEXT,
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("検査結果を残す日数 (1〜3650)",
	     "days of probe results kept, 1–3650"),
	  NOTEXT },
	{ "monitor", "history_max_mb", K_UINT, S(history_max_mb), NOCOUNT, NULL, 1, 65536, NEED_NO, "64",
	  BT("履歴の上限 (MB)", "History size limit (MB)"),
	  NOTEXT,
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("検査結果の履歴の上限 (MB、1〜65536)。超えると古いものから消します",
	     "size limit of the probe history in MB, 1–65536; the oldest results go first"),
	  NOTEXT },

	{ "paths", "state_dir", K_DIR, S(state_dir), NOCOUNT, NULL, 0, 0, NEED_NO, "/var/lib/oqlink",
	  BT("状態のディレクトリ", "State directory"),
	  BT("スナップショット、履歴", "snapshots and history"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("スナップショット・履歴 (適用の履歴 history.db、見張りの履歴 monitor.db)",
	     "snapshots and history (applies in history.db, the keeper's results in monitor.db)"),
	  NOTEXT },
	{ "paths", "run_dir", K_DIR, S(run_dir), NOCOUNT, NULL, 0, 0, NEED_NO, "/run/oqlink",
	  BT("実行時のディレクトリ", "Runtime directory"),
	  BT("実行中の状態", "runtime state"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("実行時の状態 (確認タイマーなど)",
	     "runtime state (confirm timer, ...)"),
	  NOTEXT },
	{ "paths", "report_dir", K_DIR, S(report_dir), NOCOUNT, NULL, 0, 0, NEED_NO, "/var/lib/oqlink/reports",
	  BT("報告書のディレクトリ", "Report directory"),
	  BT("作った報告書の置き場所", "where reports are written"),
	  NULL, SITE_WHEN_ALWAYS, SITE_PAGE_NONE,
	  BT("運用テスト報告書",
	     "operational-test reports"),
	  NOTEXT },
};

/* The pages of the setup screen that ask for keys. */
static const struct {
	struct bitext title, intro;
} pages[SITE_PAGE_COUNT] = {
	[SITE_PAGE_FACILITY] = {
		BT("施設", "Facility"),
		BT("医療機関の情報と、作業する人の名前です。報告書に載ります。",
		   "The facility, and who does the work. They go into the report.") },
	[SITE_PAGE_LINE] = {
		BT("回線 (WAN)", "Line (WAN)"),
		BT("電気通信回線種別と、上流側インターフェースのアドレスです。",
		   "The line type and the address of the uplink interface.") },
	[SITE_PAGE_CARRIER] = {
		BT("事業者の設定", "Carrier settings"),
		BT("事業者から届いた設定票の値を入力します。",
		   "Type the values from the carrier's settings sheet.") },
	[SITE_PAGE_CLINIC] = {
		BT("LAN と資格確認端末", "LAN and terminal"),
		BT("院内 LAN と、資格確認端末を置くセグメントです。",
		   "The clinic LAN, and the segment of the qualification terminal.") },
	[SITE_PAGE_CENTRAL] = {
		BT("センター側", "Central side"),
		BT("閉域網の先のプレフィックスと、DNS・NTP・プロキシです。",
		   "The prefixes behind the closed network, and DNS, NTP and proxy.") },
	[SITE_PAGE_PROBES] = {
		BT("疎通確認の対象", "Probe targets"),
		BT("疎通確認で名前解決・ping・接続を試す相手です。空欄は既定値を使います。",
		   "What the probes resolve, ping and connect to. Empty fields use the defaults.") },
};

/* The sections, in file order. A named kind is only ever written
 * [KIND.NAME] and its keys go into a struct of their own (struct site_tls
 * for probe.tls); every other kind takes no NAME and its keys go into
 * struct site. */
static const struct section_def {
	const char *name;
	bool named;
} sections[] = {
	{ "site", false }, { "uplink", false }, { "ipsec", false }, { "ipvpn", false },
	{ "lan", false }, { "terminal", false }, { "central", false }, { "probe", false },
	{ "probe.tls", true }, { "monitor", false }, { "paths", false },
};

/* Does k belong to a named kind, so that its offset is in struct site_tls
 * rather than struct site? Every place that applies a key asks this. */
static bool key_named(const struct key_def *k)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (strcmp(sections[i].name, k->section) == 0)
			return sections[i].named;
	abort();	/* a key of a section that is not in sections[] */
}

/* What is wrong with a section header whose kind is known. */
enum section_fault { SEC_OK = 0, SEC_NO_NAME, SEC_BAD_NAME };

/* Where a key was set: for diagnostics that span keys. */
struct key_loc {
	unsigned line, col, vcol;
};

/* State of one parse. */
struct parser {
	const char *name;		/* file name for diagnostics */
	const char *text;		/* the whole file */
	const char *pos;		/* reader position */
	unsigned line;			/* number of the line just read */
	char raw[SITE_MAX_LINE + 2];	/* that line as read */
	bool continuation;		/* it starts with white space */
	struct site *site;
	struct site_diags *diags;
	struct site_entries *entries;	/* when not NULL: every key = value as written */
	unsigned errors;
	struct key_loc loc[ARRAY_SIZE(keys)];
	struct key_loc *tls_loc;	/* per TLS section, ARRAY_SIZE(keys) each */
	bool *bad_line;			/* lines refused as text, by number */
	size_t n_bad_line;
};

static void diag_add(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void diag_add_in(struct parser *p, const char *file, unsigned line, unsigned col,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Record one problem at a line of file. */
static void diag_vadd(struct parser *p, const char *file, unsigned line, unsigned col,
		      const char *fmt, va_list ap)
{
	struct site_diags *d = p->diags;
	struct site_diag *g;
	char *msg;

	p->errors++;
	if (d == NULL)
		return;
	d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	g = &d->v[d->n++];
	g->file = str_sanitize(file);
	g->line = line;
	g->col = col;
	g->err = 0;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	/* messages quote the input: keep them safe for a terminal and JSON */
	g->message = str_sanitize(msg ? msg : "?");
	free(msg);
}

/* Record one problem of the config file. */
static void diag_add(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(p, p->name, line, col, fmt, ap);
	va_end(ap);
}

/* Record one problem of another file the config names. */
static void diag_add_in(struct parser *p, const char *file, unsigned line, unsigned col,
			const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(p, file, line, col, fmt, ap);
	va_end(ap);
}

void site_diags_free(struct site_diags *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].message);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

void site_diags_print(const struct site_diags *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct site_diag *g = &d->v[i];
		char *file = str_sanitize(g->file), *msg = str_sanitize(g->message);
		if (g->line)
			fprintf(out, "%s:%u:%u: %s\n", file, g->line, g->col, msg);
		else
			fprintf(out, "%s: %s\n", file, msg);
		free(file);
		free(msg);
	}
}

/* Order diagnostics by line and column, keeping the order of equal ones. */
static void diags_sort(struct site_diags *d)
{
	for (size_t i = 1; i < d->n; i++) {
		struct site_diag t = d->v[i];
		size_t j = i;
		while (j > 0 && (d->v[j - 1].line > t.line ||
				 (d->v[j - 1].line == t.line && d->v[j - 1].col > t.col))) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = t;
	}
}

/* inih reader: hand out one line at a time, remember it, and refuse lines
 * longer than inih's buffer instead of letting it split them. */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	size_t len;

	if (*p->pos == '\0')
		return NULL;
	len = strcspn(p->pos, "\n");
	p->line++;
	if (len > SITE_MAX_LINE || (int)len + 2 > num) {
		diag_add(p, p->line, (unsigned)SITE_MAX_LINE + 1,
			 _("行が長すぎます (%zu バイト、上限 %d)。値は空白で始まる次の行に続けられます",
			   "line is too long (%zu bytes, limit %d); continue a value on the next line, indented"),
			 len, SITE_MAX_LINE);
		p->raw[0] = '\0';
		strcpy(str, "\n");
	} else {
		memcpy(p->raw, p->pos, len);
		p->raw[len] = '\0';
		memcpy(str, p->pos, len);
		str[len] = '\n';
		str[len + 1] = '\0';
	}
	p->continuation = p->raw[0] == ' ' || p->raw[0] == '\t';
	p->pos += len + (p->pos[len] == '\n');
	return str;
}

/* Column (1-based) of the first occurrence of needle in the current raw line
 * at or after from, or 1. */
static unsigned col_of(const struct parser *p, const char *needle, unsigned from)
{
	const char *raw = p->raw, *hit;

	if (needle == NULL || *needle == '\0' || from > strlen(raw))
		return 1;
	hit = strstr(raw + (from ? from - 1 : 0), needle);
	return hit ? (unsigned)(hit - raw) + 1 : 1;
}

/* Find the kind of a section header: "KIND", or "KIND.NAME" for a named
 * kind. Returns its index in sections[] or -1 when no kind matches; *name
 * gets the NAME (or NULL) and *fault what is wrong with the header. */
static int section_index(const char *section, const char **name, enum section_fault *fault)
{
	*name = NULL;
	*fault = SEC_OK;
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		if (strcmp(section, sections[i].name) == 0) {
			if (sections[i].named)
				*fault = SEC_NO_NAME;
			return (int)i;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		size_t n = strlen(sections[i].name);
		if (!sections[i].named || strncmp(section, sections[i].name, n) != 0 ||
		    section[n] != '.')
			continue;
		*name = section + n + 1;
		if (!site_section_name_ok(*name))
			*fault = SEC_BAD_NAME;
		return (int)i;
	}
	return -1;
}

static const char *closest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, lim = strlen(word) / 3 + 1;

	for (size_t i = 0; i < n; i++) {
		size_t d = str_distance(word, cands[i]);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return bestd <= (lim < 3 ? lim : 3) ? best : NULL;
}

/* The closest known key of a section, for "did you mean". */
static const char *closest_key(const char *section, const char *key)
{
	const char *cands[ARRAY_SIZE(keys)];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0)
			cands[n++] = keys[i].key;
	return closest(key, cands, n);
}

/* The closest section name, for "did you mean". */
static const char *closest_section(const char *section)
{
	const char *cands[ARRAY_SIZE(sections)];

	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		cands[i] = sections[i].name;
	return closest(section, cands, ARRAY_SIZE(sections));
}

static bool ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool site_hostname_ok(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > 253)
		return false;
	for (const char *c = s; *c; c++) {
		if (*c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!ascii_alnum(*c) && *c != '-' && *c != '_')
			return false;
		if (++label > 63 || (*c == '-' && label == 1))
			return false;
	}
	return label > 0 || s[len - 1] == '.';
}

static bool valid_name(const char *s)
{
	struct oq_prefix a;

	return addr_parse(s, &a) || site_hostname_ok(s);
}

bool site_ipoe6(const struct site *s)
{
	return s->line == SITE_LINE_IPVPN && s->ipvpn6 == SITE_IPVPN6_IPOE &&
	       s->wan6_mode == SITE_ADDR6_RA && s->segment == SITE_SEGMENT_SEPARATE &&
	       s->term_if != NULL;
}

bool site_ifname_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const char *c = s; *c; c++)
		if (*c <= ' ' || *c > '~' || strchr("/:\"'\\*", *c) != NULL)
			return false;
	return true;
}

bool site_path_ok(const char *s)
{
	size_t len = strlen(s);

	if (s[0] != '/' || len > 4095 || !str_text_ok(s, NULL) || strpbrk(s, "\"\\") != NULL)
		return false;
	for (const char *c = s; *c; c = c + strcspn(c, "/")) {
		size_t n;
		c++;	/* past the '/' */
		n = strcspn(c, "/");
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
	}
	return true;
}

bool site_id_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= 255 && str_text_ok(s, NULL) && strpbrk(s, "\"\\") == NULL;
}

static bool has_control(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return true;
	return false;
}

/* Parse "N" within [min, max]. */
static bool parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* Parse "host:port" or "[v6]:port". */
static bool parse_hostport(const char *s, struct site_hostport *hp)
{
	const char *colon;
	char *host;
	unsigned port;

	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return false;
		host = xstrndup(s + 1, (size_t)(close - s - 1));
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || strchr(s, ':') != colon)
			return false;
		host = xstrndup(s, (size_t)(colon - s));
	}
	if (!valid_name(host) || !parse_uint(colon + 1, 1, 65535, &port)) {
		free(host);
		return false;
	}
	hp->host = host;
	hp->port = port;
	return true;
}

static bool parse_port(const char *s, struct site_port *p)
{
	if (strncmp(s, "tcp/", 4) != 0 && strncmp(s, "udp/", 4) != 0)
		return false;
	if (!parse_uint(s + 4, 1, 65535, &p->port))
		return false;
	memcpy(p->proto, s, 3);
	p->proto[3] = '\0';
	return true;
}

static bool valid_facility(const char *s)
{
	if (strlen(s) != 10)
		return false;
	for (int i = 0; i < 10; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	int pref = (s[0] - '0') * 10 + (s[1] - '0');
	return pref >= 1 && pref <= 47;
}

static bool valid_customer(const char *s)
{
	size_t n;

	if (strncmp(s, "CAF", 3) != 0 && strncmp(s, "COP", 3) != 0)
		return false;
	n = strlen(s + 3);
	if (n < 8 || n > 10)
		return false;
	for (const char *c = s + 3; *c; c++)
		if (!isdigit((unsigned char)*c))
			return false;
	return true;
}

/* http:// or https://, a host name or address (IPv6 in brackets) with an
 * optional :port, then a path of the characters RFC 3986 allows unquoted. */
static bool valid_url(const char *s)
{
	const char *host, *end, *colon;
	char *h;
	unsigned port;
	bool ok;

	if (str_has_prefix(s, "http://"))
		host = s + 7;
	else if (str_has_prefix(s, "https://"))
		host = s + 8;
	else
		return false;
	end = host + strcspn(host, "/?#");
	if (*host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));
		struct oq_prefix a;
		if (close == NULL)
			return false;
		h = xstrndup(host + 1, (size_t)(close - host - 1));
		ok = addr_parse(h, &a) && a.family == AF_INET6;
		colon = close + 1 < end ? close + 1 : NULL;
		if (colon && *colon != ':')
			ok = false;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		h = xstrndup(host, (size_t)((colon ? colon : end) - host));
		ok = valid_name(h) && strchr(h, ':') == NULL;
	}
	free(h);
	if (ok && colon) {
		char *p = xstrndup(colon + 1, (size_t)(end - colon - 1));
		ok = parse_uint(p, 1, 65535, &port);
		free(p);
	}
	return ok && strspn(end, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "-._~%!$&'()*+,;=:@/?#") == strlen(end);
}

bool site_section_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	for (; *s; s++)
		if (!ascii_alnum(*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static void *field(void *base, size_t off) { return (char *)base + off; }

/* Append one parsed element of a list key. Returns false on a bad element. */
static bool list_add(const struct key_def *k, void *base, const char *item)
{
	size_t *count = field(base, k->count_off);
	struct oq_prefix pfx;
	struct site_hostport hp;
	struct site_port port;

	if (*count >= SITE_MAX_LIST)
		return false;
	switch (k->type) {
	case K_PREFIXES:
	case K_ADDRS:
		if (k->type == K_PREFIXES ? !prefix_parse(item, &pfx) : !addr_parse(item, &pfx))
			return false;
		if (k->type == K_PREFIXES && !prefix_equal(&pfx, &(struct oq_prefix){ 0 })) {
			struct oq_prefix net = prefix_network(&pfx);
			if (!prefix_equal(&net, &pfx))
				return false;
		}
		{
			struct oq_prefix **v = field(base, k->off);
			*v = xrealloc(*v, (*count + 1) * sizeof(**v));
			(*v)[(*count)++] = pfx;
		}
		return true;
	case K_NAMES: {
		char ***v = field(base, k->off);
		if (!valid_name(item))
			return false;
		*v = xrealloc(*v, (*count + 2) * sizeof(**v));
		(*v)[(*count)++] = xstrdup(item);
		(*v)[*count] = NULL;
		return true;
	}
	case K_HOSTPORTS: {
		struct site_hostport **v = field(base, k->off);
		if (!parse_hostport(item, &hp))
			return false;
		*v = xrealloc(*v, (*count + 1) * sizeof(**v));
		(*v)[(*count)++] = hp;
		return true;
	}
	case K_PORTS: {
		struct site_port **v = field(base, k->off);
		if (!parse_port(item, &port))
			return false;
		*v = xrealloc(*v, (*count + 1) * sizeof(**v));
		(*v)[(*count)++] = port;
		return true;
	}
	default:
		return false;
	}
}

/* What a list element should look like, for the message. */
static const char *list_expect(enum key_type t)
{
	switch (t) {
	case K_PREFIXES: return _("ネットワークアドレス/長さ (例 192.0.2.0/24)",
				  "network/length (e.g. 192.0.2.0/24)");
	case K_ADDRS: return _("IP アドレス", "an IP address");
	case K_NAMES: return _("ホスト名か IP アドレス", "a host name or IP address");
	case K_HOSTPORTS: return _("ホスト:ポート", "host:port");
	case K_PORTS: return _("tcp/ポート か udp/ポート", "tcp/PORT or udp/PORT");
	default: return "";
	}
}

static void list_free(const struct key_def *k, void *base)
{
	size_t *count = field(base, k->count_off);
	void **v = field(base, k->off);

	if (k->type == K_NAMES)
		str_list_free(*(char ***)v);
	else if (k->type == K_HOSTPORTS)
		for (size_t i = 0; i < *count; i++)
			free((*(struct site_hostport **)v)[i].host);
	if (k->type != K_NAMES)
		free(*v);
	*v = NULL;
	*count = 0;
}

/* Parse a list value (one line of it) into the key's array. */
static void set_list(struct parser *p, const struct key_def *k, void *base, const char *value,
		     unsigned vcol)
{
	size_t n;
	char **items = str_split_list(value, &n);
	unsigned from = vcol;

	for (size_t i = 0; i < n; i++) {
		unsigned c = col_of(p, items[i], from);
		if (!list_add(k, base, items[i]))
			diag_add(p, p->line, c,
				 _("'%1$s' の値 '%2$s' が正しくありません: %3$s を書いてください",
				   "bad value '%2$s' for '%1$s': expected %3$s"),
				 k->key, items[i], list_expect(k->type));
		from = c + (unsigned)strlen(items[i]);
	}
	str_list_free(items);
}

/* Report a bad scalar value. */
static void bad_value(struct parser *p, const struct key_def *k, const char *value, unsigned col,
		      const char *expected)
{
	diag_add(p, p->line, col, _("'%1$s' の値 '%2$s' が正しくありません: %3$s",
				    "bad value '%2$s' for '%1$s': %3$s"),
		 k->key, value, expected);
}

static void bad_enum(struct parser *p, const struct key_def *k, const char *value, unsigned col)
{
	char list[128] = "";
	const char *cands[8];
	size_t n = 0;

	for (const struct site_choice *w = k->words; w->word; w++) {
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", n ? ", " : "",
			 w->word);
		cands[n++] = w->word;
	}
	const char *near = closest(value, cands, n);
	if (near)
		diag_add(p, p->line, col, _("'%1$s' の値 '%2$s' が正しくありません: %3$s のいずれかです ('%4$s' のことですか?)",
					    "bad value '%2$s' for '%1$s': one of %3$s (did you mean '%4$s'?)"),
			 k->key, value, list, near);
	else
		diag_add(p, p->line, col, _("'%1$s' の値 '%2$s' が正しくありません: %3$s のいずれかです",
					    "bad value '%2$s' for '%1$s': one of %3$s"),
			 k->key, value, list);
}

/* Parse a scalar value into its field. */
static void set_scalar(struct parser *p, const struct key_def *k, void *base, const char *value,
		       unsigned col)
{
	struct site *s = p->site;
	char *cause = NULL;

	switch (k->type) {
	case K_STR:
		if (has_control(value))
			bad_value(p, k, value, col, _("制御文字は使えません", "control characters are not allowed"));
		else if (strlen(value) < k->min || strlen(value) > k->max)
			bad_value(p, k, value, col, _("長さが範囲外です", "length out of range"));
		else
			*(char **)field(base, k->off) = xstrdup(value);
		return;
	case K_NAME:
		if (!valid_name(value))
			bad_value(p, k, value, col, _("ホスト名か IP アドレスを書いてください",
						      "expected a host name or IP address"));
		else
			*(char **)field(base, k->off) = xstrdup(value);
		return;
	case K_ID:
		if (!site_id_ok(value))
			bad_value(p, k, value, col, _("ID は 255 バイトまでで、\" と \\ は使えません",
						      "an identity has at most 255 bytes and no \" or \\"));
		else
			*(char **)field(base, k->off) = xstrdup(value);
		return;
	case K_PATH:
	case K_SECRET:
	case K_DIR:
		if (!site_path_ok(value))
			bad_value(p, k, value, col, _("絶対パスを書いてください (4095 バイトまで、. と .. の要素、\" と \\ は使えません)",
						      "expected an absolute path (at most 4095 bytes, no . or .. component, no \" or \\)"));
		else
			*(char **)field(base, k->off) = xstrdup(value);
		return;
	case K_IFNAME:
		if (!site_ifname_ok(value))
			bad_value(p, k, value, col, _("インターフェース名は 1〜15 文字の ASCII で、空白と / : \" ' \\ * を含まず、. と .. 以外です",
						      "an interface name is 1 to 15 ASCII characters without space, / : \" ' \\ or *, and not . or .."));
		else
			*(char **)field(base, k->off) = xstrdup(value);
		return;
	case K_ENUM:
		for (const struct site_choice *w = k->words; w->word; w++)
			if (strcmp(w->word, value) == 0) {
				*(int *)field(base, k->off) = w->value;
				return;
			}
		bad_enum(p, k, value, col);
		return;
	case K_UINT:
		if (!parse_uint(value, k->min, k->max, field(base, k->off)))
			diag_add(p, p->line, col, _("'%1$s' の値 '%2$s' が正しくありません: %3$u から %4$u までの数です",
						    "bad value '%2$s' for '%1$s': a number from %3$u to %4$u"),
				 k->key, value, k->min, k->max);
		return;
	case K_ADDR:
		if (!addr_parse(value, field(base, k->off)))
			bad_value(p, k, value, col, _("IP アドレスを書いてください (長さなし)",
						      "expected an IP address (no prefix length)"));
		return;
	case K_WANADDR:
		if (strcmp(value, "dhcp") == 0) {
			s->wan_mode = SITE_ADDR_DHCP;
			return;
		}
		/* fall through */
	case K_IFADDR: {
		struct oq_prefix *a = field(base, k->off);
		if (!prefix_parse(value, a) || strchr(value, '/') == NULL ||
		    (k->type == K_WANADDR && a->family != AF_INET)) {
			memset(a, 0, sizeof(*a));
			bad_value(p, k, value, col, k->type == K_WANADDR
				  ? _("dhcp か IPv4 アドレス/長さ (例 198.51.100.2/24) を書いてください",
				      "expected dhcp or an IPv4 address/length (e.g. 198.51.100.2/24)")
				  : _("アドレス/長さ (例 192.168.10.1/24) を書いてください",
				      "expected address/length (e.g. 192.168.10.1/24)"));
		} else if (prefix_is_network_or_broadcast(a)) {
			bad_value(p, k, value, col, _("ネットワークアドレスかブロードキャストアドレスです",
						      "that is the network or broadcast address"));
		}
		return;
	}
	case K_WANADDR6:
		if (strcmp(value, "none") == 0) {
			s->wan6_mode = SITE_ADDR6_NONE;
		} else if (strcmp(value, "ra") == 0) {
			s->wan6_mode = SITE_ADDR6_RA;
		} else if (prefix_parse(value, &s->wan6_addr) && s->wan6_addr.family == AF_INET6 &&
			   strchr(value, '/') != NULL) {
			s->wan6_mode = SITE_ADDR6_STATIC;
		} else {
			memset(&s->wan6_addr, 0, sizeof(s->wan6_addr));
			bad_value(p, k, value, col, _("none、ra、または IPv6 アドレス/長さを書いてください",
						      "expected none, ra or an IPv6 address/length"));
		}
		return;
	case K_HOSTPORT:
		if (!parse_hostport(value, field(base, k->off)))
			bad_value(p, k, value, col, _("ホスト:ポート を書いてください", "expected host:port"));
		return;
	case K_PROPOSALS:
	case K_ESP_PROPOSALS:
		if (!proposals_check(value, k->type == K_PROPOSALS, &cause))
			bad_value(p, k, value, col, cause);
		else {
			*(char **)field(base, k->off) = xstrdup(value);
			*(k->type == K_PROPOSALS ? &p->site->ike_proposals_line
						 : &p->site->esp_proposals_line) = p->line;
		}
		free(cause);
		return;
	case K_FACILITY:
		if (!valid_facility(value))
			bad_value(p, k, value, col, _("医療機関コードは 10 桁の数字で、先頭 2 桁は都道府県番号 (01〜47) です",
						      "the facility code is 10 digits, the first two a prefecture number (01-47)"));
		else
			*(char **)field(base, k->off) = xstrdup(value);
		return;
	case K_CUSTOMER:
		if (!valid_customer(value))
			bad_value(p, k, value, col, _("お客さまID は CAF か COP に続く 8〜10 桁の数字です",
						      "the customer ID is CAF or COP followed by 8 to 10 digits"));
		else
			*(char **)field(base, k->off) = xstrdup(value);
		return;
	case K_ZONE:
		if (!clock_zone_valid(value))
			bad_value(p, k, value, col, _("時間帯データベースの名前 (Asia/Tokyo など) を書いてください",
						      "expected a name of the time zone database, such as Asia/Tokyo"));
		else
			*(char **)field(base, k->off) = xstrdup(value);
		return;
	case K_URL:
		if (!valid_url(value))
			bad_value(p, k, value, col, _("http:// か https:// で始まり、ホスト名 (と :ポート) の後に RFC 3986 の文字だけが続く URL を書いてください",
						      "expected an http:// or https:// URL: a host name (and :port), then only the characters RFC 3986 allows"));
		else
			*(char **)field(base, k->off) = xstrdup(value);
		return;
	default:
		return;
	}
}

static bool is_list(enum key_type t)
{
	return t == K_PREFIXES || t == K_ADDRS || t == K_NAMES || t == K_HOSTPORTS || t == K_PORTS;
}

/* Free what one key holds (before it is set again, and in site_free). */
static void key_free(const struct key_def *k, void *base)
{
	if (is_list(k->type)) {
		list_free(k, base);
		return;
	}
	switch (k->type) {
	case K_HOSTPORT:
		free(((struct site_hostport *)field(base, k->off))->host);
		((struct site_hostport *)field(base, k->off))->host = NULL;
		break;
	case K_STR: case K_NAME: case K_ID: case K_PATH: case K_SECRET: case K_DIR:
	case K_IFNAME: case K_PROPOSALS: case K_ESP_PROPOSALS: case K_FACILITY: case K_CUSTOMER:
	case K_URL: case K_ZONE:
		free(*(char **)field(base, k->off));
		*(char **)field(base, k->off) = NULL;
		break;
	default:
		break;
	}
}

/* The TLS endpoint of section [probe.tls.NAME], created on first use. */
static struct site_tls *tls_get(struct parser *p, const char *name, size_t *index)
{
	struct site *s = p->site;

	for (size_t i = 0; i < s->n_tls; i++)
		if (strcmp(s->tls[i].name, name) == 0) {
			*index = i;
			return &s->tls[i];
		}
	if (s->n_tls >= SITE_MAX_TLS)
		return NULL;
	s->tls = xrealloc(s->tls, (s->n_tls + 1) * sizeof(*s->tls));
	p->tls_loc = xrealloc(p->tls_loc, (s->n_tls + 1) * ARRAY_SIZE(keys) * sizeof(*p->tls_loc));
	memset(&p->tls_loc[s->n_tls * ARRAY_SIZE(keys)], 0, ARRAY_SIZE(keys) * sizeof(*p->tls_loc));
	memset(&s->tls[s->n_tls], 0, sizeof(s->tls[0]));
	s->tls[s->n_tls].name = xstrdup(name);
	*index = s->n_tls;
	return &s->tls[s->n_tls++];
}

/* Find the first byte of s[0..len) that is not text: invalid UTF-8 (returns
 * 1) or a control character (returns 2, code point in *cp); tab is allowed
 * when tab is true. Returns 0 when there is none. */
static int text_fault(const char *s, size_t len, bool tab, size_t *at, uint32_t *cp)
{
	size_t i = 0, n;

	while (i < len && s[i]) {
		n = utf8_char(s + i, cp);
		if (n == 0) {
			*at = i;
			return 1;
		}
		if ((*cp < 0x20 || (*cp >= 0x7f && *cp < 0xa0)) && !(tab && *cp == '\t')) {
			*at = i;
			return 2;
		}
		i += n;
	}
	return 0;
}

/* Report text that is not valid UTF-8 or holds a control character, at
 * col + its offset; key names the key whose value it is (or NULL). Returns
 * false when it did. */
static bool check_text(struct parser *p, unsigned line, unsigned col, const char *key,
		       const char *s, size_t len, bool tab)
{
	size_t at = 0;
	uint32_t cp = 0;
	int f = text_fault(s, len, tab, &at, &cp);
	unsigned c = col + (unsigned)at;

	if (f == 0)
		return true;
	if (f == 1 && key)
		diag_add(p, line, c, _("'%1$s' の値に UTF-8 でないバイト 0x%2$02X があります",
				       "the value of '%1$s' holds the byte 0x%2$02X, which is not UTF-8"),
			 key, (unsigned char)s[at]);
	else if (f == 1)
		diag_add(p, line, c, _("UTF-8 でないバイト 0x%02X があります", "the byte 0x%02X is not UTF-8"),
			 (unsigned char)s[at]);
	else if (key)
		diag_add(p, line, c, _("'%1$s' の値に制御文字 U+%2$04X があります",
				       "the value of '%1$s' holds the control character U+%2$04X"),
			 key, (unsigned)cp);
	else
		diag_add(p, line, c, _("制御文字 U+%04X は使えません", "the control character U+%04X is not allowed"),
			 (unsigned)cp);
	return false;
}

/* Mark a line so that the handler takes nothing from it. */
static void refuse_line(struct parser *p, unsigned line)
{
	if (line >= p->n_bad_line) {
		size_t want = line + 64;
		p->bad_line = xrealloc(p->bad_line, want * sizeof(*p->bad_line));
		memset(p->bad_line + p->n_bad_line, 0, (want - p->n_bad_line) * sizeof(*p->bad_line));
		p->n_bad_line = want;
	}
	p->bad_line[line] = true;
}

/* The kind of a section header that is right as written, or -1 (the
 * others were reported by check_syntax). */
static int good_section(const char *section, const char **name)
{
	enum section_fault fault;
	int si = section_index(section, name, &fault);

	return fault == SEC_OK ? si : -1;
}

/* Is line (1-based) one that check_syntax refused as text? */
static bool line_refused(const struct parser *p, unsigned line)
{
	return line < p->n_bad_line && p->bad_line[line];
}

/* inih handler: one key = value. */
/* Keep a key = value as written (a continuation joins the one before). */
static void entry_record(struct parser *p, const char *section, const char *name, const char *value)
{
	struct site_entries *e = p->entries;

	if (e == NULL)
		return;
	if (p->continuation && e->n > 0 && strcmp(e->v[e->n - 1].key, name) == 0 &&
	    strcmp(e->v[e->n - 1].section, section) == 0) {
		struct site_entry *last = &e->v[e->n - 1];
		char *joined = xasprintf("%s %s", last->value, value);
		free(last->value);
		last->value = joined;
		return;
	}
	e->v = xrealloc(e->v, (e->n + 1) * sizeof(*e->v));
	e->v[e->n++] = (struct site_entry){ xstrdup(section), xstrdup(name), xstrdup(value), p->line };
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	const char *sec_name = NULL;
	int si = -1;
	unsigned kcol, vcol;
	const struct key_def *k = NULL;
	size_t ki = 0;
	void *base = p->site;
	struct key_loc *loc;

	if (*name != '\0' && !line_refused(p, p->line))
		entry_record(p, section, name, value);
	if ((*section != '\0' && (si = good_section(section, &sec_name)) < 0) || *name == '\0' ||
	    line_refused(p, p->line))
		return 1;	/* reported by check_syntax */
	kcol = p->continuation ? 1 : col_of(p, name, 1);
	vcol = col_of(p, value, p->continuation ? 1 : kcol + (unsigned)strlen(name));
	if (*section == '\0') {
		diag_add(p, p->line, kcol, _("キー '%s' がどのセクションにも属していません",
					     "key '%s' is outside any section"), name);
		return 1;
	}
	for (ki = 0; ki < ARRAY_SIZE(keys); ki++)
		if (strcmp(keys[ki].section, sections[si].name) == 0 && strcmp(keys[ki].key, name) == 0) {
			k = &keys[ki];
			break;
		}
	if (k == NULL) {
		const char *near = closest_key(sections[si].name, name);
		if (near)
			diag_add(p, p->line, kcol, _("[%2$s] に不明なキー '%1$s' があります ('%3$s' のことですか?)",
						     "unknown key '%1$s' in [%2$s] (did you mean '%3$s'?)"),
				 name, section, near);
		else
			diag_add(p, p->line, kcol, _("[%2$s] に不明なキー '%1$s' があります",
						     "unknown key '%1$s' in [%2$s]"), name, section);
		return 1;
	}
	loc = &p->loc[ki];
	if (sections[si].named) {
		/* the keys of a named kind are offsets in its own struct: never
		 * apply them to struct site */
		size_t ti;
		struct site_tls *t = tls_get(p, sec_name, &ti);
		if (t == NULL) {
			diag_add(p, p->line, 1, _("TLS の宛先が多すぎます (上限 %d)",
						  "too many TLS endpoints (limit %d)"), SITE_MAX_TLS);
			return 1;
		}
		base = t;
		loc = &p->tls_loc[ti * ARRAY_SIZE(keys) + ki];
	}
	if (!check_text(p, p->line, vcol, name, value, strlen(value), false)) {
		if (loc->line == 0) {
			loc->line = p->line;
			loc->col = kcol;
			loc->vcol = vcol;
		}
		return 1;
	}
	if (p->continuation && loc->line != 0 && is_list(k->type)) {
		set_list(p, k, base, value, vcol);
		return 1;
	}
	if (loc->line != 0) {
		diag_add(p, p->line, kcol, _("'%s' が [%s] で二度設定されています (最初は %u 行目)",
					     "'%s' is set twice in [%s] (first at line %u)"),
			 name, section, loc->line);
		return 1;
	}
	loc->line = p->line;
	loc->col = kcol;
	loc->vcol = vcol;
	if (*value == '\0') {
		diag_add(p, p->line, vcol, _("'%s' の値が空です", "'%s' has an empty value"), name);
		return 1;
	}
	if (is_list(k->type))
		set_list(p, k, base, value, vcol);
	else
		set_scalar(p, k, base, value, vcol);
	return 1;
}

/* Report an unknown section name, a named kind without its NAME, or a bad
 * NAME. */
static void check_section(struct parser *p, unsigned line, unsigned col, const char *section)
{
	const char *sec_name, *near;
	enum section_fault fault;
	int si = section_index(section, &sec_name, &fault);

	if (si < 0) {
		near = closest_section(section);
		if (near)
			diag_add(p, line, col, _("不明なセクション [%s] です ([%s] のことですか?)",
						 "unknown section [%s] (did you mean [%s]?)"), section, near);
		else
			diag_add(p, line, col, _("不明なセクション [%s] です", "unknown section [%s]"),
				 section);
	} else if (fault == SEC_NO_NAME) {
		diag_add(p, line, col + (unsigned)strlen(section),
			 _("[%1$s] には NAME が要ります: [%1$s.NAME] と書いてください (NAME は英数字と - _ で 32 文字まで)",
			   "[%1$s] needs a NAME: write [%1$s.NAME] (NAME takes letters, digits, - and _, up to 32)"),
			 section);
	} else if (fault == SEC_BAD_NAME) {
		diag_add(p, line, col + (unsigned)(sec_name - section),
			 _("[%2$s.NAME] の NAME '%1$s' は英数字と - _ で 1〜32 文字です",
			   "the NAME '%1$s' of [%2$s.NAME] takes 1 to 32 letters, digits, - and _"),
			 sec_name, sections[si].name);
	}
}

/* Check the shape of every line inih will see, so that syntax errors are
 * reported with our wording and all of them, not only the first. */
static void check_syntax(struct parser *p)
{
	const char *s = p->text;
	unsigned line = 0;
	bool after_key = false;

	while (*s) {
		size_t len = strcspn(s, "\n");
		char *l = xstrndup(s, len), *t = str_trim(l);
		bool indented = l[0] == ' ' || l[0] == '\t';
		line++;
		if (line == 1 && str_has_prefix(t, "\xef\xbb\xbf"))
			t += 3;
		if (*t == '\0' || *t == '#' || *t == ';' || len > SITE_MAX_LINE) {
			/* blank, comment, or reported by the reader */
		} else if (indented && after_key) {
			/* continuation of the value above: the handler checks it */
		} else if (!check_text(p, line, 1, NULL, l,
				       *t == '[' ? len : strcspn(l, "=:"), true)) {
			/* a section header or key that is not text: the value
			 * (after '=' or ':') is the handler's to check */
			refuse_line(p, line);
			after_key = *t != '[';
		} else if (*t == '[') {
			after_key = false;
			char *close = strchr(t, ']');
			if (close == NULL) {
				diag_add(p, line, (unsigned)(t - l) + 1,
					 _("セクション見出しに ']' がありません", "section header has no ']'"));
			} else {
				*close = '\0';
				check_section(p, line, (unsigned)(t - l) + 2, t + 1);
			}
		} else if (strchr(t, '=') == NULL && strchr(t, ':') == NULL) {
			diag_add(p, line, (unsigned)(t - l) + 1,
				 _("'キー = 値' の形ではありません: '%s'", "not a 'key = value' line: '%s'"), t);
		} else if (*t == '=') {
			diag_add(p, line, (unsigned)(t - l) + 1, _("キーがありません", "key is missing"));
		} else {
			after_key = true;
		}
		free(l);
		s += len + (s[len] == '\n');
	}
}

/* Apply defaults of keys not set in the file. */
static void apply_defaults(struct parser *p, const struct key_def *k, void *base,
			   const struct key_loc *loc)
{
	struct parser quiet = *p;

	if (loc->line != 0 || k->def == NULL)
		return;
	quiet.diags = NULL;
	if (is_list(k->type))
		set_list(&quiet, k, base, k->def, 1);
	else
		set_scalar(&quiet, k, base, k->def, 1);
}

/* The line of a section header, for "missing key" diagnostics. */
static unsigned section_line(const struct parser *p, const char *section)
{
	const char *s = p->text;
	unsigned line = 0;
	size_t sl = strlen(section);

	while (*s) {
		size_t len = strcspn(s, "\n");
		const char *t = s;
		line++;
		while (t < s + len && (*t == ' ' || *t == '\t'))
			t++;
		if (*t == '[' && strncmp(t + 1, section, sl) == 0 && t[1 + sl] == ']')
			return line;
		s += len + (s[len] == '\n');
	}
	return 0;
}

static bool needed(const struct key_def *k, const struct site *s)
{
	return k->need == NEED_ALWAYS || (k->need == NEED_IPSEC && s->line == SITE_LINE_IPSEC) ||
	       (k->need == NEED_IPVPN && s->line == SITE_LINE_IPVPN);
}

static void missing(struct parser *p, const char *section, const char *key)
{
	unsigned line = section_line(p, section);

	diag_add(p, line, line ? 1 : 0, _("[%2$s] に '%1$s' がありません", "'%1$s' is missing in [%2$s]"),
		 key, section);
}

/* Index of a key in keys[]. */
static size_t key_index(const char *section, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
			return i;
	abort();
}

/* Report at the value of a key (or the section when it was defaulted). */
static void at_key(struct parser *p, const char *section, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void at_key(struct parser *p, const char *section, const char *key, const char *fmt, ...)
{
	const struct key_loc *loc = &p->loc[key_index(section, key)];
	unsigned line = loc->line ? loc->line : section_line(p, section);
	unsigned col = loc->line ? loc->vcol : 1;
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	diag_add(p, line, line ? col : 0, "%s", msg ? msg : "?");
	free(msg);
}

static bool is_set(const struct parser *p, const char *section, const char *key)
{
	return p->loc[key_index(section, key)].line != 0;
}

/* Mark the last problem recorded as a file that could not be read. */
static void diag_errno(struct parser *p, int err)
{
	if (p->diags && p->diags->n > 0)
		p->diags->v[p->diags->n - 1].err = err < 0 ? -err : err;
}

/* A file named by the config must exist (and a secret one be 0600). */
static void check_file(struct parser *p, const char *key, const char *path,
		       bool secret, const struct key_loc *loc)
{
	char *cause = NULL;

	if (path == NULL)
		return;
	if (secret) {
		int r = file_check_secret(path, &cause);
		if (r < 0) {
			diag_add(p, loc->line, loc->vcol, "%s", cause);
			if (r != -EINVAL && r != -EPERM)	/* not a file, or its mode */
				diag_errno(p, r);
		}
	} else if (access(path, R_OK) < 0) {
		int e = errno;
		diag_add(p, loc->line, loc->vcol, _("'%s' のファイル %s を読めません: %s",
						    "'%s': cannot read %s: %s"),
			 key, path, i18n_strerror(e));
		diag_errno(p, e);
	}
	free(cause);
}

static void check_files(struct parser *p)
{
	struct site *s = p->site;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct key_def *k = &keys[i];
		if (k->type != K_PATH && k->type != K_SECRET)
			continue;
		if (strcmp(k->section, "ipsec") == 0 && s->line != SITE_LINE_IPSEC)
			continue;
		if (strcmp(k->key, "vici_socket") == 0)
			continue;	/* charon makes it when it starts */
		if (strcmp(k->key, "ssh_keys") == 0)
			continue;	/* read line by line: check_ssh_keys() */
		if (key_named(k)) {
			for (size_t t = 0; t < s->n_tls; t++)
				check_file(p, k->key,
					   *(char **)field(&s->tls[t], k->off), k->type == K_SECRET,
					   &p->tls_loc[t * ARRAY_SIZE(keys) + i]);
			continue;
		}
		check_file(p, k->key, *(char **)field(s, k->off),
			   k->type == K_SECRET, &p->loc[i]);
	}
}

static const char *pstr(const struct oq_prefix *a, char *buf)
{
	return prefix_str(a, buf, true);
}

/* The network of an interface address, as "192.0.2.0/24". */
static const char *subnet_str(const struct oq_prefix *a, char *buf)
{
	struct oq_prefix n = prefix_network(a);

	return prefix_str(&n, buf, false);
}

bool site_syslog_parse(const char *url, bool *tcp, struct site_hostport *hp)
{
	if (strncmp(url, "udp://", 6) == 0)
		*tcp = false;
	else if (strncmp(url, "tcp://", 6) == 0)
		*tcp = true;
	else
		return false;
	return parse_hostport(url + 6, hp);
}

size_t site_metrics_allow(const struct site *s, int family, struct oq_prefix *out, size_t max)
{
	const struct oq_prefix *v = s->n_metrics_allow ? s->metrics_allow : s->management;
	size_t nv = s->n_metrics_allow ? s->n_metrics_allow : s->n_management, n = 0;

	for (size_t i = 0; i < nv && n < max; i++)
		if (v[i].family == family)
			out[n++] = v[i];
	if (n == 0 && max > 0 && s->lan_addr.family == family)
		out[n++] = prefix_network(&s->lan_addr);
	return n;
}

/* [monitor]: the metrics listen only on the management LAN address and
 * are scraped only from named sources of its family (never any address);
 * the syslog target is a udp:// or tcp:// host:port. */
static void validate_monitor(struct parser *p)
{
	struct site *s = p->site;
	struct site_hostport hp = { 0 };
	struct oq_prefix a, lan = s->lan_addr;
	char b1[64];
	bool tcp;

	if (s->metrics_listen.host) {
		lan.len = lan.family == AF_INET ? 32 : 128;
		if (!addr_parse(s->metrics_listen.host, &a) || !lan.family || !prefix_equal(&a, &lan))
			at_key(p, "monitor", "metrics_listen",
			       _("メトリクスは管理用 LAN のアドレス %s でだけ待ち受けられます ('%s' は違います)",
				 "metrics listen only on the management LAN address %s (not '%s')"),
			       lan.family ? pstr(&lan, b1) : "?", s->metrics_listen.host);
		for (size_t i = 0; lan.family && i < s->n_metrics_allow; i++) {
			const struct oq_prefix *m = &s->metrics_allow[i];
			if (m->family != lan.family)
				at_key(p, "monitor", "metrics_allow",
				       _("%s は待ち受けのアドレス %s と同じ IP の版ではないので、取得できません",
					 "%s can never scrape: it is not of the IP version of the listen address %s"),
				       pstr(m, b1), s->metrics_listen.host);
			else if (m->len == 0)
				at_key(p, "monitor", "metrics_allow",
				       _("%s はすべてのアドレスです。取得してよい送信元を書いてください",
					 "%s is every address: name the sources that may scrape"), pstr(m, b1));
		}
	}
	if (s->syslog && !site_syslog_parse(s->syslog, &tcp, &hp))
		at_key(p, "monitor", "syslog",
		       _("syslog には udp://ホスト:ポート か tcp://ホスト:ポート を書いてください ('%s')",
			 "syslog takes udp://host:port or tcp://host:port (not '%s')"), s->syslog);
	free(hp.host);
}

/* [lan] ssh_keys, line by line: every line that is not blank or a comment
 * is a public key the management login takes; at least one. */
static void check_ssh_keys(struct parser *p)
{
	const struct key_loc *loc = &p->loc[key_index("lan", "ssh_keys")];
	const char *path = p->site->ssh_keys;
	char *data = NULL, *line, *next, *cause = NULL;
	unsigned n = 0, found = 0, errors = p->errors;
	size_t len;
	int r;

	if ((r = file_read(path, SSHKEY_FILE_MAX, &data, &len, &cause)) < 0) {
		diag_add(p, loc->line, loc->vcol, _("'%s': %s", "'%s': %s"), "ssh_keys", cause);
		if (r != -EFBIG)
			diag_errno(p, r);
		free(cause);
		return;
	}
	if (strlen(data) != len) {
		diag_add_in(p, path, 0, 0, "%s", _("鍵のファイルに NUL バイトがあります",
						   "the key file holds a NUL byte"));
		free(data);
		return;
	}
	for (line = data; line && *line; line = next) {
		struct sshkey_info k;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		n++;
		r = sshkey_parse_line(line, &k, &cause);
		if (r == 0) {
			found++;
		} else if (r < 0) {
			const char *at = line + strspn(line, " \t");
			char *shown = xstrndup(at, 40);
			diag_add_in(p, path, n, 1, _("'%s' の鍵 '%s%s': %s", "'%s' key '%s%s': %s"),
				    "ssh_keys", shown, strlen(at) > 40 ? "…" : "", cause);
			free(shown);
			free(cause);
			cause = NULL;
			if (r == -EPERM)
				break;	/* the rest of a private key is no use */
		}
	}
	if (found == 0 && p->errors == errors)
		at_key(p, "lan", "ssh_keys", _("%s に公開鍵がありません", "%s holds no public key"), path);
	free(data);
}

/* [lan] ssh = on: from named management sources only, with keys. */
static void validate_ssh(struct parser *p, bool files)
{
	struct site *s = p->site;
	char b1[64];

	if (!s->ssh)
		return;
	if (s->n_management == 0)
		at_key(p, "lan", "ssh", "%s",
		       _("ssh = on には [lan] management (管理を許す送信元) が要ります",
			 "ssh = on needs [lan] management (the sources that may manage)"));
	for (size_t i = 0; i < s->n_management; i++)
		if (s->management[i].len == 0)
			at_key(p, "lan", "management",
			       _("%s はすべてのアドレスです。管理を許す送信元を書いてください",
				 "%s is every address: name the sources that may manage"),
			       pstr(&s->management[i], b1));
	if (!is_set(p, "lan", "ssh_keys"))
		missing(p, "lan", "ssh_keys");
	else if (files)
		check_ssh_keys(p);
}

/* IPv6 IPoE takes the line's prefix by RA and hands it to the terminal
 * segment: without either, ipv6 = ipoe would set up nothing. */
static void validate_ipoe(struct parser *p)
{
	const struct site *s = p->site;
	char b1[64];

	if (s->line != SITE_LINE_IPVPN || s->ipvpn6 != SITE_IPVPN6_IPOE)
		return;
	if (s->wan6_mode != SITE_ADDR6_RA)
		at_key(p, "ipvpn", "ipv6",
		       _("ipv6 = ipoe には [uplink] address6 = ra が要ります ('%s' ではなく)。IPoE では回線の /64 がルーター広告で届きます",
			 "ipv6 = ipoe needs [uplink] address6 = ra (not '%s'): on IPoE the line's /64 comes by router advertisements"),
		       s->wan6_mode == SITE_ADDR6_NONE ? "none" : pstr(&s->wan6_addr, b1));
	if (s->segment != SITE_SEGMENT_SEPARATE)
		at_key(p, "ipvpn", "ipv6",
		       _("ipv6 = ipoe には [terminal] segment = separate が要ります。回線の IPv6 プレフィックスは資格確認端末の専用セグメントに配ります",
			 "ipv6 = ipoe needs [terminal] segment = separate: the line's IPv6 prefix goes to the terminal's own segment"));
}

/* Checks that span keys: required keys, subnets, overlaps, auth files. */
static void site_validate(struct parser *p, bool files)
{
	struct site *s = p->site;
	char b1[64], b2[64];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!key_named(&keys[i]) && needed(&keys[i], s) && p->loc[i].line == 0)
			missing(p, keys[i].section, keys[i].key);
	for (size_t t = 0; t < s->n_tls; t++)
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			if (key_named(&keys[i]) && keys[i].need == NEED_ALWAYS &&
			    p->tls_loc[t * ARRAY_SIZE(keys) + i].line == 0) {
				char sec[64];
				snprintf(sec, sizeof(sec), "probe.tls.%s", s->tls[t].name);
				missing(p, sec, keys[i].key);
			}

	/* WAN */
	if (s->wan_mode == SITE_ADDR_STATIC && s->wan_addr.family && s->wan_gateway.family &&
	    !prefix_contains(&s->wan_addr, &s->wan_gateway))
		at_key(p, "uplink", "gateway", _("ゲートウェイ %s が WAN のサブネット %s の外にあります",
						 "gateway %s is outside the WAN subnet %s"),
		       pstr(&s->wan_gateway, b1), subnet_str(&s->wan_addr, b2));
	if (s->line == SITE_LINE_IPSEC && s->wan_mode == SITE_ADDR_STATIC && !is_set(p, "uplink", "gateway") &&
	    is_set(p, "uplink", "address"))
		missing(p, "uplink", "gateway");
	if (s->wan6_mode == SITE_ADDR6_STATIC && s->wan6_gateway.family == 0)
		missing(p, "uplink", "gateway6");
	if (s->wan6_gateway.family == AF_INET)
		at_key(p, "uplink", "gateway6", _("gateway6 には IPv6 アドレスを書いてください",
						  "gateway6 takes an IPv6 address"));
	if (s->wan_gateway.family == AF_INET6)
		at_key(p, "uplink", "gateway", _("gateway には IPv4 アドレスを書いてください (IPv6 は gateway6)",
						 "gateway takes an IPv4 address (IPv6 goes in gateway6)"));

	/* IPsec */
	if (s->line == SITE_LINE_IPSEC) {
		if (s->auth == SITE_AUTH_PUBKEY) {
			if (!is_set(p, "ipsec", "certificate"))
				missing(p, "ipsec", "certificate");
			if (!is_set(p, "ipsec", "private_key"))
				missing(p, "ipsec", "private_key");
			if (!is_set(p, "ipsec", "ca"))
				missing(p, "ipsec", "ca");
			if (is_set(p, "ipsec", "psk_file"))
				at_key(p, "ipsec", "psk_file", _("auth = pubkey では psk_file は使いません",
								 "psk_file is not used with auth = pubkey"));
		} else {
			static const char *const pubkey_only[] = { "certificate", "private_key", "ca" };
			for (size_t i = 0; i < ARRAY_SIZE(pubkey_only); i++)
				if (is_set(p, "ipsec", pubkey_only[i]))
					at_key(p, "ipsec", pubkey_only[i],
					       _("auth = psk では '%s' は使いません",
						 "'%s' is not used with auth = psk"), pubkey_only[i]);
			if (!is_set(p, "ipsec", "psk_file"))
				missing(p, "ipsec", "psk_file");
			if (!is_set(p, "ipsec", "local_id"))
				missing(p, "ipsec", "local_id");
			if (!is_set(p, "ipsec", "remote_id"))
				missing(p, "ipsec", "remote_id");
		}
		if (s->wan_mtu && s->tunnel_mtu > s->wan_mtu)
			at_key(p, "ipsec", "tunnel_mtu", _("トンネルの MTU %u が回線の MTU %u より大きいです",
							   "tunnel MTU %u is larger than the line MTU %u"),
			       s->tunnel_mtu, s->wan_mtu);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			if (strcmp(keys[i].section, "ipsec") == 0 && p->loc[i].line != 0) {
				at_key(p, "ipsec", keys[i].key, _("[ipsec] は type = ipsec のときだけ使います",
								  "[ipsec] is only used with type = ipsec"));
				break;
			}
		if (s->ce_router.family && s->wan_mode == SITE_ADDR_STATIC && s->wan_addr.family &&
		    !prefix_contains(&s->wan_addr, &s->ce_router))
			at_key(p, "ipvpn", "ce_router", _("CE ルーター %s が WAN のサブネットの外にあります",
							  "CE router %s is outside the WAN subnet"),
			       pstr(&s->ce_router, b1));
	}
	if (s->line == SITE_LINE_IPSEC) {
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			if (strcmp(keys[i].section, "ipvpn") == 0 && p->loc[i].line != 0) {
				at_key(p, "ipvpn", keys[i].key, _("[ipvpn] は type = ipvpn のときだけ使います",
								  "[ipvpn] is only used with type = ipvpn"));
				break;
			}
	}

	/* LAN and terminal */
	if (s->segment == SITE_SEGMENT_SEPARATE) {
		if (!is_set(p, "terminal", "interface"))
			missing(p, "terminal", "interface");
		if (!is_set(p, "terminal", "address"))
			missing(p, "terminal", "address");
		if (s->term_if && s->lan_if && strcmp(s->term_if, s->lan_if) == 0)
			at_key(p, "terminal", "interface", _("端末用セグメントのインターフェースが LAN と同じです",
							     "the terminal segment's interface is the LAN's"));
		if (s->term_addr.family && s->terminal.family && !prefix_contains(&s->term_addr, &s->terminal))
			at_key(p, "terminal", "host", _("資格確認端末 %s が端末用セグメント %s の外にあります",
							"the terminal %s is outside its segment %s"),
			       pstr(&s->terminal, b1), subnet_str(&s->term_addr, b2));
		if (s->term_addr.family && s->lan_addr.family && prefix_overlaps(&s->term_addr, &s->lan_addr))
			at_key(p, "terminal", "address", _("端末用セグメントが LAN と重なっています",
							   "the terminal segment overlaps the LAN"));
	} else {
		if (is_set(p, "terminal", "interface") || is_set(p, "terminal", "address"))
			at_key(p, "terminal", is_set(p, "terminal", "interface") ? "interface" : "address",
			       _("segment = lan では interface と address は使いません (LAN のものを使います)",
				 "interface and address are not used with segment = lan (the LAN's are)"));
		if (s->lan_addr.family && s->terminal.family && !prefix_contains(&s->lan_addr, &s->terminal))
			at_key(p, "terminal", "host", _("資格確認端末 %s が LAN %s の外にあります",
							"the terminal %s is outside the LAN %s"),
			       pstr(&s->terminal, b1), subnet_str(&s->lan_addr, b2));
	}
	{
		struct oq_prefix own = net_terminal_source(s);
		if (own.family && s->terminal.family && prefix_equal(&own, &s->terminal))
			at_key(p, "terminal", "host", _("資格確認端末のアドレスがこの機器自身のアドレスです",
							"the terminal's address is this appliance's own"));
	}
	if (s->wan_addr.family && s->lan_addr.family && prefix_overlaps(&s->wan_addr, &s->lan_addr))
		at_key(p, "lan", "address", _("LAN が WAN のサブネットと重なっています",
					      "the LAN overlaps the WAN subnet"));

	validate_ipoe(p);
	validate_monitor(p);
	validate_ssh(p, files);

	/* Central prefixes */
	for (size_t i = 0; i < s->n_central; i++) {
		const struct oq_prefix *c = &s->central[i];
		if (c->len == 0) {
			at_key(p, "central", "prefixes", _("センター側に既定経路 %s は書けません (インターネットの通信がトンネルに入ります)",
							   "the central prefixes cannot hold the default route %s (internet traffic would enter the tunnel)"),
			       pstr(c, b1));
			continue;
		}
		if (s->lan_addr.family && prefix_overlaps(c, &s->lan_addr))
			at_key(p, "central", "prefixes", _("センター側のプレフィックス %s が LAN と重なっています",
							   "central prefix %s overlaps the LAN"), pstr(c, b1));
		if (s->segment == SITE_SEGMENT_SEPARATE && s->term_addr.family &&
		    prefix_overlaps(c, &s->term_addr))
			at_key(p, "central", "prefixes", _("センター側のプレフィックス %s が端末用セグメントと重なっています",
							   "central prefix %s overlaps the terminal segment"),
			       pstr(c, b1));
		if (s->wan_addr.family && prefix_overlaps(c, &s->wan_addr))
			at_key(p, "central", "prefixes", _("センター側のプレフィックス %s が WAN と重なっています",
							   "central prefix %s overlaps the WAN"), pstr(c, b1));
		for (size_t j = 0; j < i; j++)
			if (prefix_overlaps(c, &s->central[j]))
				at_key(p, "central", "prefixes", _("センター側のプレフィックス %s と %s が重なっています",
								   "central prefixes %s and %s overlap"),
				       pstr(&s->central[j], b1), pstr(c, b2));
	}
	for (size_t i = 0; i < s->n_dns; i++) {
		bool inside = false;
		for (size_t j = 0; j < s->n_central; j++)
			inside |= prefix_contains(&s->central[j], &s->dns[i]);
		if (!inside && s->n_central)
			at_key(p, "central", "dns", _("DNS サーバー %s がセンター側のプレフィックスの外にあります",
						      "DNS server %s is outside the central prefixes"),
			       pstr(&s->dns[i], b1));
	}
	if (s->line == SITE_LINE_IPVPN && s->lineauth_url == NULL && s->customer_id != NULL)
		missing(p, "probe", "lineauth_url");

	if (files)
		check_files(p);
}

void site_free(struct site *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (key_named(&keys[i])) {
			for (size_t t = 0; t < s->n_tls; t++)
				key_free(&keys[i], &s->tls[t]);
			continue;
		}
		key_free(&keys[i], s);
	}
	for (size_t t = 0; t < s->n_tls; t++)
		free(s->tls[t].name);
	free(s->tls);
	free(s->path);
	free(s);
}

/* Parse and validate text; entries, when not NULL, gets every key = value
 * as written whatever becomes of the rest. */
static struct site *load(const char *name, const char *text, bool files,
			 struct site_entries *entries, struct site_diags *diags)
{
	struct parser p = { .name = name, .text = text, .pos = text, .diags = diags,
			    .entries = entries };
	struct site *s = xcalloc(1, sizeof(*s));
	p.site = s;
	s->path = xstrdup(name);
	check_syntax(&p);
	/* inih's own error count is not used: check_syntax reported them all */
	ini_parse_stream(reader, &p, handler, &p);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (key_named(&keys[i])) {
			for (size_t t = 0; t < s->n_tls; t++)
				apply_defaults(&p, &keys[i], &s->tls[t],
					       &p.tls_loc[t * ARRAY_SIZE(keys) + i]);
			continue;
		}
		apply_defaults(&p, &keys[i], s, &p.loc[i]);
	}
	site_validate(&p, files);
	free(p.tls_loc);
	free(p.bad_line);
	if (diags)
		diags_sort(diags);
	if (p.errors > 0) {
		site_free(s);
		return NULL;
	}
	return s;
}

struct site *site_load_string(const char *name, const char *text, bool files,
			      struct site_diags *diags)
{
	return load(name, text, files, NULL, diags);
}

struct site *site_load_entries(const char *name, const char *text, bool files,
			       struct site_entries *entries, struct site_diags *diags)
{
	return load(name, text, files, entries, diags);
}

void site_entries_add(struct site_entries *e, const char *section, const char *key,
		      const char *value)
{
	e->v = xrealloc(e->v, (e->n + 1) * sizeof(*e->v));
	e->v[e->n++] = (struct site_entry){ xstrdup(section), xstrdup(key), xstrdup(value), 0 };
}

void site_entries_free(struct site_entries *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].section);
		free(e->v[i].key);
		free(e->v[i].value);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

struct site *site_load(const char *path, bool files, struct site_diags *diags)
{
	char *text = NULL, *cause = NULL;
	size_t len;
	struct site *s;

	int r = file_read(path, SITE_MAX_SIZE, &text, &len, &cause);

	if (r < 0) {
		struct parser p = { .name = path, .diags = diags };
		diag_add(&p, 0, 0, "%s", cause);
		diag_errno(&p, r);
		free(cause);
		return NULL;
	}
	if (strlen(text) != len) {
		struct parser p = { .name = path, .diags = diags };
		diag_add(&p, 0, 0, _("ファイルに NUL バイトがあります", "the file contains a NUL byte"));
		free(text);
		return NULL;
	}
	s = site_load_string(path, text, files, diags);
	free(text);
	return s;
}

size_t site_key_count(void)
{
	return ARRAY_SIZE(keys);
}

void site_key_at(size_t i, const char **section, const char **key)
{
	*section = keys[i].section;
	*key = keys[i].key;
}

int site_key_find(const char *section, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
			return (int)i;
	return -1;
}

char *site_key_hint(const struct site_key *k, enum oq_lang l)
{
	const char *h = bitext_get(k->hint, l);

	if (!k->number || k->max == 0)
		return xstrdup(h);
	if (*h)
		return xasprintf(l == OQ_LANG_JA ? "%s、%u〜%u" : "%s, %u to %u", h, k->min, k->max);
	return xasprintf(l == OQ_LANG_JA ? "%u〜%u" : "%u to %u", k->min, k->max);
}

void site_key_get(size_t i, struct site_key *out)
{
	const struct key_def *k = &keys[i];

	*out = (struct site_key){
		.section = k->section, .key = k->key, .label = k->label, .hint = k->hint,
		.choices = k->words, .def = k->def, .example = k->example,
		.min = k->min, .max = k->max, .number = k->type == K_UINT, .list = is_list(k->type),
		.secret = k->type == K_SECRET, .required = k->need != NEED_NO,
		.when = k->when, .page = k->page,
	};
}

struct bitext site_key_label(const char *section, const char *key)
{
	int i = site_key_find(section, key);

	return i < 0 ? BT(NULL, NULL) : keys[i].label;
}

struct bitext site_choice_label(const char *section, const char *key, const char *word)
{
	int i = site_key_find(section, key);

	if (i >= 0 && keys[i].words)
		for (const struct site_choice *w = keys[i].words; w->word; w++)
			if (strcmp(w->word, word) == 0)
				return w->label;
	return BT(NULL, NULL);
}

struct bitext site_page_title(enum site_page p)
{
	return p > SITE_PAGE_NONE && p < SITE_PAGE_COUNT ? pages[p].title : BT(NULL, NULL);
}

struct bitext site_page_intro(enum site_page p)
{
	return p > SITE_PAGE_NONE && p < SITE_PAGE_COUNT ? pages[p].intro : BT(NULL, NULL);
}

bool site_when_holds(const struct site *s, enum site_when w)
{
	switch (w) {
	case SITE_WHEN_ALWAYS:
		return true;
	case SITE_WHEN_IPSEC:
		return s->line == SITE_LINE_IPSEC;
	case SITE_WHEN_IPVPN:
		return s->line == SITE_LINE_IPVPN;
	case SITE_WHEN_PUBKEY:
		return s->line == SITE_LINE_IPSEC && s->auth == SITE_AUTH_PUBKEY;
	case SITE_WHEN_PSK:
		return s->line == SITE_LINE_IPSEC && s->auth == SITE_AUTH_PSK;
	case SITE_WHEN_SEPARATE:
		return s->segment == SITE_SEGMENT_SEPARATE;
	case SITE_WHEN_TLS:
		return s->n_tls > 0;
	case SITE_WHEN_IPOE6:
		return s->line == SITE_LINE_IPVPN && s->ipvpn6 == SITE_IPVPN6_IPOE;
	case SITE_WHEN_SSH:
		return s->ssh != 0;
	}
	return false;
}

const char *site_line_name(enum site_line l)
{
	return l == SITE_LINE_IPVPN ? "ipvpn" : "ipsec";
}

/* The value of one key as it would be written, or NULL when unset. The
 * caller frees it. */
static char *key_value(const struct key_def *k, const void *base, const struct site *s)
{
	char b[64];
	const void *f = (const char *)base + k->off;

	if (is_list(k->type)) {
		size_t n = *(const size_t *)((const char *)base + k->count_off);
		char *out = NULL;
		size_t len = 0;
		FILE *m;
		if (n == 0)
			return NULL;
		m = open_memstream(&out, &len);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputs(", ", m);
			switch (k->type) {
			case K_PREFIXES:
			case K_ADDRS:
				fputs(prefix_str(&(*(struct oq_prefix *const *)f)[i], b, true), m);
				break;
			case K_NAMES:
				fputs((*(char *const *const *)f)[i], m);
				break;
			case K_HOSTPORTS: {
				const struct site_hostport *hp = &(*(struct site_hostport *const *)f)[i];
				fprintf(m, strchr(hp->host, ':') ? "[%s]:%u" : "%s:%u", hp->host, hp->port);
				break;
			}
			case K_PORTS: {
				const struct site_port *pt = &(*(struct site_port *const *)f)[i];
				fprintf(m, "%s/%u", pt->proto, pt->port);
				break;
			}
			default:
				break;
			}
		}
		fclose(m);
		return out;
	}
	switch (k->type) {
	case K_ENUM:
		for (const struct site_choice *w = k->words; w->word; w++)
			if (w->value == *(const int *)f)
				return xstrdup(w->word);
		return NULL;
	case K_UINT:
		return xasprintf("%u", *(const unsigned *)f);
	case K_WANADDR:
		if (s->wan_mode == SITE_ADDR_DHCP)
			return xstrdup("dhcp");
		/* fall through */
	case K_ADDR:
	case K_IFADDR:
		if (((const struct oq_prefix *)f)->family == 0)
			return NULL;
		return xstrdup(prefix_str(f, b, k->type == K_ADDR));
	case K_WANADDR6:
		if (s->wan6_mode == SITE_ADDR6_NONE)
			return xstrdup("none");
		if (s->wan6_mode == SITE_ADDR6_RA)
			return xstrdup("ra");
		return xstrdup(prefix_str(&s->wan6_addr, b, false));
	case K_HOSTPORT: {
		const struct site_hostport *hp = f;
		if (hp->host == NULL)
			return NULL;
		return xasprintf(strchr(hp->host, ':') ? "[%s]:%u" : "%s:%u", hp->host, hp->port);
	}
	default:
		return *(char *const *)f ? xstrdup(*(char *const *)f) : NULL;
	}
}

/* Is a section in use for this site (so that format writes it)? */
static bool section_used(const struct site *s, const char *section)
{
	if (strcmp(section, "ipsec") == 0)
		return s->line == SITE_LINE_IPSEC;
	if (strcmp(section, "ipvpn") == 0)
		return s->line == SITE_LINE_IPVPN;
	return true;
}

/* The row of a key as a file names it ("probe.tls.NAME" is probe.tls), or
 * NULL. */
static const struct key_def *entry_def(const char *section, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *sec = keys[i].section;
		size_t n = strlen(sec);
		if (strncmp(section, sec, n) == 0 && (section[n] == '\0' || (key_named(&keys[i]) &&
		    section[n] == '.')) && strcmp(keys[i].key, key) == 0)
			return &keys[i];
	}
	return NULL;
}

/* Growing text with the entry of each line. */
struct out {
	FILE *m;
	int *lines;
	size_t n;
};

/* Finish one line of text that belongs to tag. */
static void out_end(struct out *o, int tag)
{
	fputc('\n', o->m);
	o->lines = xrealloc(o->lines, (o->n + 1) * sizeof(*o->lines));
	o->lines[o->n++] = tag;
}

/* Write "key = value", folding a long list onto indented continuation
 * lines so that no line exceeds what the parser reads. */
static void put_key(struct out *o, int tag, const char *key, bool list, const char *v)
{
	size_t col = strlen(key) + 3, n;
	char **items;

	fprintf(o->m, "%s = ", key);
	if (!list || col + strlen(v) <= 120) {
		fputs(v, o->m);
		out_end(o, tag);
		return;
	}
	items = str_split_list(v, &n);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(items[i]);
		if (i > 0 && col + len + 2 > 120) {
			fputc(',', o->m);
			out_end(o, tag);
			fputs("  ", o->m);
			col = 2;
		} else if (i > 0) {
			fputs(", ", o->m);
			col += 2;
		}
		fputs(items[i], o->m);
		col += len;
	}
	str_list_free(items);
	out_end(o, tag);
}

char *site_entries_format(const struct site_entries *e, const char *header, int **lines,
			  size_t *n_lines)
{
	struct out o = { 0 };
	char *text = NULL;
	size_t size = 0;
	const char *cur = NULL;

	o.m = open_memstream(&text, &size);
	if (o.m == NULL)
		abort();
	for (const char *h = header; h && *h; h += strcspn(h, "\n") + (h[strcspn(h, "\n")] != '\0')) {
		fwrite(h, 1, strcspn(h, "\n"), o.m);
		out_end(&o, -1);
	}
	for (size_t i = 0; i < e->n; i++) {
		const struct site_entry *en = &e->v[i];
		const struct key_def *k = entry_def(en->section, en->key);
		if (cur == NULL || strcmp(cur, en->section) != 0) {
			out_end(&o, -1);
			fprintf(o.m, "[%s]", en->section);
			out_end(&o, -2 - (int)i);
			cur = en->section;
		}
		put_key(&o, (int)i, en->key, k && is_list(k->type), en->value);
	}
	fclose(o.m);
	if (lines) {
		*lines = o.lines;
		*n_lines = o.n;
	} else {
		free(o.lines);
	}
	return text;
}

char *site_format(const struct site *s)
{
	struct site_entries e = { 0 };
	char *out;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct key_def *k = &keys[i];
		if (key_named(k) || !section_used(s, k->section))
			continue;
		char *v = key_value(k, s, s);
		if (v)
			site_entries_add(&e, k->section, k->key, v);
		free(v);
	}
	for (size_t t = 0; t < s->n_tls; t++) {
		char *sec = xasprintf("probe.tls.%s", s->tls[t].name);
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			if (!key_named(&keys[i]))
				continue;
			char *v = key_value(&keys[i], &s->tls[t], s);
			if (v)
				site_entries_add(&e, sec, keys[i].key, v);
			free(v);
		}
		free(sec);
	}
	out = site_entries_format(&e, "# oqlink site configuration (normalised)", NULL, NULL);
	site_entries_free(&e);
	return out;
}

/* When a key applies, said in a template's comment. */
static struct bitext when_text(enum site_when w)
{
	switch (w) {
	case SITE_WHEN_ALWAYS:
		break;
	case SITE_WHEN_IPSEC:
		return BT("type = ipsec のときに使います", "used with type = ipsec");
	case SITE_WHEN_IPVPN:
		return BT("type = ipvpn のときに使います", "used with type = ipvpn");
	case SITE_WHEN_PUBKEY:
		return BT("auth = pubkey のときに使います", "used with auth = pubkey");
	case SITE_WHEN_PSK:
		return BT("auth = psk のときに使います", "used with auth = psk");
	case SITE_WHEN_SEPARATE:
		return BT("segment = separate のときに使います", "used with segment = separate");
	case SITE_WHEN_TLS:
		return BT("[probe.tls.NAME] ごとに書きます", "one per [probe.tls.NAME]");
	case SITE_WHEN_IPOE6:
		return BT("ipv6 = ipoe のときに使います", "used with ipv6 = ipoe");
	case SITE_WHEN_SSH:
		return BT("ssh = on のときに使います", "used with ssh = on");
	}
	return BT(NULL, NULL);
}

/* Whether a key applies to a fresh site of line type line: the other keys
 * take their defaults (auth = pubkey, segment = lan, no TLS endpoint). */
static bool template_applies(const struct key_def *k, enum site_line line)
{
	struct site s = { .line = line, .auth = SITE_AUTH_PUBKEY, .segment = SITE_SEGMENT_LAN };

	return site_when_holds(&s, k->when) && !key_named(k);
}

/* The value a template offers for k: its default, else its example ("@NAME"
 * beside the default config file). The caller frees it. */
static char *template_value(const struct key_def *k, enum site_line line)
{
	if (k->words == line_words)
		return xstrdup(site_line_name(line));
	if (k->def)
		return xstrdup(k->def);
	if (k->example && k->example[0] == '@')
		return xasprintf("/etc/oqlink/%s", k->example + 1);
	return xstrdup(k->example ? k->example : "");
}

/* A key of the template: its label and hint (and the words of an enum) as
 * comments, then the key. One that applies is written when it is needed or
 * has an example to offer; the others are commented out with the value
 * they take. */
static void template_key(struct out *o, const struct key_def *k, enum site_line line, bool applies)
{
	enum oq_lang l = i18n_lang();
	struct bitext w = when_text(k->when);
	char *v = template_value(k, line);
	struct site_key sk;
	char *hint;

	site_key_get((size_t)(k - keys), &sk);
	hint = site_key_hint(&sk, l);
	fprintf(o->m, "# %s: %s", bitext_get(k->label, l), hint);
	free(hint);
	if (w.ja && !applies)
		fprintf(o->m, " (%s)", bitext_get(w, l));
	fputc('\n', o->m);
	if (k->words) {
		fputs("#  ", o->m);
		for (const struct site_choice *c = k->words; c->word; c++)
			fprintf(o->m, " %s: %s%s", c->word, bitext_get(c->label, l), c[1].word ? "," : "\n");
	}
	if (applies && (k->need != NEED_NO || (k->example && !k->def)) && *v)
		put_key(o, -1, k->key, is_list(k->type), v);
	else if (applies && k->need != NEED_NO)
		fprintf(o->m, "%s =\n", k->key);
	else
		fprintf(o->m, *v ? "# %s = %s\n" : "# %s =\n", k->key, v);
	free(v);
}

char *site_template(enum site_line line)
{
	struct out o = { 0 };
	char *text = NULL;
	size_t size = 0;
	const char *cur = NULL;

	o.m = open_memstream(&text, &size);
	if (o.m == NULL)
		abort();
	fprintf(o.m, _("# oqlink の設定ファイルのひな形 (type = %s、oqlink config template)\n"
		       "# 空のキーを埋めてください。# で始まるキーは示した値 (既定値) のままになります。\n"
		       "# 秘密 (鍵、パスワード) はこのファイルに書かず、別のファイルに置いてそのパスを書きます。\n",
		       "# oqlink site configuration: a template for type = %s (oqlink config template)\n"
		       "# Fill in the empty keys. A key commented out keeps the value shown (its default).\n"
		       "# Secrets (keys, passwords) never go here: name the file that holds each.\n"),
		site_line_name(line));
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct key_def *k = &keys[i];
		bool applies = template_applies(k, line);
		bool ipsec_only = k->when == SITE_WHEN_IPSEC || k->when == SITE_WHEN_PUBKEY ||
				  k->when == SITE_WHEN_PSK;
		if ((ipsec_only && line != SITE_LINE_IPSEC) ||
		    ((k->when == SITE_WHEN_IPVPN || k->when == SITE_WHEN_IPOE6) &&
		     line != SITE_LINE_IPVPN))
			continue;	/* the other line type's keys */
		if (cur == NULL || strcmp(cur, k->section) != 0) {
			fprintf(o.m, key_named(k) ? "\n# [%s.NAME]\n" : "\n[%s]\n", k->section);
			cur = k->section;
		}
		template_key(&o, k, line, applies);
	}
	fclose(o.m);
	free(o.lines);
	return text;
}

/* A bilingual text for a table cell: "ja / en", once when both are alike;
 * "" for none. The caller frees it. */
static char *doc_cell(struct bitext t)
{
	if (t.ja == NULL)
		return xstrdup("");
	if (strcmp(t.ja, t.en) == 0)
		return xstrdup(t.ja);
	return xasprintf("%s / %s", t.ja, t.en);
}

/* The markdown table of the keys of section. */
static void doc_keys(FILE *m, const char *section)
{
	bool need = false;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0)
			need |= keys[i].need != NEED_NO || keys[i].doc_need.ja != NULL;
	fputs(need ? "| key | 必須 required | 既定 default | 説明 | description |\n|---|---|---|---|---|\n"
		   : "| key | 既定 default | 説明 | description |\n|---|---|---|---|\n", m);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct key_def *k = &keys[i];
		if (strcmp(k->section, section) != 0)
			continue;
		char *cells[5] = {
			xasprintf("`%s`", k->key),
			need ? (k->need != NEED_NO ? xstrdup("✓") : doc_cell(k->doc_need)) : NULL,
			k->def ? xasprintf("`%s`", k->def) : xstrdup(""),
			xstrdup(k->doc.ja), xstrdup(k->doc.en),
		};
		fputc('|', m);
		for (size_t c = 0; c < ARRAY_SIZE(cells); c++) {
			if (cells[c] == NULL)
				continue;
			fprintf(m, *cells[c] ? " %s |" : " |", cells[c]);
			free(cells[c]);
		}
		fputc('\n', m);
	}
}

int site_doc_fill(const char *text, char **out, char **cause)
{
	static const char begin[] = "<!-- keys [", end[] = "<!-- end keys -->";
	bool done[ARRAY_SIZE(sections)] = { false };
	size_t len = 0;
	FILE *m = open_memstream(out, &len);
	const char *p = text;
	int r = 0;

	if (m == NULL)
		abort();
	while (*p && r == 0) {
		size_t l = strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n');
		fwrite(p, 1, l, m);
		if (strncmp(p, begin, strlen(begin)) == 0) {
			const char *sec = p + strlen(begin);
			size_t sl = strcspn(sec, "]");
			size_t s;
			for (s = 0; s < ARRAY_SIZE(sections); s++)
				if (strlen(sections[s].name) == sl && strncmp(sections[s].name, sec, sl) == 0)
					break;
			const char *e = strstr(p, end);
			if (s == ARRAY_SIZE(sections) || e == NULL) {
				r = cause_set(cause, EINVAL,
					      e ? _("キーの表に [%.*s] というセクションはありません",
						    "no section [%.*s] in the key table")
						: _("'<!-- keys [%.*s] -->' のあとに '<!-- end keys -->' がありません",
						    "'<!-- keys [%.*s] -->' has no '<!-- end keys -->'"),
					      (int)sl, sec);
				break;
			}
			doc_keys(m, sections[s].name);
			done[s] = true;
			p = e;
			continue;
		}
		p += l;
	}
	for (size_t s = 0; s < ARRAY_SIZE(sections) && r == 0; s++)
		if (!done[s])
			r = cause_set(cause, EINVAL, _("[%1$s] のキーの表の場所 '<!-- keys [%1$s] -->' がありません",
						       "no '<!-- keys [%1$s] -->' for the keys of [%1$s]"),
				      sections[s].name);
	fclose(m);
	if (r < 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

/* JSON value of one key: lists as arrays, numbers as numbers. */
static struct json_object *key_json(const struct key_def *k, const void *base, const struct site *s)
{
	char *v = key_value(k, base, s);
	struct json_object *o;

	if (v == NULL)
		return NULL;
	if (k->type == K_UINT) {
		o = json_object_new_int64(*(const unsigned *)((const char *)base + k->off));
	} else if (is_list(k->type)) {
		size_t n;
		char **items = str_split_list(v, &n);
		o = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(o, json_object_new_string(items[i]));
		str_list_free(items);
	} else {
		o = json_object_new_string(v);
	}
	free(v);
	return o;
}

struct json_object *site_to_json(const struct site *s)
{
	struct json_object *root = json_object_new_object(), *sec = NULL, *tls;
	const char *cur = NULL;

	json_object_object_add(root, "schema", json_object_new_string("oqlink.site/1"));
	char *file = str_sanitize(s->path ? s->path : "");
	json_object_object_add(root, "file", json_object_new_string(file));
	free(file);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct key_def *k = &keys[i];
		if (key_named(k) || !section_used(s, k->section))
			continue;
		if (cur == NULL || strcmp(cur, k->section) != 0) {
			sec = json_object_new_object();
			json_object_object_add(root, k->section, sec);
			cur = k->section;
		}
		struct json_object *v = key_json(k, s, s);
		if (v)
			json_object_object_add(sec, k->key, v);
	}
	tls = json_object_new_array();
	for (size_t t = 0; t < s->n_tls; t++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(s->tls[t].name));
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			if (!key_named(&keys[i]))
				continue;
			struct json_object *v = key_json(&keys[i], &s->tls[t], s);
			if (v)
				json_object_object_add(o, keys[i].key, v);
		}
		json_object_array_add(tls, o);
	}
	json_object_object_add(root, "probe_tls", tls);
	return root;
}
