/* The dashboard: the site at a glance, one line per layer of the path with
 * its verdict and key figure, the overall state in words. The config part
 * comes from site_load (as `oqlink config check`); the layers from the
 * probes and ipsec modules when this build has them. */
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "core/site.h"
#include "core/util.h"
#include "provision/provision.h"
#include "tui/screen.h"

#define RELOAD_MS 5000

/* One layer of the path, bottom up. */
struct layer {
	const char *id;
	struct bitext name;
	bool ipsec_only;
};

static const struct layer layers[] = {
	{ "link", BT("リンク", "Link"), false },
	{ "address", BT("アドレス", "Address"), false },
	{ "gateway", BT("ゲートウェイ", "Gateway"), false },
	{ "dns", BT("DNS", "DNS"), false },
	{ "clock", BT("時刻", "Clock"), false },
	{ "ike", BT("IKE", "IKE"), true },
	{ "child", BT("CHILD SA", "CHILD SA"), true },
	{ "reach", BT("到達性", "Reach"), false },
	{ "tls", BT("TLS", "TLS"), false },
	{ "cert", BT("証明書の残り日数", "Cert days left"), false },
};

/* What the dashboard knows of a layer. */
struct layer_state {
	char *verdict;		/* "PASS" ..., or NULL: not known */
	char *figure;
	char *detail;
};

static struct site *site;
static size_t n_problems;
static char *first_problem;
static int64_t loaded_ms;
static struct layer_state state[ARRAY_SIZE(layers)];
static struct prov_status prov;	/* the last apply and the confirm countdown */
static bool have_prov;
static long shown_remaining = -1;
static struct ui_pane pane;		/* confirm, rollback */

/* Load the config again (cheap: one small file). */
static void reload(void)
{
	struct site_diags d = { 0 };

	site_free(site);
	free(first_problem);
	first_problem = NULL;
	site = site_load(ui.config_path, true, &d);
	n_problems = d.n;
	if (d.n > 0)
		first_problem = d.v[0].line
			? xasprintf("%s:%u:%u: %s", d.v[0].file, d.v[0].line, d.v[0].col, d.v[0].message)
			: xstrdup(d.v[0].message);
	site_diags_free(&d);
	loaded_ms = now_ms();
	if (have_prov)
		prov_status_clear(&prov);
	have_prov = site && prov_status_get(site, &prov, NULL) == 0;
}

/* Seconds left before an unconfirmed apply is undone, or -1. */
static long remaining(void)
{
	if (!have_prov || !prov.pending)
		return -1;
	long r = (long)(prov.deadline - time(NULL));
	return r < 0 ? 0 : r;
}

static void dash_enter(void)
{
	reload();
}

static void dash_tick(void)
{
	if (now_ms() - loaded_ms > RELOAD_MS) {
		size_t before = n_problems;
		bool had = site != NULL;
		reload();
		if (before != n_problems || had != (site != NULL))
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
	ui_put(y, 0, cols, _("設定がありません、または誤りがあります", "No valid config"), UA_BOLD);
	ui_putf(y + 1, 0, cols, UA_FAIL, _("設定: NG %zu 件の問題 (s で設定画面へ)",
					   "Config: BAD %zu problem(s) (s opens setup)"), n_problems);
	ui_text(y + 2, 0, cols, 2, first_problem ? first_problem : "", UA_NORMAL);
}

/* One row per layer: name, verdict word, figure, detail. */
static int draw_layers(int y, int cols)
{
	enum oq_lang l = i18n_lang();
	bool ipvpn = site && site->line == SITE_LINE_IPVPN;

	ui_put(y, 0, 20, _("層", "Layer"), UA_DIM);
	ui_put(y, 22, 7, _("判定", "Verdict"), UA_DIM);
	ui_put(y, 30, 14, _("値", "Figure"), UA_DIM);
	ui_put(y++, 46, cols - 46, _("詳細", "Detail"), UA_DIM);
	for (size_t i = 0; i < ARRAY_SIZE(layers); i++, y++) {
		const struct layer_state *s = &state[i];
		const char *v = s->verdict ? s->verdict : "----";
		const char *detail = s->detail ? s->detail : _("未確認", "not checked");
		if (layers[i].ipsec_only && ipvpn) {
			v = "n/a";
			detail = _("IP-VPN では対象外", "not used with IP-VPN");
		}
		ui_put(y, 0, 20, bitext_get(layers[i].name, l), UA_NORMAL);
		ui_put(y, 22, 7, v, ui_verdict_attr(v));
		ui_put(y, 30, 14, s->figure ? s->figure : "", UA_NORMAL);
		ui_put(y, 46, cols - 46, detail, UA_NORMAL);
	}
	return y;
}

static void dash_draw(int top, int rows, int cols)
{
	int y;

	draw_site(top, cols);
	y = draw_layers(top + 4, cols);
	y++;
	ui_put(y++, 0, cols, site ? _("全体: 未確認 (層の状態はまだ調べていません)",
				      "Overall: NOT CHECKED (the layers have not been checked)")
				  : _("全体: 設定待ち", "Overall: WAITING FOR A CONFIG"), UA_BOLD);
	draw_apply(y++, cols);
	if (pane.title)
		ui_pane_draw(&pane, y, top + rows - y, cols);
	else if (!ui_have_command("probe"))
		ui_missing(y, 0, cols, _("疎通確認 (probes)", "probes"));
}

static bool dash_key(int key)
{
	static const char *const confirm[] = { "confirm", NULL };
	static const char *const rollback[] = { "rollback", NULL };

	if ((key == 'y' || key == 'u') && remaining() >= 0) {
		if (!ui_pane_running(&pane))
			ui_pane_start(&pane, key == 'y' ? confirm : rollback);
		return true;
	}
	if (ui_pane_key(&pane, key))
		return true;
	if (key == UK_ENTER || key == 'e') {
		reload();
		ui_status(false, "%s", _("設定を読み直しました", "config reloaded"));
		return true;
	}
	return false;
}

static void dash_fini(void)
{
	ui_pane_free(&pane);
	if (have_prov)
		prov_status_clear(&prov);
	have_prov = false;
	site_free(site);
	site = NULL;
	free(first_problem);
	first_problem = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(state); i++) {
		free(state[i].verdict);
		free(state[i].figure);
		free(state[i].detail);
	}
	memset(state, 0, sizeof(state));
}

static bool dash_busy(void)
{
	return ui_pane_running(&pane);
}

static const struct ui_keyhelp dash_help[] = {
	{ "Enter / e", BT("今すぐ更新する", "refresh now") },
	{ "y / u", BT("確認待ちの適用を確定する / 元に戻す", "keep / undo an apply waiting for confirmation") },
	{ "PASS WARN FAIL", BT("判定は色がなくても語で示します。---- は未確認",
			       "verdicts are words, colour or not; ---- is not checked") },
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
