/* Probes: the runner (dependency graph, SKIP, timeouts, background,
 * cancellation) with fake probes, the registry, and every parser and
 * threshold of the probes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <arpa/inet.h>
#include <poll.h>
#include <cmocka.h>

#include "tests/unit/slow.h"
#include "core/site.h"
#include "core/util.h"
#include "probes/capture.h"
#include "probes/clock.h"
#include "probes/list.h"
#include "probes/net.h"
#include "probes/pmtu.h"
#include "probes/proposal.h"
#include "probes/probe.h"
#include "probes/x509.h"

/* ---- fake probes ---- */

static void fk_pass(struct probe_ctx *ctx, struct probe_result *r)
{
	probe_result_set(r, PROBE_PASS, BT("ok", "ok"), BT(NULL, NULL));
}
static void fk_fail(struct probe_ctx *ctx, struct probe_result *r)
{
	probe_result_set(r, PROBE_FAIL, BT("だめ", "bad"), BT("直す", "fix it"));
}
static void fk_sleep(struct probe_ctx *ctx, struct probe_result *r)
{
	usleep(300 * 1000);
	probe_result_set(r, PROBE_PASS, BT("ok", "ok"), BT(NULL, NULL));
}
static void fk_hang(struct probe_ctx *ctx, struct probe_result *r) { sleep(10); }
static void fk_die(struct probe_ctx *ctx, struct probe_result *r) { _exit(7); }
static void fk_nosum(struct probe_ctx *ctx, struct probe_result *r) { r->verdict = PROBE_WARN; }
static void fk_saw(struct probe_ctx *ctx, struct probe_result *r)
{
	const struct probe_result *a = probe_ctx_result(ctx, "a");

	probe_result_evidence(r, "a=%s", a ? probe_verdict_name(a->verdict) : "none");
	probe_result_set(r, PROBE_PASS, BT("ok", "ok"), BT(NULL, NULL));
}
static void fk_bg(struct probe_ctx *ctx, struct probe_result *r)
{
	struct pollfd p = { .fd = probe_ctx_stop_fd(ctx), .events = POLLIN };

	probe_ctx_ready(ctx);
	poll(&p, 1, probe_ctx_remaining_ms(ctx));
	probe_result_evidence(r, "stopped=%d", p.revents != 0);
	probe_result_set(r, PROBE_PASS, BT("ok", "ok"), BT(NULL, NULL));
}

#define D(...) ((const char *const[]){ __VA_ARGS__, NULL })
static const struct probe fake[] = {
	{ "bg", { "bg", "bg" }, NULL, NULL, fk_bg, 0, PROBE_BACKGROUND, NULL, NULL },
	{ "a", { "a", "a" }, NULL, NULL, fk_pass, 0, 0, NULL, NULL },
	{ "b", { "b", "b" }, D("a"), NULL, fk_fail, 0, 0, NULL, NULL },
	{ "c", { "c", "c" }, D("b"), NULL, fk_pass, 0, 0, NULL, NULL },
	{ "c2", { "c2", "c2" }, D("c"), NULL, fk_pass, 0, 0, NULL, NULL },
	{ "hang", { "hang", "hang" }, D("a"), NULL, fk_hang, 300, 0, NULL, NULL },
	{ "after", { "after", "after" }, NULL, D("hang"), fk_pass, 0, 0, NULL, NULL },
	{ "die", { "die", "die" }, NULL, NULL, fk_die, 0, 0, NULL, NULL },
	{ "vpn", { "vpn", "vpn" }, NULL, NULL, fk_fail, 0, PROBE_IPVPN_ONLY, NULL, NULL },
	{ "onvpn", { "onvpn", "onvpn" }, D("vpn", "a"), NULL, fk_pass, 0, 0, NULL, NULL },
	{ "saw", { "saw", "saw" }, D("a"), NULL, fk_saw, 0, 0, NULL, NULL },
	{ "nosum", { "nosum", "nosum" }, NULL, NULL, fk_nosum, 0, 0, NULL, NULL },
	{ "s1", { "s1", "s1" }, NULL, NULL, fk_sleep, 0, 0, NULL, NULL },
	{ "s2", { "s2", "s2" }, NULL, NULL, fk_sleep, 0, 0, NULL, NULL },
};

static const struct probe_result *find(const struct probe_run *run, const char *id)
{
	for (size_t i = 0; i < run->n; i++)
		if (strcmp(run->results[i].id, id) == 0)
			return &run->results[i];
	return NULL;
}

static void test_runner_graph(void **state)
{
	static char tmp[] = "/tmp";
	struct site site = { .line = SITE_LINE_IPSEC, .run_dir = tmp };
	struct probe_options opt = { .timeout_ms = 2000, .total_timeout_ms = 10000 };
	struct probe_run run;
	char *cause = NULL;
	const struct probe_result *r;
	int64_t t0 = now_ms();

	(void)state;
	assert_int_equal(probe_run_registry(fake, ARRAY_SIZE(fake), &site, NULL, 0, &opt, NULL,
					    NULL, &run, &cause), 0);
	assert_null(find(&run, "vpn"));			/* does not apply */
	assert_int_equal(run.n, ARRAY_SIZE(fake) - 1);
	assert_int_equal(find(&run, "a")->verdict, PROBE_PASS);
	assert_int_equal(find(&run, "b")->verdict, PROBE_FAIL);
	r = find(&run, "c");
	assert_int_equal(r->verdict, PROBE_SKIP);
	assert_string_equal(r->skip_reason_id, "b");
	assert_non_null(r->remedy.ja);
	r = find(&run, "c2");
	assert_int_equal(r->verdict, PROBE_SKIP);
	assert_string_equal(r->skip_reason_id, "c");
	r = find(&run, "hang");
	assert_int_equal(r->verdict, PROBE_ERROR);	/* killed at its 300 ms */
	assert_true(r->duration_ms >= 250 && r->duration_ms < 1500);
	assert_int_equal(find(&run, "after")->verdict, PROBE_PASS);	/* order only */
	assert_int_equal(find(&run, "die")->verdict, PROBE_ERROR);
	assert_int_equal(find(&run, "onvpn")->verdict, PROBE_PASS);
	r = find(&run, "saw");
	assert_string_equal(r->evidence[0], "a=PASS");
	r = find(&run, "nosum");
	assert_int_equal(r->verdict, PROBE_WARN);
	assert_non_null(r->remedy.en);			/* never a bare non-PASS */
	r = find(&run, "bg");
	assert_int_equal(r->verdict, PROBE_PASS);
	assert_string_equal(r->evidence[0], "stopped=1");
	assert_int_equal(run.overall, PROBE_ERROR);
	/* s1 and s2 (300 ms each) ran side by side with everything else. */
	assert_true(now_ms() - t0 < 1500);
	assert_int_equal(find(&run, "s1")->verdict, PROBE_PASS);
	probe_run_free(&run);
}

