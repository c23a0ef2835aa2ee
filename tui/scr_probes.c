/* The probes screen: run all or one, live per-probe progress, and a
 * details view with the evidence and the remedy. The run is the library's
 * (tui/probes_job.c); this file only draws it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/util.h"
#include "probes/probe.h"
#include "tui/screen.h"

/* Columns of the list; two blanks between columns. */
enum {
	COL_ID = 0, W_ID = 8,
	COL_TITLE = 10, W_TITLE = 19,
	COL_VERDICT = 31, W_VERDICT = 6,
	COL_SUMMARY = 39,
};

static int sel;
static bool details;
static int detail_scroll;

/* The header: the run's state in words. */
static void draw_state(int y, int cols)
{
	size_t n;
	const struct pj_row *r = pj_rows(&n);
	enum probe_verdict o;
	size_t done = 0;

	for (size_t i = 0; i < n; i++)
		done += r[i].state == PJ_DONE;
	if (pj_running()) {
		ui_putf(y, 0, cols, UA_BOLD, _("[実行中 %ld 秒  %zu/%zu 完了  x:中止]", "[RUNNING %ld s  %zu/%zu done  x:cancel]"),
			pj_elapsed_s(), done, n);
	} else if (pj_overall(&o)) {
		char t[CLOCK_BUF];
		clock_str((int64_t)pj_ended() * 1000, CLOCK_HMS, t);
		const char *v = probe_verdict_name(o);
		ui_putf(y, 0, cols, ui_verdict_attr(o), _("[%s 全体: %s  %s 終了 %ld 秒]", "[%s overall: %s  ended %s, %ld s]"),
			pj_cancelled() ? _("中止", "CANCELLED") : _("完了", "DONE"), v, t, pj_elapsed_s());
	} else if (pj_failure()) {
		ui_putf(y, 0, cols, UA_FAIL, "%s", pj_failure());
	} else {
		ui_put(y, 0, cols, _("[未実行]  a で全部を実行します", "[NOT RUN]  a runs them all"), UA_NORMAL);
	}
}

/* Before any run: the registry, so the user sees what will run. */
static void draw_registry(int y, int rows, int cols)
{
	size_t n;
	const struct probe *p = probe_registry(&n);

	for (size_t i = 0; i < n && (int)i < rows; i++) {
		ui_put(y + (int)i, COL_ID, W_ID, p[i].id, i == (size_t)sel ? UA_REVERSE : UA_NORMAL);
		ui_put(y + (int)i, COL_TITLE, W_TITLE, bitext_get(p[i].title, i18n_lang()), UA_NORMAL);
		ui_put(y + (int)i, COL_VERDICT, W_VERDICT, "----", UA_NORMAL);
	}
}

static void draw_list(int y, int rows, int cols)
{
	size_t n;
	const struct pj_row *r = pj_rows(&n);
	bool ja = i18n_lang() == OQ_LANG_JA;

	ui_put(y, COL_ID, W_ID, "ID", UA_DIM);
	ui_put(y, COL_TITLE, W_TITLE, _("プローブ", "Probe"), UA_DIM);
	ui_put(y, COL_VERDICT, W_VERDICT, _("判定", "Result"), UA_DIM);
	ui_put(y++, COL_SUMMARY, cols - COL_SUMMARY, _("要約 (Enter で詳細)", "Summary (Enter: details)"), UA_DIM);
	rows--;
	if (n == 0) {
		draw_registry(y, rows, cols);
		return;
	}
	for (size_t i = 0; i < n && (int)i < rows; i++, y++) {
		const char *v = pj_verdict_word(&r[i]);
		ui_put(y, COL_ID, W_ID, r[i].id, (int)i == sel ? UA_REVERSE : UA_NORMAL);
		ui_put(y, COL_TITLE, W_TITLE, ja ? r[i].title_ja : r[i].title_en, UA_NORMAL);
		ui_put(y, COL_VERDICT, W_VERDICT, v, pj_verdict_attr(&r[i]));
		if (r[i].result)
			ui_put(y, COL_SUMMARY, cols - COL_SUMMARY, bitext_get(r[i].result->summary, i18n_lang()),
			       UA_NORMAL);
	}
}

/* Every fact of one result, as lines. */
static char *detail_text(const struct pj_row *row)
{
	const struct probe_result *r = row->result;
	enum oq_lang l = i18n_lang();
	char *s, *t;

	if (r == NULL)
		return xstrdup(_("まだ結果がありません", "no result yet"));
	s = xasprintf("%s  %s  (%s, %lld ms)\n%s\n", r->id, bitext_get(r->title, l),
		      probe_verdict_name(r->verdict), (long long)r->duration_ms, bitext_get(r->summary, l));
	for (size_t i = 0; i < r->n_values; i++) {
		const struct probe_value *v = &r->values[i];
		t = v->text ? xasprintf("%s  %s: %s\n", s, bitext_get(v->label, l), v->text)
			    : xasprintf("%s  %s: %g %s\n", s, bitext_get(v->label, l), v->value,
					i18n_unit(v->unit ? v->unit : "", l));
		free(s);
		s = t;
	}
	const char *rem = bitext_get(r->remedy, l);
	if (*rem) {
		t = xasprintf(_("%s\n対処: %s\n", "%s\nWhat to do: %s\n"), s, rem);
		free(s);
		s = t;
	}
	if (r->n_evidence) {
		t = xasprintf(_("%s\n根拠:", "%s\nEvidence:"), s);
		free(s);
		s = t;
	}
	for (size_t i = 0; i < r->n_evidence; i++) {
		t = xasprintf("%s\n  %s", s, r->evidence[i]);
		free(s);
		s = t;
	}
	return s;
}

