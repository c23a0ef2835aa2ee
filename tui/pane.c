/* A pane that runs one oqlink command in the background and shows its
 * output as it comes, with the state in words, the seconds elapsed, and
 * cancel. The screens use it for every long action, so that what they run
 * is exactly what the command line runs. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "tui/screen.h"

#define PANE_KEEP 2000		/* lines kept */

static void pane_clear_lines(struct ui_pane *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->lines[i]);
	free(p->lines);
	p->lines = NULL;
	p->n = 0;
	p->scroll = 0;
}

/* One line of output arrived. */
static void pane_line(void *ctx, const char *line)
{
	struct ui_pane *p = ctx;

	if (p->n == PANE_KEEP) {
		free(p->lines[0]);
		memmove(p->lines, p->lines + 1, (PANE_KEEP - 1) * sizeof(*p->lines));
		p->n--;
	}
	p->lines = xrealloc(p->lines, (p->n + 1) * sizeof(*p->lines));
	p->lines[p->n++] = str_sanitize(line);
	if (p->on_line)
		p->on_line(p->ctx, line);
}

bool ui_pane_start(struct ui_pane *p, const char *const *args)
{
	const char *argv[32];
	size_t n = 0;
	char *cause = NULL;

	if (ui_pane_running(p))
		return false;
	ui_job_free(p->job);
	p->job = NULL;
	pane_clear_lines(p);
	argv[n++] = ui.self;
	argv[n++] = "--lang";
	argv[n++] = i18n_lang_name(i18n_lang());
	argv[n++] = "--config";
	argv[n++] = ui.config_path;
	for (size_t i = 0; args[i] && n < ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	free(p->title);
	p->title = xstrdup("oqlink");
	for (size_t i = 5; i < n; i++) {
		char *t = xasprintf("%s %s", p->title, argv[i]);
		free(p->title);
		p->title = t;
	}
	p->status = -1;
	p->cancelled = false;
	p->started_ms = now_ms();
	p->job = ui_job_start(argv, &cause);
	if (p->job == NULL) {
		pane_line(p, cause);
		free(cause);
		p->status = 127;
		return false;
	}
	return true;
}

bool ui_pane_running(const struct ui_pane *p)
{
	return p->job != NULL && p->status < 0;
}

bool ui_pane_poll(struct ui_pane *p)
{
	size_t before = p->n;
	int64_t sec = (now_ms() - p->started_ms) / 1000;
	bool changed;

	if (!ui_pane_running(p))
		return false;
	if (!ui_job_poll(p->job, pane_line, p)) {
		p->status = p->job->status;
		p->cancelled = p->job->cancelled;
		p->ended_ms = now_ms();
		if (p->on_done)
			p->on_done(p);
		return true;
	}
	changed = p->n != before || sec != p->shown_sec;
	p->shown_sec = sec;
	return changed;
}

void ui_pane_cancel(struct ui_pane *p)
{
	if (ui_pane_running(p))
		ui_job_cancel(p->job);
}

/* The state in words: running with seconds, passed, failed, cancelled. */
static void pane_header(const struct ui_pane *p, int y, int cols)
{
	int64_t end = ui_pane_running(p) ? now_ms() : p->ended_ms;
	long sec = (long)((end - p->started_ms) / 1000);
	char *state;
	enum ui_attr a = UA_BOLD;

	if (ui_pane_running(p))
		state = xasprintf(_("[実行中 %ld 秒  x:中止]", "[RUNNING %ld s  x:cancel]"), sec);
	else if (p->cancelled)
		state = xasprintf("%s", _("[中止しました]", "[CANCELLED]")), a = UA_WARN;
	else if (p->status == 0)
		state = xasprintf(_("[完了 OK %ld 秒]", "[DONE OK %ld s]"), sec), a = UA_PASS;
	else
		state = xasprintf(_("[完了 NG 終了コード %d]", "[DONE FAILED exit %d]"), p->status),
		a = UA_FAIL;
	int w = (int)str_width(state);
	ui_put(y, 0, w, state, a);
	ui_put(y, w + 1, cols - w - 1, p->title, UA_NORMAL);
	free(state);
}

void ui_pane_draw(struct ui_pane *p, int y, int rows, int cols)
{
	size_t shown, want, got = 0, cap = 0;
	char **rowsv = NULL;	/* wrapped rows, newest first */

	if (p->title == NULL || rows < 2)
		return;
	pane_header(p, y, cols);
	shown = (size_t)rows - 1;
	want = shown + p->scroll;
	/* wrap from the newest line back until the window and the scroll are filled */
	for (size_t i = p->n; i > 0 && got < want; i--) {
		size_t nw;
		char **wr = ui_wrap(p->lines[i - 1], (size_t)cols, &nw);
		for (size_t k = nw; k > 0; k--) {
			if (got == cap) {
				cap = cap ? cap * 2 : 64;
				rowsv = xrealloc(rowsv, cap * sizeof(*rowsv));
			}
			rowsv[got++] = wr[k - 1];
		}
		free(wr);
	}
	if (p->scroll + shown > got)
		p->scroll = got > shown ? got - shown : 0;
	size_t n_rows = got < shown ? got : shown;
	for (size_t r = 0; r < n_rows; r++) {
		size_t idx = p->scroll + n_rows - 1 - r;	/* top row is the oldest shown */
		ui_put(y + 1 + (int)r, 0, cols, rowsv[idx], UA_NORMAL);
	}
	for (size_t k = 0; k < got; k++)
		free(rowsv[k]);
	free(rowsv);
	if (p->scroll > 0)
		ui_putf(y + rows - 1, cols - 14, 14, UA_REVERSE, _(" あと %zu 行 v", " %zu more v"),
			p->scroll);
}

bool ui_pane_key(struct ui_pane *p, int key)
{
	switch (key) {
	case 'x':
	case UK_ESC:
		if (!ui_pane_running(p))
			return false;
		ui_pane_cancel(p);
		ui_status(false, "%s", _("中止しています...", "cancelling..."));
		return true;
	case UK_UP:
		p->scroll++;
		return true;
	case UK_DOWN:
		if (p->scroll > 0)
			p->scroll--;
		return true;
	case UK_PGUP:
		p->scroll += 10;
		return true;
	case UK_PGDN:
		p->scroll = p->scroll > 10 ? p->scroll - 10 : 0;
		return true;
	case UK_END:
		p->scroll = 0;
		return true;
	default:
		return false;
	}
}

void ui_pane_free(struct ui_pane *p)
{
	ui_job_free(p->job);
	p->job = NULL;
	pane_clear_lines(p);
	free(p->title);
	p->title = NULL;
}