/* A run without the capture leaves out the background probe, and only it. */
static void test_runner_no_capture(void **state)
{
	static char tmp[] = "/tmp";
	struct site site = { .line = SITE_LINE_IPSEC, .run_dir = tmp };
	struct probe_options opt = { .timeout_ms = 2000, .total_timeout_ms = 10000, .no_capture = true };
	struct probe_run run;
	char *cause = NULL;
	size_t n;
	const struct probe *reg = probe_registry(&n);

	(void)state;
	assert_int_equal(probe_run_registry(fake, ARRAY_SIZE(fake), &site, NULL, 0, &opt, NULL,
					    NULL, &run, &cause), 0);
	assert_null(find(&run, "bg"));
	assert_int_equal(run.n, ARRAY_SIZE(fake) - 2);	/* bg and vpn */
	assert_int_equal(find(&run, "a")->verdict, PROBE_PASS);
	probe_run_free(&run);
	/* in the real registry, the background probe is the capture alone */
	for (size_t i = 0; i < n; i++)
		assert_int_equal((reg[i].flags & PROBE_BACKGROUND) != 0, strcmp(reg[i].id, "capture") == 0);
}

/* Old pcaps go: at most keep of them, within max_bytes, the newest stays. */
static void test_capture_prune(void **state)
{
	char dir[] = "/tmp/oqcapXXXXXX", *cause = NULL;
	static const char *const names[] = {
		"capture-20260101-000001-1.pcap", "capture-20260101-000002-1.pcap",
		"capture-20260101-000003-1.pcap", "capture-20260101-000004-1.pcap",
		"capture-20260101-000005-1.pcap",
	};
	char buf[1000];

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(buf, 'x', sizeof(buf));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		struct timespec ts[2] = { { 1000 + (time_t)i, 0 }, { 1000 + (time_t)i, 0 } };
		assert_int_equal(file_write_atomic(p, buf, sizeof(buf), 0600, &cause), 0);
		assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
		free(p);
	}
	char *other = xasprintf("%s/report.json", dir);
	assert_int_equal(file_write_atomic(other, buf, sizeof(buf), 0600, &cause), 0);
	/* five files: keep four */
	assert_int_equal(cap_prune(dir, 4, 1 << 20, &cause), 1);
	char *oldest = xasprintf("%s/%s", dir, names[0]), *newest = xasprintf("%s/%s", dir, names[4]);
	assert_int_equal(access(oldest, F_OK), -1);
	assert_int_equal(access(newest, F_OK), 0);
	/* 2500 bytes: the newest two fit */
	assert_int_equal(cap_prune(dir, 10, 2500, &cause), 2);
	assert_int_equal(access(newest, F_OK), 0);
	/* the newest stays even when it alone is too big */
	assert_int_equal(cap_prune(dir, 10, 10, &cause), 1);
	assert_int_equal(access(newest, F_OK), 0);
	assert_int_equal(access(other, F_OK), 0);	/* not a capture */
	assert_int_equal(cap_prune("/nonexistent/oq", 1, 1, &cause), -ENOENT);
	free(cause);
	unlink(newest);
	unlink(other);
	rmdir(dir);
	free(oldest);
	free(newest);
	free(other);
}

static void test_runner_select(void **state)
{
	struct site site = { .line = SITE_LINE_IPSEC };
	struct probe_run run;
	char *cause = NULL;
	const char *ids[] = { "c" };
	const char *bad[] = { "nope" };
	const char *vpn[] = { "vpn" };

	(void)state;
	assert_int_equal(probe_run_registry(fake, ARRAY_SIZE(fake), &site, ids, 1, NULL, NULL, NULL,
					    &run, &cause), 0);
	assert_int_equal(run.n, 3);	/* c with b and a */
	assert_string_equal(run.results[0].id, "a");
	assert_int_equal(run.overall, PROBE_FAIL);
	probe_run_free(&run);
	assert_int_equal(probe_run_registry(fake, ARRAY_SIZE(fake), &site, bad, 1, NULL, NULL, NULL,
					    &run, &cause), -EINVAL);
	assert_non_null(strstr(cause, "nope"));
	free(cause);
	cause = NULL;
	assert_int_equal(probe_run_registry(fake, ARRAY_SIZE(fake), &site, vpn, 1, NULL, NULL, NULL,
					    &run, &cause), -EINVAL);
	free(cause);
}

static int cancel_first_tick(void *ctx, enum probe_event ev, size_t i, const struct probe_result *r)
{
	int *events = ctx;

	(*events)++;
	return ev == PROBE_EV_TICK && *events > 3;
}

static void test_runner_cancel(void **state)
{
	struct site site = { .line = SITE_LINE_IPSEC };
	const char *ids[] = { "hang", "s1" };
	struct probe_run run;
	char *cause = NULL;
	int events = 0;

	(void)state;
	assert_int_equal(probe_run_registry(fake, ARRAY_SIZE(fake), &site, ids, 2, NULL,
					    cancel_first_tick, &events, &run, &cause), 0);
	assert_int_equal(find(&run, "hang")->verdict, PROBE_SKIP);
	assert_string_equal(find(&run, "hang")->skip_reason_id, "cancelled");
	assert_true(run.duration_ms < 1000);
	probe_run_free(&run);
}