static void draw_details(int y, int rows, int cols)
{
	size_t n, nl;
	const struct pj_row *r = pj_rows(&n);

	if (sel < 0 || (size_t)sel >= n) {
		details = false;
		return;
	}
	char *text = detail_text(&r[sel]);
	char **lines = ui_wrap(text, (size_t)cols, &nl);
	if (detail_scroll > (int)nl - 1)
		detail_scroll = nl > 0 ? (int)nl - 1 : 0;
	for (int i = 0; i < rows && (size_t)(detail_scroll + i) < nl; i++)
		ui_put(y + i, 0, cols, lines[detail_scroll + i], i == 0 && detail_scroll == 0 ? UA_BOLD : UA_NORMAL);
	str_list_free(lines);
	free(text);
}

static void probes_draw(int top, int rows, int cols)
{
	ui_put(top, 0, cols, details ? _("Esc/左:一覧へ  上下:スクロール", "Esc/Left:back  Up/Down:scroll")
				     : _("a:全部実行  o:選んだもの  x:中止  上下:選ぶ  Enter:詳細",
					 "a:run all  o:run selected  x:cancel  Up/Down:select  Enter:details"),
	       UA_DIM);
	pj_lock();
	draw_state(top + 1, cols);
	if (details)
		draw_details(top + 2, rows - 2, cols);
	else
		draw_list(top + 2, rows - 2, cols);
	pj_unlock();
}

/* The id of the selected row (copied), or NULL. */
static char *selected_id(void)
{
	size_t n;
	const struct pj_row *r;
	char *id = NULL;

	pj_lock();
	r = pj_rows(&n);
	if (n > 0 && sel >= 0 && (size_t)sel < n) {
		id = xstrdup(r[sel].id);
	} else {
		const struct probe *p = probe_registry(&n);
		if (sel >= 0 && (size_t)sel < n)
			id = xstrdup(p[sel].id);
	}
	pj_unlock();
	return id;
}

static bool probes_key(int key)
{
	size_t n;

	if (details) {
		switch (key) {
		case UK_ESC:
		case UK_LEFT:
		case 'v':
			details = false;
			return true;
		case UK_UP:
			detail_scroll -= detail_scroll > 0;
			return true;
		case UK_DOWN:
			detail_scroll++;
			return true;
		default:
			return false;
		}
	}
	switch (key) {
	case 'a':
		if (pj_start(NULL, true))
			sel = 0;
		return true;
	case 'o': {
		char *id = selected_id();
		if (id)
			pj_start(id, true);
		free(id);
		sel = 0;
		return true;
	}
	case 'x':
	case UK_ESC:
		pj_cancel();
		return true;
	case UK_UP:
		sel -= sel > 0;
		return true;
	case UK_DOWN:
		pj_lock();
		pj_rows(&n);
		if (n == 0)
			probe_registry(&n);
		pj_unlock();
		if ((size_t)sel + 1 < n)
			sel++;
		return true;
	case UK_ENTER:
	case UK_RIGHT:
	case 'v':
		pj_lock();
		pj_rows(&n);
		pj_unlock();
		if (n > 0) {
			details = true;
			detail_scroll = 0;
		}
		return true;
	default:
		return false;
	}
}

static void probes_tick(void)
{
	static long shown = -1;

	if (pj_poll() || (pj_running() && pj_elapsed_s() != shown)) {
		shown = pj_elapsed_s();
		ui_touch();
	}
}

static bool probes_busy(void)
{
	return pj_running();
}

static void probes_fini(void)
{
	pj_fini();
}

static const struct ui_keyhelp probes_help[] = {
	{ "a", BT("すべてのプローブを実行する", "run every probe") },
	{ "o", BT("選んだプローブ (と依存先) だけ実行する", "run the selected probe (and what it depends on)") },
	{ "x / Esc", BT("実行中の疎通確認を中止する", "cancel the run") },
	{ "Up / Down", BT("プローブを選ぶ", "select a probe") },
	{ "Enter / v", BT("根拠と対処を表示する", "show the evidence and what to do") },
	{ "PASS WARN FAIL SKIP ERROR", BT("判定は語で示します", "verdicts are words") },
	{ NULL, BT("", "") },
};

const struct ui_screen scr_probes = {
	.id = "probes",
	.title = BT("疎通", "Probes"),
	.fkey = UK_F5,
	.letter = 'p',
	.help = probes_help,
	.draw = probes_draw,
	.key = probes_key,
	.tick = probes_tick,
	.busy = probes_busy,
	.fini = probes_fini,
};
