/* The dashboard: the site at a glance, one line per layer of the path with
 * its verdict and key figure, the overall state in words. The config part
 * comes from site_load (as `oqlink config check`); the layers from the
 * probes and ipsec modules when this build has them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/site.h"
#include "core/util.h"
#include "monitor/monitor.h"
#include "probes/probe.h"
#include "provision/provision.h"
#include "tui/screen.h"

#define RELOAD_MS 5000

/* Columns of the layer table; two blanks between columns. */
enum {
	COL_NAME = 0, W_NAME = 20,
	COL_VERDICT = 22, W_VERDICT = 6,
	COL_FIGURE = 30, W_FIGURE = 12,
	COL_DETAIL = 44,
	/* with a running monitor: the age and the 24-hour strip */
	COL_AGE = 30, W_AGE = 10,
	COL_STRIP = 42,
	/* the rows below the table: a blank, the overall state, the line on
	 * the monitor (three when it runs), the apply, one line of the
	 * selected layer's text */
	ROWS_BELOW = 5, ROWS_BELOW_MON = 7,
};

/* The layers of the path, bottom up: the registry's probes that apply to
 * the site's line (all when no config loads), but the background capture. */
static const struct probe **layers;
static size_t n_layers;
static size_t first_layer;		/* the first row shown when not all fit */

static struct site *site;
static size_t n_problems;
static size_t n_denied;			/* of them, files not readable for want of permission */
static char *first_problem;
static int64_t loaded_ms;
static struct prov_status prov;	/* the last apply and the confirm countdown */
static bool have_prov;
static long shown_remaining = -1;
static struct ui_pane pane;		/* confirm, rollback */
static int sel;				/* the layer whose whole text shows below */
static bool show_layer;			/* Up/Down was used since the last pane */
static bool auto_refresh;		/* set from ui.refresh_s on the first visit */
static bool auto_set;
static bool ever_probed;

/* Take the layers from the probe registry for the site's line. */
static void pick_layers(void)
{
	size_t n;
	const struct probe *p = probe_registry(&n);

	free(layers);
	layers = xcalloc(n, sizeof(*layers));
	n_layers = 0;
	for (size_t i = 0; i < n; i++)
		if (!(p[i].flags & PROBE_BACKGROUND) && (!site || probe_applies(&p[i], site)))
			layers[n_layers++] = &p[i];
	if ((size_t)sel >= n_layers)
		sel = 0;
}

/* The rows of the table that fit in room lines under its heading, the
 * selected one among them: [*from, *to). */
static void visible_layers(int room, size_t *from, size_t *to)
{
	size_t n = room < 3 ? 3 : (size_t)room;

	if (n >= n_layers)
		first_layer = 0;
	else if ((size_t)sel < first_layer)
		first_layer = (size_t)sel;
	else if ((size_t)sel >= first_layer + n)
		first_layer = (size_t)sel - n + 1;
	if (first_layer + n > n_layers)
		first_layer = n_layers > n ? n_layers - n : 0;
	*from = first_layer;
	*to = first_layer + n < n_layers ? first_layer + n : n_layers;
}

/* The heading of the name column: which rows show when not all do. */
static void put_layer_heading(int y, size_t from, size_t to)
{
	if (from == 0 && to == n_layers)
		ui_put(y, COL_NAME, W_NAME, _("層", "Layer"), UA_DIM);
	else
		ui_putf(y, COL_NAME, W_NAME, UA_DIM, _("層 %zu-%zu/%zu", "Layer %zu-%zu/%zu"),
			from + 1, to, n_layers);
}

/* Load the config again (cheap: one small file). */
static void reload(void)
{
	struct site_diags d = { 0 };

	site_free(site);
	free(first_problem);
	first_problem = NULL;
	site = site_load(ui.config_path, true, &d);
	n_problems = d.n;
	n_denied = 0;
	for (size_t i = 0; i < d.n; i++)
		n_denied += d.v[i].err == EACCES;
	if (d.n > 0)
		first_problem = d.v[0].line
			? xasprintf("%s:%u:%u: %s", d.v[0].file, d.v[0].line, d.v[0].col, d.v[0].message)
			: xstrdup(d.v[0].message);
	site_diags_free(&d);
	loaded_ms = now_ms();
	if (have_prov)
		prov_status_clear(&prov);
	have_prov = site && prov_status_get(site, &prov, NULL) == 0;
	dm_load(site);
	pick_layers();
}

