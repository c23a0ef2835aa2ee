/* The runner: the probes as a dependency graph, in parallel, with timeouts.
 *
 * Each probe runs in a child process of its own (fork, no exec), and sends
 * its result back as one JSON document (probe_result_to_json) on a pipe.
 * Processes rather than threads, because:
 *   - a probe that hangs inside a library call (a resolver, a TLS handshake,
 *     a blocking pcap read) can be killed at its deadline with SIGKILL; a
 *     thread cannot be stopped safely, so a thread runner's timeouts would
 *     only be as good as every library's own;
 *   - a probe that crashes on a hostile answer (a TLS server, a DNS reply)
 *     costs that one result, reported as ERROR, not the whole run;
 *   - probes need not be thread-safe (c-ares channels, OpenSSL error queues,
 *     libpcap handles, setsockopt on shared state), and each sees the
 *     finished results of its dependencies as they were when it was forked;
 *   - a probe that parses what the network sends (PROBE_SANDBOX) can give
 *     up root and the file system in its own process (probe_sandbox_enter)
 *     while the others keep what they need;
 *   - the cost, about a millisecond per fork, is nothing next to a probe.
 * The parent process only schedules: it polls the result pipes, kills on
 * deadline, SKIPs dependents of failures, and reports progress. */
#include "probes/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_TOTAL_MS 60000
#define TICK_MS 100
#define READY_WAIT_MS 1000	/* longest wait for a background probe to be ready */
#define MAX_RESULT (4 << 20)

struct runner;

struct probe_ctx {
	const struct site *site;
	const struct runner *rn;
	int64_t deadline;		/* monotonic */
	const char *out_dir;
	int stop_fd;
	int result_fd;
	bool ready_sent;
};

/* HELD: a PROBE_BESIDE probe finished, its result waiting for its deps. */
enum slot_state { SLOT_WAIT, SLOT_RUNNING, SLOT_HELD, SLOT_DONE };

struct slot {
	const struct probe *p;
	enum slot_state st;
	pid_t pid;
	int fd;				/* read end of the result pipe */
	int stop_wr;			/* background probes: write end of the stop pipe */
	char *buf;
	size_t len;
	int64_t start, deadline;	/* monotonic */
	bool ready;			/* background probe said it is ready */
	bool timed_out;
};

struct runner {
	const struct probe *reg;	/* the registry to take probes from */
	size_t n_reg;
	const struct site *site;
	struct probe_options opt;
	struct probe_run *run;
	struct slot *slots;		/* parallel to run->results */
	size_t n;
	probe_progress_fn *fn;
	void *fn_ctx;
	int64_t deadline;		/* whole run, monotonic */
};

