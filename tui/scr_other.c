/* The screens whose functions live in modules this build may not have yet
 * (certificates, probes, IPsec, report). Each says plainly what is missing
 * instead of showing made-up data. */
#include <stdlib.h>
#include <string.h>

#include "core/site.h"
#include "core/util.h"
#include "tui/screen.h"

/* A screen body for a module that is not there: what it will do, and
 * that this build cannot. */
static void draw_pending(int top, int rows, int cols, const char *what, const char *module)
{
	int y = top + 1;

	y += ui_text(y, 0, cols, 4, what, UA_NORMAL);
	y++;
	ui_missing(y, 0, cols, module);
}

static void certs_draw(int top, int rows, int cols)
{
	draw_pending(top, rows, cols,
		     _("証明書: USB メモリなどのパスから PKCS#12 または PEM を取り込み、パスワードを尋ね、主体者・発行者・有効期間・残り日数を示し、鍵と対になっているかを確かめます。",
		       "Certificates: import a PKCS#12 or PEM from a path (a USB stick), ask its password, show subject, issuer, validity and days left, and check the key."),
		     _("証明書の検査 (probes)", "certificate inspection (probes)"));
}

static void report_draw(int top, int rows, int cols)
{
	draw_pending(top, rows, cols,
		     _("報告書: 運用テストを実行し、作業者と立会人を記入し、報告書を書いて、指定したディレクトリ (USB メモリ) に写します。",
		       "Report: run the operational test, fill in engineer and witness, write the report, and copy it to a chosen directory (a USB stick)."),
		     _("報告書 (report)", "report"));
}

static bool no_keys(int key)
{
	return false;
}

static const struct ui_keyhelp pending_help[] = {
	{ NULL, BT("", "") },
};

const struct ui_screen scr_certs = {
	.id = "certs", .title = BT("証明書", "Certs"), .fkey = UK_F4, .letter = 'c',
	.help = pending_help, .draw = certs_draw, .key = no_keys,
};
const struct ui_screen scr_report = {
	.id = "report", .title = BT("報告書", "Report"), .fkey = UK_F7, .letter = 'r',
	.help = pending_help, .draw = report_draw, .key = no_keys,
};