static void test_runner_total_timeout(void **state)
{
	struct site site = { .line = SITE_LINE_IPSEC };
	struct probe_options opt = { .timeout_ms = 5000, .total_timeout_ms = 400 * test_slow() };
	const char *ids[] = { "after" };	/* waits for nothing: after only orders */
	const char *ids2[] = { "hang", "after" };
	struct probe_run run;
	char *cause = NULL;

	(void)state;
	assert_int_equal(probe_run_registry(fake, ARRAY_SIZE(fake), &site, ids, 1, &opt, NULL, NULL,
					    &run, &cause), 0);
	assert_int_equal(run.n, 1);
	assert_int_equal(run.overall, PROBE_PASS);
	probe_run_free(&run);
	assert_int_equal(probe_run_registry(fake, ARRAY_SIZE(fake), &site, ids2, 2, &opt, NULL, NULL,
					    &run, &cause), 0);
	assert_true(run.duration_ms < 1200 * test_slow());
	assert_int_equal(find(&run, "after")->verdict, PROBE_PASS);
	probe_run_free(&run);
}


/* ---- PROBE_BESIDE ---- */

static void fk_slow_fail(struct probe_ctx *ctx, struct probe_result *r)
{
	usleep(300 * 1000);
	probe_result_set(r, PROBE_FAIL, BT("だめ", "bad"), BT("直す", "fix it"));
}
/* Quick, with something measured that a SKIP must not keep. */
static void fk_measure(struct probe_ctx *ctx, struct probe_result *r)
{
	probe_result_evidence(r, "measured");
	probe_result_value(r, "v", BT("v", "v"), 1, "ms");
	probe_result_set(r, PROBE_PASS, BT("ok", "ok"), BT(NULL, NULL));
}

static const struct probe beside[] = {
	{ "gate", { "gate", "gate" }, NULL, NULL, fk_pass, 0, 0, NULL, NULL },
	{ "long", { "long", "long" }, D("gate"), NULL, fk_sleep, 0, 0, NULL, NULL },
	{ "side", { "side", "side" }, D("long"), NULL, fk_measure, 0, PROBE_BESIDE, NULL, NULL },
	{ "longbad", { "longbad", "longbad" }, D("gate"), NULL, fk_slow_fail, 0, 0, NULL, NULL },
	{ "sidebad", { "sidebad", "sidebad" }, D("longbad"), NULL, fk_measure, 0, PROBE_BESIDE,
	  NULL, NULL },
	{ "shut", { "shut", "shut" }, NULL, NULL, fk_fail, 0, 0, NULL, NULL },
	{ "never", { "never", "never" }, D("shut"), NULL, fk_sleep, 0, 0, NULL, NULL },
	{ "sidenever", { "sidenever", "sidenever" }, D("never"), NULL, fk_measure, 0, PROBE_BESIDE,
	  NULL, NULL },
	{ "sidehang", { "sidehang", "sidehang" }, D("long"), NULL, fk_hang, 0, PROBE_BESIDE, NULL, NULL },
	{ "afterlong", { "afterlong", "afterlong" }, D("long"), NULL, fk_pass, 0, 0, NULL, NULL },
};

/* The order of DONE events, as ids joined by spaces. */
static int record_done(void *ctx, enum probe_event ev, size_t index, const struct probe_result *r)
{
	char *order = ctx;

	if (ev == PROBE_EV_DONE && strlen(order) + strlen(r->id) + 2 < 256) {
		strcat(order, r->id);
		strcat(order, " ");
	}
	return 0;
}

/* A PROBE_BESIDE probe starts with its dependency instead of after it,
 * and is reported only when that one is done: as measured when it passed,
 * as a SKIP with nothing measured when it failed, as if it had waited. */
static void test_runner_beside(void **state)
{
	struct site site = { .line = SITE_LINE_IPSEC };
	struct probe_options opt = { .timeout_ms = 2000, .total_timeout_ms = 10000 };
	const char *ids[] = { "side", "sidebad", "sidenever" };
	const struct probe_result *r, *dep;
	struct probe_run run;
	char order[256] = "", *cause = NULL;
	int64_t t0 = now_ms();

	(void)state;
	assert_int_equal(probe_run_registry(beside, ARRAY_SIZE(beside), &site, ids, 3, &opt,
					    record_done, order, &run, &cause), 0);
	/* side and sidebad ran beside their 300 ms dependencies, not after */
	assert_true(now_ms() - t0 < 550 * test_slow());
	dep = find(&run, "long");
	r = find(&run, "side");
	assert_int_equal(r->verdict, PROBE_PASS);
	assert_int_equal(r->n_evidence, 1);
	assert_true(r->started_ms < dep->started_ms + dep->duration_ms);
	dep = find(&run, "longbad");
	r = find(&run, "sidebad");
	assert_int_equal(dep->verdict, PROBE_FAIL);
	assert_int_equal(r->verdict, PROBE_SKIP);
	assert_string_equal(r->skip_reason_id, "longbad");
	assert_int_equal(r->n_evidence, 0);
	assert_int_equal(r->n_values, 0);
	assert_int_equal(r->duration_ms, 0);
	/* a dependency that never started: the probe never starts either */
	assert_int_equal(find(&run, "never")->verdict, PROBE_SKIP);
	r = find(&run, "sidenever");
	assert_int_equal(r->verdict, PROBE_SKIP);
	assert_string_equal(r->skip_reason_id, "never");
	/* each reported after its dependency */
	char *side_at = strstr(order, "side "), *long_at = strstr(order, "long ");
	char *bad_at = strstr(order, "sidebad "), *longbad_at = strstr(order, "longbad ");
	assert_non_null(side_at);
	assert_non_null(bad_at);
	assert_true(long_at != NULL && long_at < side_at);
	assert_true(longbad_at != NULL && longbad_at < bad_at);
	assert_int_equal(run.overall, PROBE_FAIL);
	probe_run_free(&run);
}