/* Seconds left before an unconfirmed apply is undone, or -1. */
static long remaining(void)
{
	if (!have_prov || !prov.pending)
		return -1;
	long r = (long)(prov.deadline - time(NULL));
	return r < 0 ? 0 : r;
}

/* Seconds between automatic runs ('a' turns it on at 60 when off). */
static int refresh_every(void)
{
	return ui.refresh_s > 0 ? ui.refresh_s : 60;
}

static void dash_enter(void)
{
	if (!auto_set) {
		auto_set = true;
		auto_refresh = ui.refresh_s > 0;
	}
	reload();
}

static void dash_tick(void)
{
	if (now_ms() - loaded_ms > RELOAD_MS) {
		size_t before = n_problems;
		bool had = site != NULL, mon = dm_running();
		reload();
		/* with a monitor the ages and the strip move */
		if (before != n_problems || had != (site != NULL) || mon || mon != dm_running())
			ui_touch();
	}
	/* a running monitor probes on its own timers; only Enter runs here */
	if (site && auto_refresh && !dm_running() && !pj_running() &&
	    (!ever_probed || time(NULL) - pj_ended() >= refresh_every())) {
		ever_probed = true;
		pj_start(NULL, false);
		ui_touch();
	}
	if (remaining() != shown_remaining) {
		shown_remaining = remaining();
		ui_touch();	/* only the digits change on the wire */
	}
	if (ui_pane_poll(&pane)) {
		if (!ui_pane_running(&pane))
			reload();
		ui_touch();
	}
}

/* The overall state in words, one row. */
static void draw_overall(int y, int cols)
{
	enum probe_verdict o;
	char auto_word[64];

	if (auto_refresh)
		snprintf(auto_word, sizeof(auto_word), _("自動更新 %d 秒", "auto refresh %d s"), refresh_every());
	else
		snprintf(auto_word, sizeof(auto_word), "%s", _("自動更新なし", "no auto refresh"));

	if (site == NULL) {
		ui_put(y, 0, cols, _("全体: 設定待ち", "Overall: WAITING FOR A CONFIG"), UA_BOLD);
	} else if (pj_running()) {
		ui_putf(y, 0, cols, UA_BOLD, _("全体: 確認中 %ld 秒 (x で中止)", "Overall: CHECKING %ld s (x cancels)"),
			pj_elapsed_s());
	} else if (pj_overall(&o)) {
		const char *v = probe_verdict_name(o);
		const char *words = o == PROBE_PASS ? _("すべて正常です", "everything works")
				  : o == PROBE_SKIP ? _("一部を確認していません", "some layers were not checked")
				  : o == PROBE_WARN ? _("注意があります (p で詳細)", "there are warnings (p for details)")
				  : _("異常があります (p で詳細)", "something is wrong (p for details)");
		char t[CLOCK_BUF];
		clock_str((int64_t)pj_ended() * 1000, CLOCK_HMS, t);
		ui_putf(y, 0, cols, ui_verdict_attr(o), _("全体: %s %s  [%s 確認 %s]", "Overall: %s %s  [%s checked %s]"),
			v, words, auto_word, t);
	} else {
		ui_putf(y, 0, cols, UA_BOLD, _("全体: 未確認 (e で確認)  [%s]", "Overall: NOT CHECKED (e checks)  [%s]"),
			auto_word);
	}
}

/* The last apply and the confirm countdown, one row. */
static void draw_apply(int y, int cols)
{
	long r = remaining();

	if (r >= 0)
		ui_putf(y, 0, cols, UA_WARN,
			_("!! 確認待ち: あと %2$ld 秒で適用 #%1$ld を元に戻します。y で確定、u で今すぐ戻す",
			  "!! Waiting for confirmation: apply #%1$ld is undone in %2$ld s. y keeps it, u undoes it now"),
			prov.pending_id, r);
	else if (have_prov && prov.have_last)
		ui_putf(y, 0, cols, UA_NORMAL, _("最後の適用: #%ld %s (変更 %zu 件)", "Last apply: #%ld %s (%zu changes)"),
			prov.last.id, prov.last.status, prov.last.n_changes);
	else if (site)
		ui_put(y, 0, cols, _("最後の適用: なし", "Last apply: none"), UA_NORMAL);
}

