/* Probe "capture": libpcap on the WAN interface while the other probes run.
 * It counts IKE, NAT-T and ESP packets in each direction, fragments and
 * ICMP errors, and saves the capture as a pcap file whose path and SHA-256
 * go into the evidence. It starts before the others and stops when they are
 * done (PROBE_BACKGROUND). */
#include "probes/capture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <pcap/pcap.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

#define CAP_FILTER "udp port 500 or udp port 4500 or ip proto 50 or icmp or (ip[6:2] & 0x3fff != 0)"
#define CAP_SNAPLEN 2048

void cap_count(const uint8_t *ip, size_t len, uint32_t wan, struct cap_counts *c)
{
	uint32_t src, dst;
	size_t ihl;
	int d;
	const uint8_t *l4;

	if (len < 20 || (ip[0] >> 4) != 4)
		return;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || len < ihl)
		return;
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	if (src == wan)
		d = CAP_OUT;
	else if (dst == wan)
		d = CAP_IN;
	else
		return;
	if ((ip[6] & 0x3f) != 0 || ip[7] != 0) {
		c->frags++;
		if ((ip[6] & 0x1f) != 0 || ip[7] != 0)
			return;	/* not the first fragment: no transport header */
	}
	l4 = ip + ihl;
	len -= ihl;
	switch (ip[9]) {
	case IPPROTO_ESP:
		c->esp[d]++;
		break;
	case IPPROTO_UDP: {
		unsigned sp, dp;

		if (len < 8)
			return;
		sp = (unsigned)(l4[0] << 8 | l4[1]);
		dp = (unsigned)(l4[2] << 8 | l4[3]);
		if (sp == 500 || dp == 500)
			c->ike[d]++;
		else if (sp == 4500 || dp == 4500) {
			if (len == 9 && l4[8] == 0xff)
				c->keepalive[d]++;
			else if (len >= 12 && l4[8] == 0 && l4[9] == 0 && l4[10] == 0 && l4[11] == 0)
				c->ike[d]++;
			else
				c->natt_esp[d]++;
		}
		break;
	}
	case IPPROTO_ICMP:
		if (len >= 8 && (l4[0] == 3 || l4[0] == 11 || l4[0] == 12)) {
			if (c->icmp_errors++ == 0) {
				char a[INET_ADDRSTRLEN];

				inet_ntop(AF_INET, &src, a, sizeof(a));
				snprintf(c->first_icmp, sizeof(c->first_icmp),
					 "ICMP type %u code %u from %s%s", l4[0], l4[1], a,
					 l4[0] == 3 && l4[1] == 4 ? " (frag needed)" : "");
			}
		}
		break;
	default:
		break;
	}
}

struct cap_state {
	pcap_dumper_t *dump;
	int dlt;
	uint32_t wan;
	struct cap_counts c;
	unsigned packets;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct cap_state *st = (struct cap_state *)user;
	size_t off;

	pcap_dump((u_char *)st->dump, h, bytes);
	st->packets++;
	switch (st->dlt) {
	case DLT_EN10MB:
		off = 14;
		if (h->caplen >= 18 && bytes[12] == 0x81 && bytes[13] == 0x00)
			off = 18;
		break;
	case DLT_LINUX_SLL:
		off = 16;
		break;
	case DLT_RAW:
		off = 0;
		break;
	default:
		return;
	}
	if (h->caplen > off)
		cap_count(bytes + off, h->caplen - off, st->wan, &st->c);
}

