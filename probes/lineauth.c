/* Probe "lineauth" (IP-VPN lines): the carrier's line-authentication page,
 * fetched from the terminal side (over IPv4 or IPv6), says the line is
 * authenticated. On an IPv6 line, line authentication binds the customer
 * ID to the line's prefix: the prefix seen at the last successful check is
 * recorded in the state directory, and a prefix that differs from it asks
 * for line authentication again, naming both.
 *
 * The probe parses what the page sends, so it runs in the sandbox, which
 * cannot write files: its setup (still root) reads the record and leaves a
 * recorder process behind a pipe that takes one prefix, checks that it is
 * one, and writes the record with the one file writer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/ipv6.h"
#include "probes/list.h"
#include "probes/net.h"

#define LINEAUTH_RECORD "lineauth-prefix"

/* What the setup found for the run (the probe has a process of its own). */
static struct {
	struct line6 line;		/* origin LINE6_NONE: no IPv6 prefix */
	char *recorded;			/* the record's text, NULL when none */
	int pipe_fd;			/* to the recorder, -1 when none */
	pid_t recorder;
} la = { .pipe_fd = -1, .recorder = -1 };

/* The recorder: one prefix from fd, written to path when it is one. */
static void lineauth_recorder(int fd, const char *path)
{
	char buf[80], *cause = NULL;
	size_t off = 0;
	ssize_t n;
	struct oq_prefix p;

	while (off < sizeof(buf) - 1 && (n = read(fd, buf + off, sizeof(buf) - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (off == 0 || !prefix_parse(buf, &p) || p.family != AF_INET6)
		_exit(0);
	prefix_str(&p, buf, false);
	strcat(buf, "\n");
	_exit(file_write_atomic(path, buf, strlen(buf), 0644, &cause) < 0 ? 1 : 0);
}

PROBE_SETUP(lineauth)
{
	const struct site *s = probe_ctx_site(ctx);
	char *path, *cause = NULL;
	size_t len;
	int fds[2];

	(void)r;
	if (!site_uses_ipv6(s) || line6_read(s, &la.line, &cause) < 0) {
		free(cause);
		la.line.origin = LINE6_NONE;
		return 0;
	}
	if (la.line.origin == LINE6_NONE || s->state_dir == NULL)
		return 0;
	path = xasprintf("%s/" LINEAUTH_RECORD, s->state_dir);
	if (file_read(path, 256, &la.recorded, &len, NULL) < 0)
		la.recorded = NULL;
	if (pipe2(fds, O_CLOEXEC) == 0) {
		la.recorder = fork();
		if (la.recorder == 0) {
			close(fds[1]);
			lineauth_recorder(fds[0], path);
		}
		close(fds[0]);
		if (la.recorder > 0)
			la.pipe_fd = fds[1];
		else
			close(fds[1]);
	}
	free(path);
	return 0;
}

/* Hand the prefix to the recorder (or nothing: close) and wait for it. */
static void lineauth_record(struct probe_result *r, const struct oq_prefix *p)
{
	char b[64] = "";
	int st = 0;

	if (la.pipe_fd < 0)
		return;
	if (p != NULL)
		prefix_str(p, b, false);
	if (p != NULL && write(la.pipe_fd, b, strlen(b)) < 0)
		p = NULL;
	close(la.pipe_fd);
	la.pipe_fd = -1;
	if (waitpid(la.recorder, &st, 0) > 0 && p != NULL)
		probe_result_evidence(r, "prefix %s %s", b, WIFEXITED(st) && WEXITSTATUS(st) == 0
					      ? "recorded" : "could not be recorded");
}

/* The verdict when the page was read: the page's word, then the prefix. */
static void lineauth_judge(struct probe_result *r, bool authed, int code, const char *expect)
{
	struct oq_prefix old;
	char ob[64], nb[64];
	int cmp = -1;

	if (la.line.origin != LINE6_NONE) {
		prefix_str(&la.line.prefix, nb, false);
		probe_result_text(r, "prefix", BT("回線のプレフィックス", "line prefix"), nb);
		cmp = line6_prefix_compare(la.recorded, &la.line.prefix, &old);
		if (cmp >= 0)
			probe_result_text(r, "recorded_prefix",
					  BT("前回の回線認証時のプレフィックス",
					     "prefix at the last line authentication"),
					  prefix_str(&old, ob, false));
		probe_result_evidence(r, "line prefix %s by %s; at the last line authentication %s", nb,
				      line6_origin_name(la.line.origin), cmp >= 0 ? ob : "none recorded");
	}
	if (!authed && cmp == 1)
		pr_set(r, PROBE_FAIL,
		       BT("回線のプレフィックスが変わったため回線認証が外れています。資格確認端末から回線認証をやり直してください。",
			  "The line's prefix changed, so the line authentication no longer holds: do line authentication again from the qualification terminal."),
		       "回線のプレフィックスが %s から %s に変わり、回線が認証されていません: 回線認証をやり直してください",
		       "the line prefix changed from %s to %s and the line is not authenticated: do line authentication again",
		       ob, nb);
	else if (!authed)
		pr_set(r, PROBE_FAIL,
		       BT("回線が認証されていません。お客さまID と回線の開通状況を通信事業者に確認してください。",
			  "The line is not authenticated; check the customer ID and the line's activation with the carrier."),
		       "回線認証ページに「%s」がありません (HTTP %d)",
		       "the line-authentication page does not say \"%s\" (HTTP %d)", expect, code);
	else if (cmp == 1)
		pr_set(r, PROBE_WARN,
		       BT("回線のプレフィックスが前回の回線認証のときと違います。資格確認端末から回線認証をやり直してください (この結果を最後に新しいプレフィックスを記録します)。",
			  "The line's prefix is not the one of the last line authentication: do line authentication again from the qualification terminal (the new prefix is recorded from this check on)."),
		       "回線のプレフィックスが %s から %s に変わりました: 回線認証をやり直してください",
		       "the line prefix changed from %s to %s: do line authentication again", ob, nb);
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "回線認証ページ: %s", "line authentication page: %s",
		       expect);
	/* A page that says authenticated makes the prefix the recorded one. */
	lineauth_record(r, authed && la.line.origin != LINE6_NONE ? &la.line.prefix : NULL);
}

PROBE_FN(lineauth)
{
	const struct site *s = probe_ctx_site(ctx);
	struct oq_prefix dst;
	const char *expect = s->lineauth_expect ? s->lineauth_expect : "認証済みです";
	char *host = NULL, *path = NULL, *req = NULL, *reply = NULL, *cause = NULL;
	unsigned port;
	size_t len;
	double ms;
	int fd = -1, code = 0, wait = probe_ctx_remaining_ms(ctx) - 200;

	if (s->lineauth_url == NULL) {
		probe_result_set(r, PROBE_SKIP, BT("回線認証ページが設定されていません",
						   "no line-authentication page configured"),
				 BT("[probe] lineauth_url を設定してください。", "Set [probe] lineauth_url."));
		goto out;
	}
	if (!http_url_parse(s->lineauth_url, &host, &port, &path)) {
		pr_set(r, PROBE_ERROR, BT("http:// の URL を設定してください。", "Use an http:// URL."),
		       "URL %s は扱えません", "cannot use the URL %s", s->lineauth_url);
		goto out;
	}
	if (wait > 3000)
		wait = 3000;
	if (net_resolve(s, host, wait / 2, &dst, &cause) < 0 ||
	    net_connect(s, &dst, port, wait / 2, &fd, &ms, &cause) < 0) {
		probe_result_evidence(r, "%s", cause);
		pr_set(r, PROBE_FAIL,
		       BT("回線認証ページへの経路 (CE ルーター経由) を確認してください。",
			  "Check the path to the line-authentication page (through the CE router)."),
		       "%s に接続できません", "cannot connect to %s", s->lineauth_url);
		goto out;
	}
	req = xasprintf("GET %s HTTP/1.0\r\nHost: %s%s%s\r\nUser-Agent: oqlink/" OQ_VERSION
			"\r\nConnection: close\r\n\r\n", path, strchr(host, ':') ? "[" : "", host,
			strchr(host, ':') ? "]" : "");
	if (http_exchange(fd, req, wait / 2, 65536, &reply, &len) < 0 ||
	    !http_status_parse(reply, &code)) {
		pr_set(r, PROBE_FAIL, BT("ページのサーバが応答しません。時間をおいて再試行してください。",
					 "The page's server does not answer; try again later."),
		       "%s が応答しません", "%s does not answer", s->lineauth_url);
		goto out;
	}
	probe_result_evidence(r, "GET %s: HTTP %d, %zu bytes, %s", s->lineauth_url, code, len,
			      strstr(reply, expect) ? "authenticated text found" : "text not found");
	if (s->customer_id)
		probe_result_text(r, "customer_id", BT("お客さまID", "customer ID"), s->customer_id);
	lineauth_judge(r, code == 200 && strstr(reply, expect) != NULL, code, expect);
out:
	lineauth_record(r, NULL);	/* nothing to record when the page was not read */
	if (fd >= 0)
		close(fd);
	free(host);
	free(path);
	free(req);
	free(reply);
	free(cause);
	free(la.recorded);
	la.recorded = NULL;
}