/* A run that runs out of time while PROBE_BESIDE probes wait for their
 * dependency: they end as a probe that waited for it (afterlong) does,
 * whichever way the race between the dependency's own deadline and the
 * run's goes, with nothing measured; a cancelled run cancels them. */
static void test_runner_beside_stopped(void **state)
{
	struct site site = { .line = SITE_LINE_IPSEC };
	struct probe_options opt = { .timeout_ms = 5000, .total_timeout_ms = 200 };
	const char *ids[] = { "side", "sidehang", "afterlong" };
	const struct probe_result *r, *waited;
	struct probe_run run;
	char *cause = NULL;
	int events = 0;

	(void)state;
	assert_int_equal(probe_run_registry(beside, ARRAY_SIZE(beside), &site, ids, 3, &opt, NULL,
					    NULL, &run, &cause), 0);
	assert_int_equal(find(&run, "long")->verdict, PROBE_ERROR);
	waited = find(&run, "afterlong");
	assert_int_equal(waited->verdict, PROBE_SKIP);
	for (size_t k = 0; k < 2; k++) {
		r = find(&run, ids[k]);
		assert_int_equal(r->verdict, PROBE_SKIP);
		assert_string_equal(r->skip_reason_id, waited->skip_reason_id);
		assert_int_equal(r->n_evidence, 0);
	}
	assert_int_equal(run.overall, PROBE_ERROR);
	probe_run_free(&run);
	assert_int_equal(probe_run_registry(beside, ARRAY_SIZE(beside), &site, ids, 2, NULL,
					    cancel_first_tick, &events, &run, &cause), 0);
	for (size_t k = 0; k < 2; k++) {
		r = find(&run, ids[k]);
		assert_int_equal(r->verdict, PROBE_SKIP);
		assert_string_equal(r->skip_reason_id, "cancelled");
		assert_int_equal(r->n_evidence, 0);
	}
	probe_run_free(&run);
}

/* ---- the sandbox of the probes that parse network input ---- */

static int sb_fd = -1;

/* Setup runs before the sandbox: it may open files. */
static int sb_setup(struct probe_ctx *ctx, struct probe_result *r)
{
	sb_fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	return sb_fd >= 0 ? 0 : -1;
}

/* The run says what the sandbox let it do. */
static void sb_run(struct probe_ctx *ctx, struct probe_result *r)
{
	static char prog[] = "/bin/true";
	char c, *argv[] = { prog, NULL };
	int fd = open("/etc/passwd", O_RDONLY), e_open = errno;
	int fd2 = open("/tmp/oq-sandbox-test", O_WRONLY | O_CREAT | O_TRUNC, 0600), e_creat = errno;

	execv(argv[0], argv);
	probe_result_evidence(r, "open=%d/%s creat=%d/%s exec=%s uid=%s setup_fd=%s", fd,
			      strerror(e_open), fd2, strerror(e_creat), strerror(errno),
			      geteuid() == 0 ? "root" : "user",
			      read(sb_fd, &c, 1) == 1 ? "readable" : "closed");
	probe_result_set(r, PROBE_PASS, BT("ok", "ok"), BT(NULL, NULL));
}

/* The same opens without the sandbox. */
static void sb_free(struct probe_ctx *ctx, struct probe_result *r)
{
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);

	probe_result_evidence(r, "open=%s", fd >= 0 ? "ok" : strerror(errno));
	probe_result_set(r, PROBE_PASS, BT("ok", "ok"), BT(NULL, NULL));
}

static const struct probe sandboxed[] = {
	{ "sb", { "sb", "sb" }, NULL, NULL, sb_run, 0, PROBE_SANDBOX, sb_setup, NULL },
	{ "free", { "free", "free" }, NULL, NULL, sb_free, 0, 0, NULL, NULL },
};

/* A PROBE_SANDBOX probe cannot open, create or exec after its setup, runs as
 * an unprivileged user, and keeps what its setup opened; another probe is
 * not confined. */
static void test_runner_sandbox(void **state)
{
	static char tmp[] = "/tmp";
	struct site site = { .line = SITE_LINE_IPSEC, .run_dir = tmp };
	struct probe_options opt = { .timeout_ms = 3000, .total_timeout_ms = 10000 };
	struct probe_run run;
	char *cause = NULL, *want;
	const struct probe_result *r;

	unlink("/tmp/oq-sandbox-test");
	assert_int_equal(probe_run_registry(sandboxed, ARRAY_SIZE(sandboxed), &site, NULL, 0, &opt,
					    NULL, NULL, &run, &cause), 0);
	r = find(&run, "sb");
	assert_int_equal(r->verdict, PROBE_PASS);
	assert_int_equal(r->n_evidence, 1);
	want = xasprintf("open=-1/%s creat=-1/%s exec=%s uid=user setup_fd=readable",
			 strerror(EACCES), strerror(EACCES), strerror(EACCES));
	assert_string_equal(r->evidence[0], want);
	free(want);
	assert_int_equal(access("/tmp/oq-sandbox-test", F_OK), -1);
	r = find(&run, "free");
	assert_int_equal(r->verdict, PROBE_PASS);
	assert_string_equal(r->evidence[0], "open=ok");
	unlink("/tmp/oq-sandbox-test");
	probe_run_free(&run);
}

/* probe_sandbox_enter alone, in a child: no way back to root, no open. */
static void test_sandbox_enter(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (probe_sandbox_enter(NULL) < 0)
			_exit(10);
		if (getuid() == 0 || setuid(0) == 0)
			_exit(11);
		if (open("/etc/passwd", O_RDONLY) >= 0 || (errno != EACCES && errno != EPERM))
			_exit(12);
		if (openat(AT_FDCWD, "/tmp", O_TMPFILE | O_WRONLY, 0600) >= 0)
			_exit(13);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the registry ---- */

static void test_registry(void **state)
{
	size_t n;
	const struct probe *reg = probe_registry(&n);

	(void)state;
	assert_true(n >= 15);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(reg[i].title.ja);
		assert_non_null(reg[i].title.en);
		assert_ptr_equal(probe_find(reg[i].id), &reg[i]);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(reg[i].id, reg[j].id);
		/* Dependencies exist and come earlier (so there is no cycle). */
		for (const char *const *d = reg[i].deps; d && *d; d++) {
			const struct probe *p = probe_find(*d);

			assert_non_null(p);
			assert_true(p < &reg[i]);
		}
		for (const char *const *d = reg[i].after; d && *d; d++)
			assert_non_null(probe_find(*d));
	}
	assert_null(probe_find("nope"));
}