/* SHA-256 of a file as hex into out (65 bytes). */
static int file_sha256(const char *path, char out[65])
{
	unsigned char md[32], buf[8192];
	unsigned int mdlen = 0;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL || m == NULL) {
		if (f)
			fclose(f);
		EVP_MD_CTX_free(m);
		return -1;
	}
	EVP_DigestInit_ex(m, EVP_sha256(), NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(m, buf, n);
	EVP_DigestFinal_ex(m, md, &mdlen);
	EVP_MD_CTX_free(m);
	fclose(f);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Open the WAN interface with the filter; NULL with the error in err. */
static pcap_t *cap_open(const char *ifname, char err[PCAP_ERRBUF_SIZE])
{
	pcap_t *p = pcap_create(ifname, err);
	struct bpf_program prog;

	if (p == NULL)
		return NULL;
	pcap_set_snaplen(p, CAP_SNAPLEN);
	pcap_set_promisc(p, 0);
	pcap_set_immediate_mode(p, 1);
	pcap_set_timeout(p, 50);
	if (pcap_activate(p) < 0) {
		snprintf(err, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (pcap_compile(p, &prog, CAP_FILTER, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(p, &prog) < 0) {
		snprintf(err, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	pcap_freecode(&prog);
	pcap_setnonblock(p, 1, err);
	return p;
}

/* The verdict from the counts, with summary and remedy. */
static void cap_judge(const struct site *s, const struct cap_counts *c, struct probe_result *r)
{
	unsigned esp_out = c->esp[CAP_OUT] + c->natt_esp[CAP_OUT];
	unsigned esp_in = c->esp[CAP_IN] + c->natt_esp[CAP_IN];

	if (s->line == SITE_LINE_IPSEC && esp_out > 0 && esp_in == 0)
		pr_set(r, PROBE_FAIL,
		       BT("ESP は送信されていますが、戻りがありません。途中の機器 (ルータ・ファイアウォール) が ESP (IP 50) や UDP 4500 を落としていないか確認し、nat_traversal = force も試してください。",
			  "ESP leaves but nothing comes back: check whether a router or firewall drops ESP (IP 50) or UDP 4500, and try nat_traversal = force."),
		       "ESP 送信 %u、受信 0", "ESP out %u, in 0", esp_out);
	else if (s->line == SITE_LINE_IPSEC && c->ike[CAP_OUT] > 0 && c->ike[CAP_IN] == 0)
		pr_set(r, PROBE_FAIL,
		       BT("IKE (UDP 500/4500) に応答がありません。VPN ゲートウェイのアドレスと、途中で UDP 500/4500 が塞がれていないか確認してください。",
			  "IKE (UDP 500/4500) gets no answer: check the gateway's address and whether UDP 500/4500 is blocked on the way."),
		       "IKE 送信 %u、受信 0", "IKE out %u, in 0", c->ike[CAP_OUT]);
	else if (c->icmp_errors > 0)
		pr_set(r, PROBE_WARN,
		       BT("ICMP エラーを受けています。根拠の送信元と種類を確認してください (frag needed なら MTU を下げる)。",
			  "ICMP errors arrived: see their source and type in the evidence (frag needed: lower the MTU)."),
		       "ICMP エラー %u 件 (%s)", "%u ICMP errors (%s)", c->icmp_errors, c->first_icmp);
	else if (c->frags > 0)
		pr_set(r, PROBE_WARN,
		       BT("WAN でフラグメントが発生しています。tunnel_mtu を下げると性能と安定性が上がります。",
			  "Packets are fragmented on the WAN: lowering tunnel_mtu improves speed and reliability."),
		       "フラグメント %u 個", "%u fragments", c->frags);
	else if (s->line == SITE_LINE_IPSEC && esp_out + esp_in == 0)
		pr_set(r, PROBE_WARN,
		       BT("プローブ中に ESP が流れませんでした。トンネルが使われているか (child, reach プローブ) 確認してください。",
			  "No ESP passed while the probes ran: check that the tunnel carries traffic (child, reach probes)."),
		       "プローブ中に ESP が見えません (IKE 送信 %u)", "no ESP seen while the probes ran (IKE out %u)",
		       c->ike[CAP_OUT]);
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "ESP 送信 %u / 受信 %u、ICMP エラーなし",
		       "ESP out %u / in %u, no ICMP errors", esp_out, esp_in);
}

/* Capture until told to stop (or out of time), then close the file. */
static void cap_loop(struct probe_ctx *ctx, pcap_t *p, struct cap_state *st)
{
	int stop = probe_ctx_stop_fd(ctx), pfd = pcap_get_selectable_fd(p);

	probe_ctx_ready(ctx);
	for (;;) {
		struct pollfd fds[2] = { { .fd = pfd, .events = POLLIN }, { .fd = stop, .events = POLLIN } };
		int left = probe_ctx_remaining_ms(ctx) - 200;

		if (left <= 0)
			break;
		poll(fds, stop >= 0 ? 2 : 1, left > 100 ? 100 : left);
		pcap_dispatch(p, -1, on_packet, (u_char *)st);
		if (stop >= 0 && fds[1].revents)
			break;
	}
	pcap_dispatch(p, -1, on_packet, (u_char *)st);
	pcap_dump_close(st->dump);
}

/* The file and the counts as evidence and values. */
static void cap_report(const struct cap_state *st, const char *path, const char *sha,
		       struct probe_result *r)
{
	probe_result_evidence(r, "pcap %s sha256 %s (%u packets)", path, sha, st->packets);
	probe_result_evidence(r, "IKE out %u in %u; ESP out %u in %u; ESP-in-UDP out %u in %u; keepalives out %u in %u",
			      st->c.ike[0], st->c.ike[1], st->c.esp[0], st->c.esp[1], st->c.natt_esp[0],
			      st->c.natt_esp[1], st->c.keepalive[0], st->c.keepalive[1]);
	probe_result_evidence(r, "fragments %u; ICMP errors %u%s%s", st->c.frags, st->c.icmp_errors,
			      st->c.icmp_errors ? ", first: " : "", st->c.first_icmp);
	probe_result_text(r, "pcap", BT("取得ファイル", "capture file"), path);
	probe_result_text(r, "sha256", BT("SHA-256", "SHA-256"), sha);
	probe_result_value(r, "ike_out", BT("IKE 送信", "IKE out"), st->c.ike[0], "packets");
	probe_result_value(r, "ike_in", BT("IKE 受信", "IKE in"), st->c.ike[1], "packets");
	probe_result_value(r, "esp_out", BT("ESP 送信", "ESP out"), st->c.esp[0] + st->c.natt_esp[0], "packets");
	probe_result_value(r, "esp_in", BT("ESP 受信", "ESP in"), st->c.esp[1] + st->c.natt_esp[1], "packets");
	probe_result_value(r, "fragments", BT("フラグメント", "fragments"), st->c.frags, "packets");
	probe_result_value(r, "icmp_errors", BT("ICMP エラー", "ICMP errors"), st->c.icmp_errors, "packets");
}

/* At most this many pcaps, and this many bytes of them, stay in the run
 * directory (RAM on the appliance). */
#define CAP_KEEP 8
#define CAP_MAX_BYTES (16u << 20)

struct cap_file {
	char *name;
	struct timespec mtime;
	uint64_t size;
};

/* Newest first; the name breaks ties (it carries the time too). */
static int cap_file_cmp(const void *a, const void *b)
{
	const struct cap_file *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? 1 : -1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? 1 : -1;
	return -strcmp(x->name, y->name);
}

int cap_prune(const char *dir, size_t keep, uint64_t max_bytes, char **cause)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct cap_file *files = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	int removed = 0;

	if (d == NULL)
		return cause_set(cause, errno, _("%s を読めません: %s", "cannot read %s: %s"), dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		size_t len = strlen(e->d_name);

		if (!str_has_prefix(e->d_name, "capture-") || len < 5 ||
		    strcmp(e->d_name + len - 5, ".pcap") != 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			files = xrealloc(files, cap * sizeof(*files));
		}
		files[n++] = (struct cap_file){ xstrdup(e->d_name), st.st_mtim, (uint64_t)st.st_size };
	}
	if (n > 0)
		qsort(files, n, sizeof(*files), cap_file_cmp);
	for (size_t i = 0; i < n; i++) {
		total += files[i].size;
		if (i > 0 && (i >= keep || total > max_bytes) &&
		    unlinkat(dirfd(d), files[i].name, 0) == 0)
			removed++;
		free(files[i].name);
	}
	free(files);
	closedir(d);
	return removed;
}

PROBE_FN(capture)
{
	const struct site *s = probe_ctx_site(ctx);
	struct cap_state st = { 0 };
	char err[PCAP_ERRBUF_SIZE] = "", *path, *cause = NULL, sha[65] = "";
	pcap_t *p;
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];

	if (s->wan_addr.family == AF_INET)
		memcpy(&st.wan, s->wan_addr.addr, 4);
	p = cap_open(s->wan_if, err);
	if (p == NULL) {
		probe_ctx_ready(ctx);
		pr_set(r, PROBE_ERROR, BT("root で実行し、WAN のインタフェース名を確認してください。",
					  "Run as root and check the WAN interface name."),
		       "%s でパケットを取得できません: %s", "cannot capture on %s: %s", s->wan_if, err);
		return;
	}
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime_r(&now, &tm));
	if (mkdir_p(probe_ctx_out_dir(ctx), 0750, &cause) < 0) {
		probe_ctx_ready(ctx);
		pr_set(r, PROBE_ERROR, BT("出力先ディレクトリを確認してください。", "Check the output directory."),
		       "%s", "%s", cause);
		free(cause);
		pcap_close(p);
		return;
	}
	path = xasprintf("%s/capture-%s-%d.pcap", probe_ctx_out_dir(ctx), stamp, (int)getpid());
	st.dump = pcap_dump_open(p, path);
	st.dlt = pcap_datalink(p);
	if (st.dump == NULL) {
		probe_ctx_ready(ctx);
		pr_set(r, PROBE_ERROR, BT("出力先ディレクトリを確認してください。", "Check the output directory."),
		       "%s", "%s", pcap_geterr(p));
		pcap_close(p);
		free(path);
		return;
	}
	cap_loop(ctx, p, &st);
	pcap_close(p);
	file_sha256(path, sha);
	if (strcmp(probe_ctx_out_dir(ctx), s->run_dir ? s->run_dir : "") == 0)
		cap_prune(probe_ctx_out_dir(ctx), CAP_KEEP, CAP_MAX_BYTES, NULL);

	cap_report(&st, path, sha, r);
	cap_judge(s, &st.c, r);
	free(path);
}
