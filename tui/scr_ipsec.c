/* The IPsec screen: the tunnel's state, the diagnosis with its
 * explanation, and charon's live log with a level filter. Each action is
 * the `oqlink ipsec ...` command, run in the background in a pane. */
#include <stdio.h>
#include <stdlib.h>

#include "core/util.h"
#include "tui/screen.h"

static struct ui_pane pane;
static int level = 1;		/* charon log level for the live log, 0..4 */
static bool log_running;	/* the pane holds the live log */

/* Start one ipsec command unless one runs. */
static void run(const char *const *args, bool is_log)
{
	if (ui_pane_running(&pane)) {
		ui_status(true, "%s", _("実行中の処理があります (x で中止)", "something is running (x cancels)"));
		return;
	}
	log_running = is_log;
	ui_pane_start(&pane, args);
}

static void run_log(void)
{
	char lv[4];
	snprintf(lv, sizeof(lv), "%d", level);
	const char *args[] = { "ipsec", "log", "--level", lv, NULL };
	run(args, true);
}

static void ipsec_enter(void)
{
	static const char *const status[] = { "ipsec", "status", NULL };

	if (pane.title == NULL)
		run(status, false);
}

static void ipsec_draw(int top, int rows, int cols)
{
	ui_putf(top, 0, cols, UA_DIM,
		_("t:状態  g:診断  o:ログ (詳しさ %d, +/-で変更)  u:接続  n:切断  x:中止",
		  "t:status  g:diagnose  o:log (level %d, +/- to change)  u:up  n:down  x:cancel"),
		level);
	if (pane.title)
		ui_pane_draw(&pane, top + 1, rows - 1, cols);
	else
		ui_put(top + 2, 0, cols, _("t で状態を表示します", "t shows the state"), UA_NORMAL);
}

static bool ipsec_key(int key)
{
	static const char *const status[] = { "ipsec", "status", NULL };
	/* the key itself is the consent: its help says the tunnel is brought up afresh */
	static const char *const diagnose[] = { "ipsec", "diagnose", "--yes", NULL };
	static const char *const up[] = { "ipsec", "up", NULL };
	static const char *const down[] = { "ipsec", "down", NULL };

	switch (key) {
	case 't':
	case UK_ENTER:
		run(status, false);
		return true;
	case 'g':
		run(diagnose, false);
		return true;
	case 'u':
		run(up, false);
		return true;
	case 'n':
		run(down, false);
		return true;
	case 'o':
		run_log();
		return true;
	case '+':
	case '-':
		level += key == '+' ? 1 : -1;
		level = level < 0 ? 0 : level > 4 ? 4 : level;
		if (log_running && ui_pane_running(&pane)) {
			ui_job_free(pane.job);	/* restart the log at the new level */
			pane.job = NULL;
			run_log();
		}
		ui_status(false, _("ログの詳しさ: %d", "log level: %d"), level);
		return true;
	default:
		return ui_pane_key(&pane, key);
	}
}

static void ipsec_tick(void)
{
	if (ui_pane_poll(&pane))
		ui_touch();
}

static bool ipsec_busy(void)
{
	return ui_pane_running(&pane) && !log_running;
}

static void ipsec_fini(void)
{
	ui_pane_free(&pane);
}

static const struct ui_keyhelp ipsec_help[] = {
	{ "t / Enter", BT("トンネルの状態 (oqlink ipsec status)", "the tunnel's state (oqlink ipsec status)") },
	{ "g", BT("張り直して原因を診断する (oqlink ipsec diagnose)",
		  "bring it up afresh and explain failures (oqlink ipsec diagnose)") },
	{ "o", BT("charon のログを追う (oqlink ipsec log)", "follow charon's log (oqlink ipsec log)") },
	{ "+ / -", BT("ログの詳しさを変える (0-4)", "change the log level (0-4)") },
	{ "u / n", BT("トンネルを張る / 閉じる", "bring the tunnel up / down") },
	{ "x / Esc", BT("実行中の処理を中止する", "cancel what runs") },
	{ "Up Down PgUp PgDn", BT("出力をさかのぼる", "scroll the output") },
	{ NULL, BT("", "") },
};

const struct ui_screen scr_ipsec = {
	.id = "ipsec",
	.title = BT("IPsec", "IPsec"),
	.fkey = UK_F6,
	.letter = 'i',
	.help = ipsec_help,
	.enter = ipsec_enter,
	.draw = ipsec_draw,
	.key = ipsec_key,
	.tick = ipsec_tick,
	.busy = ipsec_busy,
	.fini = ipsec_fini,
};