/* The facility and the config's state: four rows. */
static void draw_site(int y, int cols)
{
	if (site) {
		ui_putf(y, 0, cols, UA_BOLD, "%s  %s", site->facility_code, site->facility_name);
		ui_putf(y + 1, 0, cols, UA_NORMAL,
			_("回線: %s   WAN: %s   端末: %s", "Line: %s   WAN: %s   Terminal: %s"),
			site->line == SITE_LINE_IPSEC ? _("IPsec+IKE接続方式", "IPsec+IKE")
						      : _("IP-VPN接続方式", "IP-VPN"),
			site->wan_if, site->term_if ? site->term_if : site->lan_if);
		ui_put(y + 2, 0, cols, _("設定: OK (問題なし)", "Config: OK (no problems)"), UA_PASS);
		ui_putf(y + 3, 0, cols, UA_DIM, "%s", ui.config_path);
		return;
	}
	if (n_denied == n_problems && n_denied > 0 && geteuid() != 0) {
		ui_put(y, 0, cols, _("権限の問題です: oqlink は root で実行してください",
				     "A permission problem: oqlink needs root"), UA_BOLD);
		ui_putf(y + 1, 0, cols, UA_FAIL, _("設定が名指すファイル %zu 個を読む権限がありません (sudo oqlink)",
						   "%zu file(s) the config names may not be read (sudo oqlink)"), n_denied);
		ui_text(y + 2, 0, cols, 2, first_problem ? first_problem : "", UA_NORMAL);
		return;
	}
	ui_put(y, 0, cols, _("設定がありません、または誤りがあります", "No valid config"), UA_BOLD);
	ui_putf(y + 1, 0, cols, UA_FAIL, _("設定: NG %zu 件の問題 (s で設定画面へ)",
					   "Config: BAD %zu problem(s) (s opens setup)"), n_problems);
	ui_text(y + 2, 0, cols, 2, first_problem ? first_problem : "", UA_NORMAL);
}

/* Cells of the 24-hour strip for this width (30 or 60 minutes each). */
static int strip_cells(int cols)
{
	return cols >= COL_STRIP + 48 + 2 + 20 ? 48 : 24;
}

/* Whether the dashboard's own run of id is newer than the monitor's entry
 * e (a manual run with Enter while the monitor runs). */
static bool run_is_newer(const struct pj_row *row, const struct mon_probe_entry *e)
{
	if (!row || row->state == PJ_WAIT)
		return false;
	return !e || row->state == PJ_RUNNING || (int64_t)pj_ended() * 1000 >= e->t_ms;
}

/* With a running monitor, one row per layer: name, verdict word, its age,
 * the 24-hour strip and the summary, from the monitor's database (or from a
 * newer manual run). */
static int draw_layers_mon(int y, int room, int cols)
{
	enum oq_lang l = i18n_lang();
	int cells = strip_cells(cols), col_sum = COL_STRIP + cells + 2;
	char from[CLOCK_BUF];

	clock_str(clock_wall_ms() - 24 * 3600 * 1000LL, CLOCK_HMS, from);
	from[5] = '\0';
	size_t first, end;

	visible_layers(room, &first, &end);
	put_layer_heading(y, first, end);
	ui_put(y, COL_VERDICT, W_VERDICT, _("判定", "Result"), UA_DIM);
	ui_put(y, COL_AGE, W_AGE, _("経過", "Age"), UA_DIM);
	ui_putf(y, COL_STRIP, cells, UA_DIM, _("%s から 24 時間", "24 h from %s"), from);
	ui_put(y++, col_sum, cols - col_sum, _("要約", "Summary"), UA_DIM);
	pj_lock();
	for (size_t i = first; i < end; i++, y++) {
		const struct mon_probe_entry *e = dm_latest(layers[i]->id);
		const struct pj_row *row = pj_find(layers[i]->id);
		const char *v = "----", *detail = _("記録なし", "no record");
		enum ui_attr a = UA_NORMAL;
		enum probe_verdict pv;
		char age[48] = "";

		if (run_is_newer(row, e)) {
			v = pj_verdict_word(row);
			a = pj_verdict_attr(row);
			detail = row->result ? bitext_get(row->result->summary, l) : "";
			if (row->state == PJ_DONE)
				dm_age((int64_t)pj_ended() * 1000, age, sizeof(age));
		} else if (e) {
			v = e->verdict;
			if (probe_verdict_parse(v, &pv))
				a = ui_verdict_attr(pv);
			detail = _(e->summary_ja ? e->summary_ja : "", e->summary_en ? e->summary_en : "");
			dm_age(e->t_ms, age, sizeof(age));
		}
		ui_put(y, COL_NAME, W_NAME, bitext_get(layers[i]->title, l),
		       (int)i == sel ? UA_REVERSE : UA_NORMAL);
		ui_put(y, COL_VERDICT, W_VERDICT, v, a);
		ui_put(y, COL_AGE, W_AGE, age, UA_NORMAL);
		dm_draw_strip(y, COL_STRIP, layers[i]->id, cells);
		ui_put(y, col_sum, cols - col_sum, detail, UA_NORMAL);
	}
	pj_unlock();
	return y;
}

