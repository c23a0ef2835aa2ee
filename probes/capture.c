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

#include "core/clock.h"
#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

#define CAP_FILTER "udp port 500 or udp port 4500 or ip proto 50 or icmp or (ip[6:2] & 0x3fff != 0)"
#define CAP_SNAPLEN 2048
#define CAP_MODE 0600	/* a capture holds the clinic's traffic */

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
	pcap_t *p;
	pcap_dumper_t *dump;
	int fd;			/* the pcap file, for fsync and the hash */
	char *path;
	int write_err;		/* first errno writing the file, 0 while all is well */
	int dlt;
	uint32_t wan;
	struct cap_counts c;
	unsigned packets;
};

/* Filled by the setup (as root), used by the run (sandboxed); the probe is
 * a process of its own, so one static state is its whole life. */
static struct cap_state cap = { .fd = -1 };

/* Note the first error writing the pcap. */
static void cap_check_write(struct cap_state *st, int failed)
{
	if (failed && st->write_err == 0)
		st->write_err = errno ? errno : EIO;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct cap_state *st = (struct cap_state *)user;
	size_t off;

	pcap_dump((u_char *)st->dump, h, bytes);
	cap_check_write(st, ferror(pcap_dump_file(st->dump)));
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

/* SHA-256 of the open file fd as hex into out (65 bytes). */
static int fd_sha256(int fd, char out[65])
{
	unsigned char md[32], buf[8192];
	unsigned int mdlen = 0;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	off_t off = 0;
	ssize_t n;

	if (m == NULL)
		return -1;
	EVP_DigestInit_ex(m, EVP_sha256(), NULL);
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		EVP_DigestUpdate(m, buf, (size_t)n);
		off += n;
	}
	EVP_DigestFinal_ex(m, md, &mdlen);
	EVP_MD_CTX_free(m);
	if (n < 0)
		return -1;
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
		       BT("ESP は送信されていますが、戻りがありません。途中の機器 (ルーター・ファイアウォール) が ESP (IP 50) や UDP 4500 を落としていないか確認し、nat_traversal = force も試してください。",
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
	cap_check_write(st, pcap_dump_flush(st->dump) < 0);
	pcap_dump_close(st->dump);
	st->dump = NULL;
	cap_check_write(st, fsync(st->fd) < 0);
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
	size_t n = 0, room = 0;
	uint64_t total = 0;
	int removed = 0;

	if (d == NULL)
		return cause_set(cause, errno, _("%s を読めません: %s", "cannot read %s: %s"), dir, i18n_strerror(errno));
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		size_t len = strlen(e->d_name);

		if (!str_has_prefix(e->d_name, "capture-") || len < 5 ||
		    strcmp(e->d_name + len - 5, ".pcap") != 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == room) {
			room = room ? room * 2 : 16;
			files = xrealloc(files, room * sizeof(*files));
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

/* Create the pcap file: a new name (O_EXCL, never through a link), mode
 * 0600 whatever the umask, written through a descriptor the sandboxed run
 * keeps. -1 with the outcome in r. */
static int cap_create(struct probe_ctx *ctx, struct cap_state *st, struct probe_result *r)
{
	char stamp[CLOCK_BUF], *cause = NULL;
	FILE *f = NULL;
	int fd2 = -1;

	clock_str(clock_wall_ms(), CLOCK_STAMP, stamp);
	if (mkdir_p(probe_ctx_out_dir(ctx), 0750, &cause) == 0) {
		st->path = xasprintf("%s/capture-%s-%d.pcap", probe_ctx_out_dir(ctx), stamp,
				     (int)getpid());
		st->fd = file_open_private(st->path, O_RDWR | O_CREAT | O_EXCL, CAP_MODE, &cause);
		if (st->fd < 0)
			st->fd = -1;
	}
	if (st->fd >= 0 && ((fd2 = dup(st->fd)) < 0 || (f = fdopen(fd2, "wb")) == NULL)) {
		if (fd2 >= 0)
			close(fd2);
		cause = xasprintf("%s: %s", st->path, i18n_strerror(errno));
	}
	if (f != NULL && (st->dump = pcap_dump_fopen(st->p, f)) == NULL) {
		fclose(f);
		cause = xasprintf("%s: %s", st->path, pcap_geterr(st->p));
	}
	if (st->dump != NULL)
		return 0;
	pr_set(r, PROBE_ERROR, BT("出力先ディレクトリを確認してください。", "Check the output directory."),
	       "%s", "%s", cause ? cause : "?");
	free(cause);
	return -1;
}

PROBE_SETUP(capture)
{
	const struct site *s = probe_ctx_site(ctx);
	char err[PCAP_ERRBUF_SIZE] = "";

	if (s->wan_addr.family == AF_INET)
		memcpy(&cap.wan, s->wan_addr.addr, 4);
	cap.p = cap_open(s->wan_if, err);
	if (cap.p == NULL) {
		pr_set(r, PROBE_ERROR, BT("root で実行し、WAN のインターフェース名を確認してください。",
					  "Run as root and check the WAN interface name."),
		       "%s でパケットを取得できません: %s", "cannot capture on %s: %s", s->wan_if, err);
		return -1;
	}
	cap.dlt = pcap_datalink(cap.p);
	/* the run directory is RAM on the appliance: room for this one */
	if (strcmp(probe_ctx_out_dir(ctx), s->run_dir ? s->run_dir : "") == 0)
		cap_prune(probe_ctx_out_dir(ctx), CAP_KEEP - 1, CAP_MAX_BYTES, NULL);
	if (cap_create(ctx, &cap, r) < 0) {
		pcap_close(cap.p);
		return -1;
	}
	return 0;
}

/* Runs sandboxed: the handle and the file are open (probe_capture_setup). */
PROBE_FN(capture)
{
	const struct site *s = probe_ctx_site(ctx);
	char sha[65] = "";

	if (cap.p == NULL && probe_capture_setup(ctx, r) != 0)
		return;		/* run without the runner's setup, and it failed */
	cap_loop(ctx, cap.p, &cap);
	pcap_close(cap.p);
	fd_sha256(cap.fd, sha);
	cap_report(&cap, cap.path, sha, r);
	if (cap.write_err != 0) {
		struct stat st;
		long long size = fstat(cap.fd, &st) == 0 ? (long long)st.st_size : -1;

		probe_result_evidence(r, "pcap %s cut at %lld bytes: %s", cap.path, size,
				      i18n_strerror(cap.write_err));
		if (cap.write_err == ENOSPC || cap.write_err == EDQUOT || cap.write_err == EFBIG)
			pr_set(r, PROBE_FAIL,
			       BT("出力先の空きを増やし、もう一度実行してください。取得ファイルは途中で切れています。",
				  "Free space in the output directory and run it again; the capture file is cut short."),
			       "取得ファイルの書き込み中にディスクが一杯になりました (%s)",
			       "disk full while writing the capture (%s)", cap.path);
		else
			pr_set(r, PROBE_ERROR,
			       BT("出力先のディスクを確認し、もう一度実行してください。取得ファイルは途中で切れています。",
				  "Check the output directory's disk and run it again; the capture file is cut short."),
			       "取得ファイルを書けませんでした (%s): %s", "could not write the capture (%s): %s",
			       cap.path, i18n_strerror(cap.write_err));
	} else {
		cap_judge(s, &cap.c, r);
	}
	close(cap.fd);
	free(cap.path);
}
