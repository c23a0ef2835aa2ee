/* The report screen: fill in engineer and witness, run the operational
 * test (`oqlink test`, in the background, live), and copy the report and
 * its pcap onto a USB memory or into a chosen directory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "report/report.h"
#include "tui/screen.h"

enum { F_ENGINEER, F_WITNESS, F_DIR, F_COPY, N_FIELDS };

static const struct bitext labels[N_FIELDS] = {
	BT("作業担当者", "Engineer"),
	BT("立会者", "Witness"),
	BT("報告書の置き場所", "Report directory"),
	BT("写し先 (空欄=USB)", "Copy to (empty: USB)"),
};

static char *values[N_FIELDS];
static int sel;
static bool edit;
static struct ui_line line;
static struct ui_pane pane;
static char **written;		/* files `oqlink test` reported, NULL-terminated */
static size_t n_written;

/* Prefill from the config. */
static void report_enter(void)
{
	struct site_diags d = { 0 };
	struct site *s;

	if (values[0] != NULL)
		return;
	s = site_load(ui.config_path, false, &d);
	site_diags_free(&d);
	values[F_ENGINEER] = xstrdup(s && s->engineer ? s->engineer : "");
	values[F_WITNESS] = xstrdup(s && s->witness ? s->witness : "");
	values[F_DIR] = xstrdup(s && s->report_dir ? s->report_dir : "/var/lib/oqlink/reports");
	values[F_COPY] = xstrdup("");
	site_free(s);
}

/* A line of `oqlink test`: the paths of the files come last, one a line. */
static void on_line(void *ctx, const char *l)
{
	if (l[0] != '/' || access(l, R_OK) < 0)
		return;
	written = xrealloc(written, (n_written + 2) * sizeof(*written));
	written[n_written++] = xstrdup(l);
	written[n_written] = NULL;
}

static void run_test(void)
{
	const char *args[] = { "test", "--report-dir", values[F_DIR], "--engineer", values[F_ENGINEER],
			       "--witness", values[F_WITNESS], NULL };

	if (ui_pane_running(&pane)) {
		ui_status(true, "%s", _("実行中の処理があります (x で中止)", "something is running (x cancels)"));
		return;
	}
	str_list_free(written);
	written = NULL;
	n_written = 0;
	pane.on_line = on_line;
	ui_pane_start(&pane, args);
}

/* Copy the newest report and its pcap: onto the USB memory when no
 * directory is given (`oqlink report export`, which finds, mounts, syncs
 * and unmounts it), else into that directory. */
static void copy_files(void)
{
	const char *args[] = { "report", "export", "--report-dir", values[F_DIR], NULL, NULL };

	if (ui_pane_running(&pane)) {
		ui_status(true, "%s", _("実行中の処理があります (x で中止)", "something is running (x cancels)"));
		return;
	}
	if (*values[F_COPY])
		args[4] = values[F_COPY];
	pane.on_line = NULL;
	ui_pane_start(&pane, args);
}

static void report_draw(int top, int rows, int cols)
{
	int y = top;

	ui_put(y++, 0, cols, edit ? _("Enter:確定  Esc:取消", "Enter:accept  Esc:undo")
				  : _("上下:選ぶ  Enter:入力  t:運用テストと報告書  u:USB へ写す  x:中止",
				      "Up/Down:select  Enter:edit  t:test and report  u:copy to USB  x:cancel"),
	       UA_DIM);
	for (int i = 0; i < N_FIELDS; i++, y++) {
		ui_put(y, 0, 24, bitext_get(labels[i], i18n_lang()), i == sel ? UA_REVERSE : UA_NORMAL);
		if (edit && i == sel) {
			int cx = ui_line_view(&line, cols - 26);
			char *s = ui_line_get(&line);
			size_t skip = 0;
			for (size_t k = 0; k < line.first; k++) {
				char tmp[8];
				mbstate_t st = { 0 };
				size_t n = wcrtomb(tmp, line.buf[k], &st);
				skip += n == (size_t)-1 ? 0 : n;
			}
			ui_put(y, 25, cols - 26, s + skip, UA_BOLD);
			free(s);
			ui.cur_y = y;
			ui.cur_x = 25 + cx;
		} else {
			ui_put(y, 25, cols - 26, values[i], UA_NORMAL);
		}
	}
	if (n_written)
		ui_putf(y++, 0, cols, UA_PASS, _("書いたファイル: %zu 個 (u で写す)", "files written: %zu (u copies)"),
			n_written);
	y++;
	if (pane.title)
		ui_pane_draw(&pane, y, top + rows - y, cols);
}

static bool report_key(int key)
{
	if (edit) {
		if (key == UK_ENTER || key == UK_TAB) {
			char *v = ui_line_get(&line);
			free(values[sel]);
			values[sel] = xstrdup(str_trim(v));
			free(v);
			edit = false;
			return true;
		}
		if (key == UK_ESC) {
			edit = false;
			return true;
		}
		return ui_line_key(&line, key) || ui_key_printable(key);
	}
	switch (key) {
	case UK_UP:
		sel -= sel > 0;
		return true;
	case UK_DOWN:
		sel += sel + 1 < N_FIELDS;
		return true;
	case UK_ENTER:
		edit = true;
		ui_line_set(&line, values[sel]);
		return true;
	case 't':
		run_test();
		return true;
	case 'u':
		copy_files();
		return true;
	default:
		return ui_pane_key(&pane, key);
	}
}

static bool report_editing(void)
{
	return edit;
}

static void report_tick(void)
{
	if (ui_pane_poll(&pane))
		ui_touch();
}

static bool report_busy(void)
{
	return ui_pane_running(&pane);
}

static void report_fini(void)
{
	ui_pane_free(&pane);
	for (int i = 0; i < N_FIELDS; i++) {
		free(values[i]);
		values[i] = NULL;
	}
	str_list_free(written);
	written = NULL;
	n_written = 0;
}

static const struct ui_keyhelp report_help[] = {
	{ "Up / Down, Enter", BT("作業担当者・立会者・置き場所・写し先を入力する",
				 "fill in engineer, witness, report directory, copy destination") },
	{ "t", BT("運用テストを実行し報告書を書く (oqlink test)", "run the operational test and write the report (oqlink test)") },
	{ "u", BT("最新の報告書と pcap を USB メモリ (写し先が空欄のとき) か写し先に写す (oqlink report export)",
		  "copy the newest report and its pcap onto the USB memory (copy-to empty) or there (oqlink report export)") },
	{ "x / Esc", BT("実行中のテストを中止する", "cancel the running test") },
	{ NULL, BT("", "") },
};

const struct ui_screen scr_report = {
	.id = "report",
	.title = BT("報告書", "Report"),
	.fkey = UK_F7,
	.letter = 'r',
	.help = report_help,
	.enter = report_enter,
	.draw = report_draw,
	.key = report_key,
	.tick = report_tick,
	.editing = report_editing,
	.busy = report_busy,
	.fini = report_fini,
};