/* One row per layer: name, verdict word, figure, detail. */
static int draw_layers(int y, int room, int cols)
{
	enum oq_lang l = i18n_lang();
	size_t first, end;

	visible_layers(room, &first, &end);
	put_layer_heading(y, first, end);
	ui_put(y, COL_VERDICT, W_VERDICT, _("判定", "Result"), UA_DIM);
	ui_put(y, COL_FIGURE, W_FIGURE, _("値", "Figure"), UA_DIM);
	ui_put(y++, COL_DETAIL, cols - COL_DETAIL, _("要約", "Summary"), UA_DIM);
	pj_lock();
	for (size_t i = first; i < end; i++, y++) {
		const struct pj_row *row = pj_find(layers[i]->id);
		const char *v = pj_verdict_word(row);
		enum ui_attr a = pj_verdict_attr(row);
		char *fig = row ? pj_figure(row, layers[i]->figure) : xstrdup("");
		const char *detail = row && row->result ? bitext_get(row->result->summary, l)
				   : _("未確認", "not checked");
		ui_put(y, COL_NAME, W_NAME, bitext_get(layers[i]->title, l),
		       (int)i == sel ? UA_REVERSE : UA_NORMAL);
		ui_put(y, COL_VERDICT, W_VERDICT, v, a);
		ui_put(y, COL_FIGURE, W_FIGURE, fig, UA_NORMAL);
		ui_put(y, COL_DETAIL, cols - COL_DETAIL, detail, UA_NORMAL);
		free(fig);
	}
	pj_unlock();
	return y;
}

/* The whole summary and the remedy of the selected layer, wrapped. */
static void draw_layer_text(int y, int rows, int cols)
{
	enum oq_lang l = i18n_lang();
	const struct pj_row *row;
	char *text = NULL;

	if ((size_t)sel >= n_layers)
		return;
	pj_lock();
	row = pj_find(layers[sel]->id);
	if (dm_running() && !run_is_newer(row, dm_latest(layers[sel]->id))) {
		const struct mon_probe_entry *e = dm_latest(layers[sel]->id);
		if (e)
			text = xasprintf("%s: %s", bitext_get(layers[sel]->title, l),
					 _(e->summary_ja ? e->summary_ja : "", e->summary_en ? e->summary_en : ""));
	} else if (row && row->result) {
		const char *rem = bitext_get(row->result->remedy, l);
		text = *rem ? xasprintf(_("%s: %s 対処: %s", "%s: %s What to do: %s"),
					bitext_get(layers[sel]->title, l),
					bitext_get(row->result->summary, l), rem)
			    : xasprintf("%s: %s", bitext_get(layers[sel]->title, l),
					bitext_get(row->result->summary, l));
	}
	pj_unlock();
	if (text)
		ui_text(y, 0, cols, rows, text, UA_NORMAL);
	free(text);
}