/* ---- parsers and thresholds ---- */

static void test_ping_stats(void **state)
{
	static const struct {
		double rtt[5];
		size_t n;
		unsigned received;
		double loss, min, avg, max, jitter;
		enum probe_verdict verdict;
	} cases[] = {
		{ { 1, 2, 3, 4, 5 }, 5, 5, 0, 1, 3, 5, 1, PROBE_PASS },
		{ { 1, -1, 3, -1, 5 }, 5, 3, 40, 1, 3, 5, 2, PROBE_FAIL },
		{ { 10, 10, 10, 10, -1 }, 5, 4, 20, 10, 10, 10, 0, PROBE_WARN },
		{ { -1, -1, -1 }, 3, 0, 100, 0, 0, 0, 0, PROBE_FAIL },
		{ { 200, 200, 200 }, 3, 3, 0, 200, 200, 200, 0, PROBE_WARN },
		{ { 10, 60, 10, 60 }, 4, 4, 0, 10, 35, 60, 50, PROBE_WARN },
		{ { 0 }, 0, 0, 0, 0, 0, 0, 0, PROBE_FAIL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ping_stats st;

		ping_stats_compute(cases[i].rtt, cases[i].n, &st);
		assert_int_equal(st.received, cases[i].received);
		assert_float_equal(st.loss_pct, cases[i].loss, 1e-9);
		assert_float_equal(st.min_ms, cases[i].min, 1e-9);
		assert_float_equal(st.avg_ms, cases[i].avg, 1e-9);
		assert_float_equal(st.max_ms, cases[i].max, 1e-9);
		assert_float_equal(st.jitter_ms, cases[i].jitter, 1e-9);
		assert_int_equal(reach_verdict(&st), cases[i].verdict);
	}
}

/* reach at each threshold and just beyond: loss FAIL above 20 %, any loss
 * a WARN, average RTT WARN above 150 ms, jitter WARN above 30 ms. */
static void test_reach_thresholds(void **state)
{
	static const struct {
		double loss, avg, jitter;
		enum probe_verdict verdict;
	} cases[] = {
		{ 0, 1, 0, PROBE_PASS },	{ 0.5, 1, 0, PROBE_WARN },   { 1, 1, 0, PROBE_WARN },
		{ 20, 1, 0, PROBE_WARN },	{ 20.01, 1, 0, PROBE_FAIL }, { 25, 1, 0, PROBE_FAIL },
		{ 30, 1, 0, PROBE_FAIL },	{ 35, 1, 0, PROBE_FAIL },    { 0, 150, 0, PROBE_PASS },
		{ 0, 150.01, 0, PROBE_WARN },	{ 0, 299, 0, PROBE_WARN },   { 0, 1, 30, PROBE_PASS },
		{ 0, 1, 30.01, PROBE_WARN },	{ 0, 1, 59, PROBE_WARN },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ping_stats st = { .sent = 100, .received = 100 - (unsigned)cases[i].loss,
					 .loss_pct = cases[i].loss, .avg_ms = cases[i].avg,
					 .jitter_ms = cases[i].jitter };
		if (reach_verdict(&st) != cases[i].verdict)
			fail_msg("loss %.2f %%, avg %.2f ms, jitter %.2f ms: verdict %d, want %d",
				 cases[i].loss, cases[i].avg, cases[i].jitter, reach_verdict(&st),
				 cases[i].verdict);
	}
	struct ping_stats none = { .sent = 0 }, lost = { .sent = 5, .received = 0, .loss_pct = 100 };
	assert_int_equal(reach_verdict(&none), PROBE_FAIL);
	assert_int_equal(reach_verdict(&lost), PROBE_FAIL);
}

/* reach's one series fits the probe's time: the echoes asked for when they
 * fit, fewer when not, never under 3, and the wait for the last between 200
 * and 1000 ms, whatever the time left (none at all included). */
static void test_reach_plan(void **state)
{
	static const struct {
		int remaining;
		unsigned interval, count;
		unsigned want_count;
		int want_wait;
	} cases[] = {
		{ 10000, 50, 20, 20, 1000 },	/* plenty: the full wait */
		{ 2000, 50, 20, 20, 800 },	/* 2000 - 1000 - 200 */
		{ 1400, 50, 20, 20, 200 },	/* just enough for the shortest wait */
		{ 1390, 50, 20, 15, 300 },	/* (1390 - 600) / 50 */
		{ 700, 50, 20, 3, 300 },	/* 100/50 = 2, at least 3 */
		{ 500, 50, 20, 3, 300 },	/* less than 600 left */
		{ 0, 50, 20, 3, 300 },
		{ -100, 50, 20, 3, 300 },	/* overran already */
		{ 5000, 0, 20, 20, 1000 },	/* no interval */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned count = cases[i].count;
		int wait = -1;

		reach_plan(cases[i].remaining, cases[i].interval, &count, &wait);
		if (count != cases[i].want_count || wait != cases[i].want_wait)
			fail_msg("%d ms left, %u x %u ms: %u echoes and %d ms, want %u and %d",
				 cases[i].remaining, cases[i].count, cases[i].interval, count,
				 wait, cases[i].want_count, cases[i].want_wait);
	}
}

/* An IPv4 header of 20 bytes before payload. */
static size_t ip4(uint8_t *buf, uint8_t proto, const char *src, const char *dst, const void *pl,
		  size_t len)
{
	memset(buf, 0, 20);
	buf[0] = 0x45;
	buf[9] = proto;
	inet_pton(AF_INET, src, buf + 12);
	inet_pton(AF_INET, dst, buf + 16);
	memcpy(buf + 20, pl, len);
	return 20 + len;
}

static void test_icmp(void **state)
{
	uint8_t echo[64], pkt[256], err[128];
	struct icmp_parsed ip;
	size_t n, m;

	(void)state;
	/* RFC 1071 example: 0001 f203 f4f5 f6f7 -> checksum ~0xddf2 = 0x220d */
	assert_int_equal(ntohs(inet_cksum((const uint8_t[]){ 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5,
							    0xf6, 0xf7 }, 8)), 0x220d);
	n = icmp4_build_echo(echo, 64, 0x1234, 7);
	assert_int_equal(n, 64);
	assert_int_equal(inet_cksum(echo, n), 0);	/* a correct checksum sums to zero */
	assert_int_equal(icmp4_build_echo(echo, 3, 1, 1), 8);

	/* An echo reply. */
	n = icmp4_build_echo(echo, 16, 0x1234, 7);
	echo[0] = 0;
	n = ip4(pkt, 1, "192.0.2.10", "192.168.20.1", echo, n);
	assert_true(icmp4_parse(pkt, n, &ip));
	assert_int_equal(ip.kind, ICMP_K_REPLY);
	assert_int_equal(ip.id, 0x1234);
	assert_int_equal(ip.seq, 7);

	/* Frag needed quoting our echo, next-hop MTU 1280. */
	n = icmp4_build_echo(echo, 16, 0x4321, 3);
	m = ip4(pkt, 1, "192.168.20.1", "192.0.2.10", echo, n);
	memset(err, 0, 8);
	err[0] = 3;
	err[1] = 4;
	err[6] = 1280 >> 8;
	err[7] = 1280 & 0xff;
	memcpy(err + 8, pkt, m);
	n = ip4(pkt, 1, "198.51.100.1", "192.168.20.1", err, 8 + m);
	assert_true(icmp4_parse(pkt, n, &ip));
	assert_int_equal(ip.kind, ICMP_K_ERROR);
	assert_int_equal(ip.id, 0x4321);
	assert_int_equal(ip.seq, 3);
	assert_int_equal(ip.next_mtu, 1280);

	/* Short, not IPv4, not ICMP, an error quoting something else. */
	assert_false(icmp4_parse(pkt, 10, &ip));
	pkt[0] = 0x65;
	assert_false(icmp4_parse(pkt, n, &ip));
	n = ip4(pkt, 17, "1.2.3.4", "5.6.7.8", echo, 16);
	assert_false(icmp4_parse(pkt, n, &ip));
	err[8 + 20] = 13;	/* the quoted packet is a timestamp, not an echo */
	n = ip4(pkt, 1, "198.51.100.1", "192.168.20.1", err, 8 + m);
	assert_false(icmp4_parse(pkt, n, &ip));
}

static void test_dns_rcode(void **state)
{
	(void)state;
	assert_string_equal(dns_status_rcode(0), "NOERROR");
	assert_string_equal(dns_status_rcode(4), "NXDOMAIN");	/* ARES_ENOTFOUND */
	assert_string_equal(dns_status_rcode(3), "SERVFAIL");	/* ARES_ESERVFAIL */
	assert_string_equal(dns_status_rcode(12), "TIMEOUT");	/* ARES_ETIMEOUT */
	assert_string_equal(dns_status_rcode(6), "REFUSED");	/* ARES_EREFUSED */
	assert_string_equal(dns_status_rcode(1), "NODATA");	/* ARES_ENODATA */
	assert_string_equal(dns_status_rcode(9999), "ERROR");
}

static void test_http(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		int code;
	} st[] = {
		{ "HTTP/1.1 200 Connection established\r\n", true, 200 },
		{ "HTTP/1.0 403 Forbidden\r\n", true, 403 },
		{ "HTTP/1.1 502\r\n", true, 502 },
		{ "HTTP/2 200\r\n", false, 0 },
		{ "HTTP/1.1 20 short\r\n", false, 0 },
		{ "HTTP/1.1 2000 long\r\n", false, 0 },
		{ "SSH-2.0-OpenSSH\r\n", false, 0 },
		{ "", false, 0 },
		{ "HTTP/1.1 099 low\r\n", false, 0 },
	};
	static const struct {
		const char *url;
		bool ok;
		const char *host;
		unsigned port;
		const char *path;
	} urls[] = {
		{ "http://www.lineauth.mnw/", true, "www.lineauth.mnw", 80, "/" },
		{ "http://www.lineauth.mnw", true, "www.lineauth.mnw", 80, "/" },
		{ "http://192.0.2.20:8080/a?b=c", true, "192.0.2.20", 8080, "/a?b=c" },
		{ "https://x/", false, NULL, 0, NULL },
		{ "http://:80/", false, NULL, 0, NULL },
		{ "http://x:0/", false, NULL, 0, NULL },
		{ "http://x:99999/", false, NULL, 0, NULL },
		{ "http://x:8a/", false, NULL, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(st); i++) {
		int code = 0;

		assert_int_equal(http_status_parse(st[i].s, &code), st[i].ok);
		if (st[i].ok)
			assert_int_equal(code, st[i].code);
	}
	for (size_t i = 0; i < ARRAY_SIZE(urls); i++) {
		char *host, *path;
		unsigned port;

		assert_int_equal(http_url_parse(urls[i].url, &host, &port, &path), urls[i].ok);
		if (urls[i].ok) {
			assert_string_equal(host, urls[i].host);
			assert_int_equal(port, urls[i].port);
			assert_string_equal(path, urls[i].path);
		}
		free(host);
		free(path);
	}
}

static void test_arp(void **state)
{
	const uint8_t own[6] = { 2, 0, 0, 0, 0, 1 }, other[6] = { 2, 0, 0, 0, 0, 2 };
	uint8_t pkt[28] = { 0, 1, 8, 0, 6, 4, 0, 2 }, mac[6];
	uint32_t target;
	char b[18];

	(void)state;
	inet_pton(AF_INET, "198.51.100.1", &target);
	memcpy(pkt + 8, other, 6);
	memcpy(pkt + 14, &target, 4);
	assert_true(arp_parse_reply(pkt, 28, target, own, mac));
	assert_string_equal(mac_str(mac, b), "02:00:00:00:00:02");
	assert_false(arp_parse_reply(pkt, 27, target, own, mac));
	assert_false(arp_parse_reply(pkt, 28, target + 1, own, mac));
	assert_false(arp_parse_reply(pkt, 28, target, other, mac));	/* our own answer */
	pkt[7] = 1;							/* a request */
	assert_false(arp_parse_reply(pkt, 28, target, own, mac));
}

static void test_sntp(void **state)
{
	uint8_t req[NTP_PACKET], rep[NTP_PACKET];
	struct sntp_reply r;
	const char *why;
	double t1 = 1790000000.25, off, delay;

	(void)state;
	sntp_build(req, t1);
	assert_int_equal(req[0], 0x23);		/* LI 0, VN 4, mode 3 */
	/* A server 10 s ahead, 20 ms each way, 1 ms inside. */
	memcpy(rep, req, sizeof(rep));
	rep[0] = 0x24;
	rep[1] = 2;
	memcpy(rep + 12, "GPS\0", 4);
	memcpy(rep + 24, req + 40, 8);		/* originate = our transmit */
	sntp_build(req, t1 + 10.020);
	memcpy(rep + 32, req + 40, 8);		/* receive */
	sntp_build(req, t1 + 10.021);
	memcpy(rep + 40, req + 40, 8);		/* transmit */
	assert_true(sntp_parse(rep, sizeof(rep), t1, &r, &why));
	assert_int_equal(r.stratum, 2);
	assert_string_equal(r.refid, "GPS.");
	sntp_offset(&r, t1 + 0.041, &off, &delay);
	assert_float_equal(off, 10.0, 1e-3);
	assert_float_equal(delay, 0.040, 1e-3);

	assert_false(sntp_parse(rep, 47, t1, &r, &why));
	assert_false(sntp_parse(rep, sizeof(rep), t1 + 1, &r, &why));
	assert_string_equal(why, "reply to another request");
	rep[1] = 0;
	assert_false(sntp_parse(rep, sizeof(rep), t1, &r, &why));
	assert_string_equal(why, "kiss-of-death");
	rep[1] = 2;
	rep[0] = 0xe4;
	assert_false(sntp_parse(rep, sizeof(rep), t1, &r, &why));
	assert_string_equal(why, "server not synchronised");
	rep[0] = 0x23;
	assert_false(sntp_parse(rep, sizeof(rep), t1, &r, &why));
}

static void test_clock_thresholds(void **state)
{
	static const struct {
		double offset;
		enum probe_verdict verdict;
	} cases[] = {
		{ 0, PROBE_PASS },	  { 0.999, PROBE_PASS }, { -1.0, PROBE_PASS },
		{ 1.001, PROBE_WARN },	  { -45, PROBE_WARN },	 { 300, PROBE_WARN },
		{ 300.5, PROBE_FAIL },	  { -3600, PROBE_FAIL }, { 86400 * 400.0, PROBE_FAIL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(clock_verdict(cases[i].offset), cases[i].verdict);
}

static void test_cert_thresholds(void **state)
{
	static const struct {
		double days;
		enum probe_verdict verdict;
		int row;	/* index into cert_thresholds, -1 for none */
	} cases[] = {
		{ 1186, PROBE_PASS, -1 }, { 91, PROBE_PASS, -1 }, { 90.9, PROBE_WARN, 4 },
		{ 90, PROBE_WARN, 4 },	  { 61, PROBE_WARN, 4 },  { 60.5, PROBE_WARN, 3 },
		{ 31, PROBE_WARN, 3 },	  { 30, PROBE_WARN, 2 },  { 8, PROBE_WARN, 2 },
		{ 7.99, PROBE_FAIL, 1 },  { 0.1, PROBE_FAIL, 1 }, { -0.01, PROBE_FAIL, 0 },
		{ -400, PROBE_FAIL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bitext *rem = NULL;

		assert_int_equal(cert_days_verdict(cases[i].days, &rem), cases[i].verdict);
		if (cases[i].row < 0) {
			assert_null(rem);
		} else {
			assert_ptr_equal(rem, &cert_thresholds[cases[i].row].remedy);
			assert_non_null(rem->ja);
			assert_non_null(rem->en);
		}
	}
}

static void test_pmtu_thresholds(void **state)
{
	struct site s = { .line = SITE_LINE_IPSEC, .tunnel_mtu = 1400, .wan_mtu = 1500 };

	(void)state;
	assert_int_equal(pmtu_verdict(1400, 1400, false), PROBE_PASS);
	assert_int_equal(pmtu_verdict(1500, 1400, false), PROBE_PASS);
	assert_int_equal(pmtu_verdict(1280, 1400, true), PROBE_WARN);
	assert_int_equal(pmtu_verdict(1280, 1400, false), PROBE_FAIL);
	assert_int_equal(pmtu_verdict(0, 1400, true), PROBE_FAIL);
	assert_int_equal(pmtu_expected(&s), 1400);
	s.tunnel_mtu = 0;
	assert_int_equal(pmtu_expected(&s), 1500);
	s.line = SITE_LINE_IPVPN;
	s.tunnel_mtu = 1400;
	assert_int_equal(pmtu_expected(&s), 1500);
	s.wan_mtu = 0;
	assert_int_equal(pmtu_expected(&s), 1500);
}

static void test_capture_count(void **state)
{
	uint8_t pkt[128], udp[64];
	struct cap_counts c = { 0 };
	uint32_t wan;
	size_t n;

	(void)state;
	inet_pton(AF_INET, "198.51.100.2", &wan);
	/* IKE out on 500, IKE in on 4500 (non-ESP marker), ESP-in-UDP in,
	 * keepalive out, raw ESP out, an ICMP error in, a fragment, a stranger. */
	memset(udp, 0, sizeof(udp));
	udp[0] = 500 >> 8, udp[1] = 500 & 0xff, udp[2] = 500 >> 8, udp[3] = 500 & 0xff;
	n = ip4(pkt, 17, "198.51.100.2", "203.0.113.1", udp, 40);
	cap_count(pkt, n, wan, &c);
	udp[0] = 4500 >> 8, udp[1] = 4500 & 0xff, udp[2] = 4500 >> 8, udp[3] = 4500 & 0xff;
	n = ip4(pkt, 17, "203.0.113.1", "198.51.100.2", udp, 40);
	cap_count(pkt, n, wan, &c);
	udp[8] = 0x3d;	/* an SPI: ESP */
	n = ip4(pkt, 17, "203.0.113.1", "198.51.100.2", udp, 40);
	cap_count(pkt, n, wan, &c);
	udp[8] = 0xff;
	n = ip4(pkt, 17, "198.51.100.2", "203.0.113.1", udp, 9);
	cap_count(pkt, n, wan, &c);
	n = ip4(pkt, 50, "198.51.100.2", "203.0.113.1", udp, 40);
	cap_count(pkt, n, wan, &c);
	memset(udp, 0, 8);
	udp[0] = 3, udp[1] = 4;
	n = ip4(pkt, 1, "198.51.100.1", "198.51.100.2", udp, 36);
	cap_count(pkt, n, wan, &c);
	n = ip4(pkt, 50, "198.51.100.2", "203.0.113.1", udp, 40);
	pkt[6] = 0x20;	/* more fragments */
	cap_count(pkt, n, wan, &c);
	n = ip4(pkt, 50, "10.0.0.1", "10.0.0.2", udp, 40);
	cap_count(pkt, n, wan, &c);
	cap_count(pkt, 10, wan, &c);

	assert_int_equal(c.ike[CAP_OUT], 1);
	assert_int_equal(c.ike[CAP_IN], 1);
	assert_int_equal(c.natt_esp[CAP_IN], 1);
	assert_int_equal(c.natt_esp[CAP_OUT], 0);
	assert_int_equal(c.keepalive[CAP_OUT], 1);
	assert_int_equal(c.esp[CAP_OUT], 2);
	assert_int_equal(c.esp[CAP_IN], 0);
	assert_int_equal(c.frags, 1);
	assert_int_equal(c.icmp_errors, 1);
	assert_non_null(strstr(c.first_icmp, "frag needed"));
}

static void test_proposals(void **state)
{
	static const struct {
		const char *props, *encr;
		unsigned keysize;
		const char *integ, *dh;
		bool ok;
	} cases[] = {
		{ "aes256-sha256-modp2048", "AES_CBC", 256, "HMAC_SHA2_256_128", "MODP_2048", true },
		{ "aes256-sha256-modp2048", "AES_CBC", 128, "HMAC_SHA2_256_128", "MODP_2048", false },
		{ "aes256-sha256-modp2048", "AES_CBC", 256, "HMAC_SHA1_96", "MODP_2048", false },
		{ "aes256-sha256-modp2048", "AES_CBC", 256, "HMAC_SHA2_256_128", "MODP_3072", false },
		{ "aes128-sha1-modp1024, aes256-sha256-ecp256", "AES_CBC", 256, "HMAC_SHA2_256_128",
		  "ECP_256", true },
		{ "aes256gcm16-modp2048", "AES_GCM_16", 256, NULL, NULL, true },	/* no PFS yet */
		{ "aes256gcm16-modp2048", "AES_GCM_16", 256, NULL, "MODP_2048", true },
		{ "aes256gcm16-modp2048", "AES_GCM_16", 128, NULL, NULL, false },
		{ "aes256-aes128-sha256-sha1-modp2048", "AES_CBC", 128, "HMAC_SHA1_96", "MODP_2048", true },
		{ "aes256-sha256-prfsha256-curve25519", "AES_CBC", 256, "HMAC_SHA2_256_128",
		  "CURVE_25519", true },
		{ "default", "3DES_CBC", 0, "HMAC_MD5_96", "MODP_1024", true },
		{ "aes256-sha256-modp2048, default", "CHACHA20_POLY1305", 0, NULL, "CURVE_25519", true },
		{ "blowfish-sha256-modp2048", "BLOWFISH_CBC", 256, "HMAC_SHA2_256_128", "MODP_2048", false },
		{ "", "AES_CBC", 256, NULL, NULL, false },
		{ NULL, "AES_CBC", 256, NULL, NULL, false },
		{ "aes256-sha256", NULL, 0, NULL, NULL, false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(proposal_allows(cases[i].props, cases[i].encr, cases[i].keysize,
						 cases[i].integ, cases[i].dh), cases[i].ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runner_graph),	 cmocka_unit_test(test_runner_select),
		cmocka_unit_test(test_runner_cancel),	 cmocka_unit_test(test_runner_total_timeout),
		cmocka_unit_test(test_runner_sandbox),
		cmocka_unit_test(test_runner_beside),	 cmocka_unit_test(test_runner_beside_stopped),
		cmocka_unit_test(test_sandbox_enter),
		cmocka_unit_test(test_registry),	 cmocka_unit_test(test_ping_stats),
		cmocka_unit_test(test_reach_thresholds),
		cmocka_unit_test(test_reach_plan),
		cmocka_unit_test(test_icmp),		 cmocka_unit_test(test_dns_rcode),
		cmocka_unit_test(test_http),		 cmocka_unit_test(test_arp),
		cmocka_unit_test(test_sntp),		 cmocka_unit_test(test_clock_thresholds),
		cmocka_unit_test(test_cert_thresholds), cmocka_unit_test(test_pmtu_thresholds),
		cmocka_unit_test(test_capture_count),	 cmocka_unit_test(test_capture_prune),
		cmocka_unit_test(test_runner_no_capture),	 cmocka_unit_test(test_proposals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