const struct probe_result *probe_ctx_result(const struct probe_ctx *ctx, const char *id)
{
	for (size_t i = 0; i < ctx->rn->n; i++)
		if (strcmp(ctx->rn->slots[i].p->id, id) == 0)
			return ctx->rn->slots[i].st == SLOT_DONE ? &ctx->rn->run->results[i] : NULL;
	return NULL;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct site *probe_ctx_site(const struct probe_ctx *ctx) { return ctx->site; }
const char *probe_ctx_out_dir(const struct probe_ctx *ctx) { return ctx->out_dir; }
int probe_ctx_stop_fd(const struct probe_ctx *ctx) { return ctx->stop_fd; }

int probe_ctx_remaining_ms(const struct probe_ctx *ctx)
{
	int64_t left = ctx->deadline - now_ms();

	return left < 0 ? 0 : left > 3600000 ? 3600000 : (int)left;
}

/* One byte before the JSON says "ready" (only background probes send it). */
#define READY_BYTE '\x06'

void probe_ctx_ready(struct probe_ctx *ctx)
{
	char c = READY_BYTE;

	if (ctx->ready_sent || ctx->stop_fd < 0)
		return;
	ctx->ready_sent = true;
	if (write(ctx->result_fd, &c, 1) != 1)
		return;
}

bool probe_applies(const struct probe *p, const struct site *site)
{
	if ((p->flags & PROBE_IPSEC_ONLY) && site->line != SITE_LINE_IPSEC)
		return false;
	if ((p->flags & PROBE_IPVPN_ONLY) && site->line != SITE_LINE_IPVPN)
		return false;
	return true;
}

const struct probe *probe_find(const char *id)
{
	size_t n;
	const struct probe *reg = probe_registry(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(reg[i].id, id) == 0)
			return &reg[i];
	return NULL;
}

static ssize_t slot_index(const struct runner *rn, const char *id)
{
	for (size_t i = 0; i < rn->n; i++)
		if (strcmp(rn->slots[i].p->id, id) == 0)
			return (ssize_t)i;
	return -1;
}

/* Mark p and, recursively, the probes it depends on that apply to the site. */
static void select_probe(const struct probe *reg, size_t n_reg, bool *want, size_t i,
			 const struct site *site)
{
	if (want[i] || !probe_applies(&reg[i], site))
		return;
	want[i] = true;
	for (const char *const *d = reg[i].deps; d != NULL && *d != NULL; d++)
		for (size_t j = 0; j < n_reg; j++)
			if (strcmp(reg[j].id, *d) == 0)
				select_probe(reg, n_reg, want, j, site);
}

static ssize_t reg_index(const struct runner *rn, const char *id)
{
	for (size_t i = 0; i < rn->n_reg; i++)
		if (strcmp(rn->reg[i].id, id) == 0)
			return (ssize_t)i;
	return -1;
}

/* Fill the slots and the result skeletons for the selected probes. */
static int runner_select(struct runner *rn, const char *const *ids, size_t n_ids, char **cause)
{
	const struct probe *reg = rn->reg;
	size_t n_reg = rn->n_reg;
	bool *want = xcalloc(n_reg ? n_reg : 1, sizeof(*want));

	for (size_t k = 0; k < n_ids; k++) {
		ssize_t i = reg_index(rn, ids[k]);

		if (i < 0) {
			free(want);
			return cause_set(cause, EINVAL, _("不明なプローブ '%s' です (oqlink probe --list で一覧)",
							  "unknown probe '%s' (see oqlink probe --list)"),
					 ids[k]);
		}
		if (!probe_applies(&reg[i], rn->site)) {
			free(want);
			return cause_set(cause, EINVAL,
					 _("プローブ '%s' はこの回線種別 (%s) では使いません",
					   "probe '%s' does not apply to this line type (%s)"),
					 ids[k], site_line_name(rn->site->line));
		}
		select_probe(reg, n_reg, want, (size_t)i, rn->site);
	}
	for (size_t i = 0; n_ids == 0 && i < n_reg; i++)
		if (probe_applies(&reg[i], rn->site) &&
		    !(rn->opt.no_capture && (reg[i].flags & PROBE_BACKGROUND)))
			want[i] = true;

	rn->slots = xcalloc(n_reg ? n_reg : 1, sizeof(*rn->slots));
	rn->run->results = xcalloc(n_reg ? n_reg : 1, sizeof(*rn->run->results));
	for (size_t i = 0; i < n_reg; i++) {
		if (!want[i])
			continue;
		rn->slots[rn->n] = (struct slot){ .p = &reg[i], .fd = -1, .stop_wr = -1 };
		probe_result_init(&rn->run->results[rn->n], reg[i].id, reg[i].title);
		rn->n++;
	}
	rn->run->n = rn->n;
	free(want);
	return 0;
}

static bool verdict_blocks(enum probe_verdict v)
{
	return v == PROBE_FAIL || v == PROBE_ERROR || v == PROBE_SKIP;
}

static int emit(struct runner *rn, enum probe_event ev, size_t i)
{
	if (rn->fn == NULL)
		return 0;
	return rn->fn(rn->fn_ctx, ev, i, ev == PROBE_EV_TICK ? NULL : &rn->run->results[i]);
}

/* Finish slot i with a result made here (SKIP, ERROR), keeping id and title. */
static void slot_finish_local(struct runner *rn, size_t i, enum probe_verdict v,
			      struct bitext summary, struct bitext remedy, const char *reason)
{
	struct probe_result *r = &rn->run->results[i];

	probe_result_set(r, v, summary, remedy);
	free(r->skip_reason_id);
	r->skip_reason_id = reason ? xstrdup(reason) : NULL;
	if (r->started_ms == 0)
		r->started_ms = wall_ms();
	rn->slots[i].st = SLOT_DONE;
}

/* SKIP slot i because its dependency dep did not pass. */
static void slot_skip(struct runner *rn, size_t i, const char *dep, enum probe_verdict dv)
{
	char *ja = xasprintf("依存するプローブ %s が %s のため実行しませんでした", dep,
			     probe_verdict_name(dv));
	char *en = xasprintf("not run: the probe it depends on, %s, gave %s", dep,
			     probe_verdict_name(dv));
	char *rja = xasprintf("先にプローブ %s の問題を解決してください。", dep);
	char *ren = xasprintf("Resolve the problem that probe %s reports first.", dep);

	slot_finish_local(rn, i, PROBE_SKIP, BT(ja, en), BT(rja, ren), dep);
	free(ja);
	free(en);
	free(rja);
	free(ren);
}

/* Whether slot i may start now; SKIPs it when a dependency failed. */
static bool slot_ready(struct runner *rn, size_t i)
{
	const struct probe *p = rn->slots[i].p;
	bool ready = true;

	for (const char *const *d = p->deps; d != NULL && *d != NULL; d++) {
		ssize_t j = slot_index(rn, *d);

		if (j < 0)
			continue;	/* does not apply to this site */
		if (rn->slots[j].st != SLOT_DONE) {
			/* PROBE_BESIDE: started is enough */
			if (!(p->flags & PROBE_BESIDE) || rn->slots[j].st == SLOT_WAIT)
				ready = false;
			continue;
		}
		if (verdict_blocks(rn->run->results[j].verdict)) {
			slot_skip(rn, i, *d, rn->run->results[j].verdict);
			emit(rn, PROBE_EV_DONE, i);
			return false;
		}
	}
	for (const char *const *d = p->after; d != NULL && *d != NULL; d++) {
		ssize_t j = slot_index(rn, *d);

		if (j >= 0 && rn->slots[j].st != SLOT_DONE)
			ready = false;
	}
	return ready;
}

/* Whether a dependency of slot i, a PROBE_BESIDE one, has not finished. */
static bool beside_pending(const struct runner *rn, size_t i)
{
	if (!(rn->slots[i].p->flags & PROBE_BESIDE))
		return false;
	for (const char *const *d = rn->slots[i].p->deps; d != NULL && *d != NULL; d++) {
		ssize_t j = slot_index(rn, *d);

		if (j >= 0 && rn->slots[j].st != SLOT_DONE)
			return true;
	}
	return false;
}

/* Forget what slot i measured (it is to be a SKIP, as if it never ran):
 * only its id and title stay. */
static void slot_unrun(struct runner *rn, size_t i)
{
	struct probe_result *r = &rn->run->results[i];
	char *id = r->id;
	struct bitext title = r->title;

	r->id = NULL;
	r->title = BT(NULL, NULL);
	probe_result_clear(r);
	probe_result_init(r, id, title);
	free(id);
	free((char *)(uintptr_t)title.ja);
	free((char *)(uintptr_t)title.en);
}

static void slot_collect(struct runner *rn, size_t i);

/* A PROBE_BESIDE slot that has its result is HELD, to be settled by
 * release_held at the top of the next round (after the check for the end
 * of the run, as the dependents that wait are). True when held. */
static bool slot_hold(struct runner *rn, size_t i)
{
	if (!(rn->slots[i].p->flags & PROBE_BESIDE))
		return false;
	rn->slots[i].st = SLOT_HELD;
	return true;
}

/* The dependency of PROBE_BESIDE slot i that failed, or NULL. */
static const char *beside_failed(const struct runner *rn, size_t i, enum probe_verdict *v)
{
	for (const char *const *d = rn->slots[i].p->deps; d != NULL && *d != NULL; d++) {
		ssize_t j = slot_index(rn, *d);

		if (j >= 0 && rn->slots[j].st == SLOT_DONE &&
		    verdict_blocks(rn->run->results[j].verdict)) {
			*v = rn->run->results[j].verdict;
			return *d;
		}
	}
	return NULL;
}

/* Settle the PROBE_BESIDE slots whose deps have finished: DONE as measured
 * when they passed; when one failed, a SKIP with nothing measured, as if
 * the probe had waited (one still running is stopped: it means nothing). */
static void release_held(struct runner *rn)
{
	for (size_t i = 0; i < rn->n; i++) {
		struct slot *s = &rn->slots[i];
		enum probe_verdict v;
		const char *dep;

		if (!(s->p->flags & PROBE_BESIDE) || (s->st != SLOT_HELD && s->st != SLOT_RUNNING) ||
		    beside_pending(rn, i))
			continue;
		dep = beside_failed(rn, i, &v);
		if (s->st == SLOT_RUNNING) {
			if (dep == NULL)
				continue;
			s->timed_out = true;
			kill(s->pid, SIGKILL);
			slot_collect(rn, i);
		}
		if (dep != NULL) {
			slot_unrun(rn, i);
			slot_skip(rn, i, dep, v);
		}
		s->st = SLOT_DONE;
		emit(rn, PROBE_EV_DONE, i);
	}
}

/* In the child: close every descriptor of the other slots, so that a
 * background probe sees its stop pipe close when the parent closes it. */
static void child_close_others(struct runner *rn, size_t self)
{
	for (size_t k = 0; k < rn->n; k++) {
		if (k == self)
			continue;
		if (rn->slots[k].fd >= 0)
			close(rn->slots[k].fd);
		if (rn->slots[k].stop_wr >= 0)
			close(rn->slots[k].stop_wr);
	}
}

/* In the child, before run: a PROBE_SANDBOX probe's setup, then the
 * sandbox. False when the result is already set (setup failed, or the
 * sandbox could not be entered: the probe does not run unconfined). */
static bool child_prepare(struct probe_ctx *ctx, const struct probe *p, struct probe_result *r)
{
	char *cause = NULL;

	if (!(p->flags & PROBE_SANDBOX))
		return true;
	if (p->setup != NULL && p->setup(ctx, r) != 0) {
		probe_ctx_ready(ctx);
		return false;
	}
	if (probe_sandbox_enter(&cause) == 0)
		return true;
	probe_ctx_ready(ctx);
	probe_result_evidence(r, "sandbox: %s", cause);
	probe_result_set(r, PROBE_ERROR, BT("サンドボックスに入れないため実行しませんでした",
					    "not run: could not enter the sandbox"),
			 BT("根拠の理由を確認してください (nobody ユーザ、seccomp を使えるカーネル)。",
			    "See the reason in the evidence (the nobody user, a kernel with seccomp)."));
	free(cause);
	return false;
}

/* In the child: run the probe and write its result; never returns. */
static void __attribute__((noreturn))
child_main(struct runner *rn, size_t i, int result_fd, int stop_fd, int64_t deadline)
{
	struct probe_ctx ctx = {
		.site = rn->site, .rn = rn, .deadline = deadline,
		.out_dir = rn->opt.out_dir, .stop_fd = stop_fd, .result_fd = result_fd,
	};
	struct probe_result *r = &rn->run->results[i];
	struct json_object *o;
	const char *s;
	size_t len, off = 0;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	child_close_others(rn, i);
	r->started_ms = wall_ms();
	if (child_prepare(&ctx, rn->slots[i].p, r))
		rn->slots[i].p->run(&ctx, r);
	if (r->verdict != PROBE_PASS && r->remedy.ja == NULL && r->remedy.en == NULL)
		probe_result_set(r, r->verdict, r->summary,
				 BT("この結果の根拠を確認してください。", "Check the evidence of this result."));
	o = probe_result_to_json(r);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	while (off < len) {
		ssize_t w = write(result_fd, s + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	_exit(off == len ? 0 : 1);
}

/* Fork slot i. */
static int slot_start(struct runner *rn, size_t i)
{
	struct slot *s = &rn->slots[i];
	int rp[2], sp[2] = { -1, -1 };
	int timeout = s->p->timeout_ms > 0 ? s->p->timeout_ms : rn->opt.timeout_ms;
	bool bg = s->p->flags & PROBE_BACKGROUND;
	pid_t pid;

	if (pipe2(rp, O_CLOEXEC) < 0)
		return -errno;
	if (bg && pipe2(sp, O_CLOEXEC) < 0) {
		close(rp[0]);
		close(rp[1]);
		return -errno;
	}
	s->start = now_ms();
	s->deadline = bg ? rn->deadline : s->start + timeout;
	if (s->deadline > rn->deadline)
		s->deadline = rn->deadline;
	rn->run->results[i].started_ms = wall_ms();
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(rp[0]);
		close(rp[1]);
		if (bg) {
			close(sp[0]);
			close(sp[1]);
		}
		return e;
	}
	if (pid == 0) {
		close(rp[0]);
		if (bg)
			close(sp[1]);
		/* The child finishes a little before the parent kills it. */
		child_main(rn, i, rp[1], sp[0], s->deadline - 100);
	}
	close(rp[1]);
	if (bg)
		close(sp[0]);
	s->pid = pid;
	s->fd = rp[0];
	s->stop_wr = sp[1];
	s->st = SLOT_RUNNING;
	return 0;
}

/* The child's result arrived (or did not): parse it or make an ERROR. */
static void slot_collect(struct runner *rn, size_t i)
{
	struct slot *s = &rn->slots[i];
	struct probe_result *r = &rn->run->results[i];
	int status = 0;
	int64_t started = r->started_ms;
	struct json_object *o = NULL;

	close(s->fd);
	s->fd = -1;
	if (s->stop_wr >= 0) {
		close(s->stop_wr);
		s->stop_wr = -1;
	}
	if (s->timed_out)
		kill(s->pid, SIGKILL);
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!s->timed_out && s->len > 0)
		o = json_tokener_parse(s->buf);
	if (o != NULL) {
		struct probe_result got;
		char *cause = NULL;

		if (probe_result_from_json(o, &got, &cause) == 0) {
			probe_result_clear(r);
			*r = got;
		} else {
			free(cause);
			json_object_put(o);
			o = NULL;
		}
		json_object_put(o);
	}
	if (o == NULL) {
		char *ja, *en;

		if (s->timed_out) {
			ja = xasprintf("%d ms 以内に終わらなかったため打ち切りました",
				       (int)(s->deadline - s->start));
			en = xasprintf("stopped: did not finish within %d ms",
				       (int)(s->deadline - s->start));
		} else if (WIFSIGNALED(status)) {
			ja = xasprintf("プローブが異常終了しました (シグナル %d)", WTERMSIG(status));
			en = xasprintf("the probe stopped abnormally (signal %d)", WTERMSIG(status));
		} else {
			ja = xasprintf("プローブが結果を返しませんでした (終了コード %d)",
				       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			en = xasprintf("the probe returned no result (exit status %d)",
				       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		}
		probe_result_set(r, PROBE_ERROR, BT(ja, en),
				 BT("もう一度実行してください。繰り返す場合は timeout_ms を見直すか、"
				    "oqlink probe --json の出力を添えて報告してください。",
				    "Run it again. If it repeats, review timeout_ms or report it with the "
				    "output of oqlink probe --json."));
		free(ja);
		free(en);
	}
	r->started_ms = started;
	r->duration_ms = now_ms() - s->start;
	free(s->buf);
	s->buf = NULL;
	s->len = 0;
	s->st = SLOT_DONE;
}

/* Read what slot i's child sent; true at end of file. */
static bool slot_read(struct slot *s)
{
	char tmp[8192];
	ssize_t n = read(s->fd, tmp, sizeof(tmp));

	if (n < 0)
		return errno != EINTR && errno != EAGAIN;
	if (n == 0)
		return true;
	if (s->len == 0 && !s->ready && tmp[0] == READY_BYTE) {
		s->ready = true;
		memmove(tmp, tmp + 1, (size_t)--n);
	}
	if (s->len + (size_t)n > MAX_RESULT)
		return true;
	s->buf = xrealloc(s->buf, s->len + (size_t)n + 1);
	memcpy(s->buf + s->len, tmp, (size_t)n);
	s->len += (size_t)n;
	s->buf[s->len] = '\0';
	return false;
}

static size_t count_state(const struct runner *rn, enum slot_state st, bool background)
{
	size_t c = 0;

	for (size_t i = 0; i < rn->n; i++)
		if (rn->slots[i].st == st &&
		    ((rn->slots[i].p->flags & PROBE_BACKGROUND) != 0) == background)
			c++;
	return c;
}

/* Start background probes first and give them a moment to be ready. */
static bool background_ready(struct runner *rn)
{
	for (size_t i = 0; i < rn->n; i++) {
		struct slot *s = &rn->slots[i];

		if (!(s->p->flags & PROBE_BACKGROUND))
			continue;
		if (s->st == SLOT_WAIT)
			return false;
		if (s->st == SLOT_RUNNING && !s->ready && now_ms() - s->start < READY_WAIT_MS)
			return false;
	}
	return true;
}

/* Start every slot that can start now. */
static void start_ready(struct runner *rn)
{
	size_t running = count_state(rn, SLOT_RUNNING, false);

	for (size_t i = 0; i < rn->n; i++) {
		bool bg = rn->slots[i].p->flags & PROBE_BACKGROUND;

		if (rn->slots[i].st != SLOT_WAIT)
			continue;
		if (!bg && !background_ready(rn))
			continue;
		if (!bg && rn->opt.max_parallel > 0 && running >= rn->opt.max_parallel)
			continue;
		if (!slot_ready(rn, i))
			continue;
		if (slot_start(rn, i) < 0) {
			slot_finish_local(rn, i, PROBE_ERROR,
					  BT("プローブを起動できませんでした", "could not start the probe"),
					  BT("メモリとプロセス数の制限を確認してください。",
					     "Check the memory and process limits."), NULL);
			emit(rn, PROBE_EV_DONE, i);
			continue;
		}
		if (!bg)
			running++;
		emit(rn, PROBE_EV_START, i);
	}
}

/* Stop everything still running or waiting: cancelled or out of time. */
static void runner_abort(struct runner *rn, bool cancelled)
{
	/* a PROBE_BESIDE probe whose deps had not finished counts as one
	 * that had not started, as it would have been without the flag */
	bool *not_started = xcalloc(rn->n ? rn->n : 1, sizeof(*not_started));

	for (size_t i = 0; i < rn->n; i++)
		not_started[i] = rn->slots[i].st != SLOT_DONE && beside_pending(rn, i);
	for (size_t i = 0; i < rn->n; i++) {
		struct slot *s = &rn->slots[i];

		if (s->st == SLOT_RUNNING && !not_started[i]) {
			if (cancelled || !(s->p->flags & PROBE_BACKGROUND)) {
				s->timed_out = true;
				kill(s->pid, SIGKILL);
			}
			slot_collect(rn, i);
			if (cancelled)
				slot_finish_local(rn, i, PROBE_SKIP,
						  BT("中止されました", "cancelled"),
						  BT("もう一度実行してください。", "Run it again."),
						  PROBE_STOP_CANCELLED);
			emit(rn, PROBE_EV_DONE, i);
		} else if (s->st != SLOT_DONE) {
			if (s->st == SLOT_RUNNING) {
				s->timed_out = true;
				kill(s->pid, SIGKILL);
				slot_collect(rn, i);
			}
			if (s->st != SLOT_WAIT)
				slot_unrun(rn, i);
			if (cancelled)
				slot_finish_local(rn, i, PROBE_SKIP, BT("中止されました", "cancelled"),
						  BT("もう一度実行してください。", "Run it again."),
						  PROBE_STOP_CANCELLED);
			else
				slot_finish_local(rn, i, PROBE_SKIP,
						  BT("全体の制限時間を過ぎたため実行しませんでした",
						     "not run: the whole run ran out of time"),
						  BT("先に終わらなかったプローブの問題を解決してください。",
						     "Resolve the probes that did not finish first."),
						  PROBE_STOP_TIMEOUT);
			emit(rn, PROBE_EV_DONE, i);
		}
	}
	free(not_started);
}

/* One round of waiting: poll the running children, collect, kill late ones. */
static void runner_poll(struct runner *rn)
{
	struct pollfd *pfd = xcalloc(rn->n ? rn->n : 1, sizeof(*pfd));
	size_t *idx = xcalloc(rn->n ? rn->n : 1, sizeof(*idx));
	size_t np = 0;
	int64_t now = now_ms();
	int64_t wait = TICK_MS;
	int got;

	for (size_t i = 0; i < rn->n; i++) {
		if (rn->slots[i].st != SLOT_RUNNING)
			continue;
		if (rn->slots[i].deadline - now < wait)
			wait = rn->slots[i].deadline - now;
		pfd[np] = (struct pollfd){ .fd = rn->slots[i].fd, .events = POLLIN };
		idx[np++] = i;
	}
	if (wait < 0)
		wait = 0;
	got = poll(pfd, np, (int)wait);
	for (size_t k = 0; got > 0 && k < np; k++) {
		size_t i = idx[k];

		if (pfd[k].revents == 0)
			continue;
		if (slot_read(&rn->slots[i])) {
			slot_collect(rn, i);
			if (!slot_hold(rn, i))
				emit(rn, PROBE_EV_DONE, i);
		}
	}
	now = now_ms();
	for (size_t i = 0; i < rn->n; i++) {
		struct slot *s = &rn->slots[i];

		if (s->st == SLOT_RUNNING && now >= s->deadline) {
			s->timed_out = true;
			slot_collect(rn, i);
			if (!slot_hold(rn, i))
				emit(rn, PROBE_EV_DONE, i);
		}
	}
	free(pfd);
	free(idx);
}

/* When only background probes are left, tell them to stop. */
static void stop_background(struct runner *rn)
{
	if (count_state(rn, SLOT_WAIT, false) + count_state(rn, SLOT_RUNNING, false) +
	    count_state(rn, SLOT_HELD, false) > 0)
		return;
	for (size_t i = 0; i < rn->n; i++) {
		struct slot *s = &rn->slots[i];

		if (s->st == SLOT_RUNNING && s->stop_wr >= 0) {
			close(s->stop_wr);
			s->stop_wr = -1;
			/* It has a little while to write its summary. */
			if (s->deadline > now_ms() + 3000)
				s->deadline = now_ms() + 3000;
		}
	}
}

int probe_run_all(const struct site *site, const char *const *ids, size_t n_ids,
		  const struct probe_options *opt, probe_progress_fn *fn, void *fn_ctx,
		  struct probe_run *run, char **cause)
{
	size_t n_reg;
	const struct probe *reg = probe_registry(&n_reg);

	return probe_run_registry(reg, n_reg, site, ids, n_ids, opt, fn, fn_ctx, run, cause);
}

int probe_run_registry(const struct probe *reg, size_t n_reg, const struct site *site,
		       const char *const *ids, size_t n_ids, const struct probe_options *opt,
		       probe_progress_fn *fn, void *fn_ctx, struct probe_run *run, char **cause)
{
	struct runner rn = { .reg = reg, .n_reg = n_reg, .site = site, .run = run, .fn = fn,
			     .fn_ctx = fn_ctx };
	int64_t t0 = now_ms();
	int ret;

	memset(run, 0, sizeof(*run));
	if (opt != NULL)
		rn.opt = *opt;
	if (rn.opt.timeout_ms <= 0)
		rn.opt.timeout_ms = site->timeout_ms > 0 ? (int)site->timeout_ms : DEFAULT_TIMEOUT_MS;
	if (rn.opt.total_timeout_ms <= 0)
		rn.opt.total_timeout_ms = DEFAULT_TOTAL_MS;
	if (rn.opt.out_dir == NULL)
		rn.opt.out_dir = site->run_dir ? site->run_dir : "/tmp";
	rn.deadline = t0 + rn.opt.total_timeout_ms;
	run->started_ms = wall_ms();
	ret = runner_select(&rn, ids, n_ids, cause);
	if (ret < 0) {
		free(rn.slots);
		probe_run_free(run);
		return ret;
	}
	for (;;) {
		bool cancelled = rn.opt.cancel != NULL && *rn.opt.cancel;

		if (!cancelled && rn.fn != NULL && emit(&rn, PROBE_EV_TICK, 0) != 0)
			cancelled = true;
		if (cancelled || now_ms() >= rn.deadline) {
			runner_abort(&rn, cancelled);
			break;
		}
		release_held(&rn);
		start_ready(&rn);
		stop_background(&rn);
		if (count_state(&rn, SLOT_DONE, false) + count_state(&rn, SLOT_DONE, true) == rn.n)
			break;
		runner_poll(&rn);
	}
	free(rn.slots);
	run->duration_ms = now_ms() - t0;
	run->overall = probe_run_overall(run);
	return 0;
}