static void dash_draw(int top, int rows, int cols)
{
	enum probe_verdict o;
	int y;

	draw_site(top, cols);
	if (dm_running()) {
		y = draw_layers_mon(top + 4, rows - 5 - ROWS_BELOW_MON, cols) + 1;
		if (pj_running() || pj_overall(&o))
			draw_overall(y++, cols);
		y += dm_draw_status(y, cols);
	} else {
		y = draw_layers(top + 4, rows - 5 - ROWS_BELOW, cols) + 1;
		draw_overall(y++, cols);
		if (site && dm_unknown())
			ui_put(y++, 0, cols, _("見張り (oqlink monitor) が動いているか分かりません (ロックを読む権限がありません: root で実行してください)",
					       "Cannot tell whether the monitor (oqlink monitor) runs (its lock may not be read: run as root)"),
			       UA_DIM);
		else if (site)
			ui_put(y++, 0, cols, _("見張り (oqlink monitor) は動いていません: 履歴も警報もなく、この画面が自分で確認します",
					       "The monitor (oqlink monitor) is not running: no history, no alarms; this screen checks by itself"),
			       UA_DIM);
	}
	draw_apply(y++, cols);
	if (pane.title && (ui_pane_running(&pane) || !show_layer))
		ui_pane_draw(&pane, y, top + rows - y, cols);
	else
		draw_layer_text(y, top + rows - y, cols);
}

static bool dash_key(int key)
{
	static const char *const confirm[] = { "confirm", NULL };
	static const char *const rollback[] = { "rollback", NULL };

	if ((key == 'y' || key == 'u') && remaining() >= 0) {
		if (!ui_pane_running(&pane) && ui_pane_start(&pane, key == 'y' ? confirm : rollback))
			show_layer = false;
		return true;
	}
	if ((key == UK_UP || key == UK_DOWN) && !ui_pane_running(&pane)) {
		if (n_layers > 0)
			sel = (sel + (key == UK_DOWN ? 1 : (int)n_layers - 1)) % (int)n_layers;
		show_layer = true;
		return true;
	}
	if (ui_pane_key(&pane, key))
		return true;
	if (key == UK_ENTER || key == 'e') {
		reload();
		if (site)
			pj_start(NULL, false);
		return true;
	}
	if (key == 'a') {
		auto_refresh = !auto_refresh;
		return true;
	}
	if (key == 'x' && pj_running()) {
		pj_cancel();
		return true;
	}
	return false;
}

static void dash_fini(void)
{
	dm_free();
	ui_pane_free(&pane);
	if (have_prov)
		prov_status_clear(&prov);
	have_prov = false;
	site_free(site);
	site = NULL;
	free(first_problem);
	first_problem = NULL;
	free(layers);
	layers = NULL;
	n_layers = 0;
}

static bool dash_busy(void)
{
	return ui_pane_running(&pane);
}

static const struct ui_keyhelp dash_help[] = {
	{ "Enter / e", BT("設定を読み直し、今すぐ確認する", "reload the config and check now") },
	{ "Up / Down", BT("層を選び、その要約と対処を下に全文で示す",
			  "select a layer: its whole summary and remedy show below") },
	{ "a", BT("自動更新を切り替える (--refresh 秒、既定 60)", "switch the auto refresh (--refresh seconds, default 60)") },
	{ "x", BT("実行中の確認を中止する", "cancel the running check") },
	{ "y / u", BT("確認待ちの適用を確定する / 元に戻す", "keep / undo an apply waiting for confirmation") },
	{ "PASS WARN FAIL", BT("判定は色がなくても語で示します。---- は未確認",
			       "verdicts are words, colour or not; ---- is not checked") },
	{ "o w X E - .", BT("見張りの 24 時間: 各マスの最悪の判定 (o PASS, w WARN, X FAIL, E ERROR, - SKIP, . 記録なし)",
			    "the monitor's 24 hours: the worst verdict of each cell (o PASS, w WARN, X FAIL, E ERROR, - SKIP, . no record)") },
	{ NULL, BT("", "") },
};

const struct ui_screen scr_dashboard = {
	.id = "dashboard",
	.title = BT("状態", "Status"),
	.fkey = UK_F2,
	.letter = 'd',
	.help = dash_help,
	.enter = dash_enter,
	.draw = dash_draw,
	.key = dash_key,
	.tick = dash_tick,
	.fini = dash_fini,
	.busy = dash_busy,
};
