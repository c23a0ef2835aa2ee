/* The certificates screen: the certificates the config names, checked by
 * the cert probe (`oqlink probe cert`, in the background). Importing a
 * certificate from a path needs a function the certificate module does not
 * offer yet; the screen says so instead of pretending. */
#include <stdlib.h>
#include <string.h>

#include "core/site.h"
#include "core/util.h"
#include "tui/screen.h"

static struct ui_pane pane;

/* The certificate files the config names, one row each. */
static int draw_files(int y, int cols)
{
	struct site_diags d = { 0 };
	struct site *s = site_load(ui.config_path, false, &d);
	int rows = 0;

	site_diags_free(&d);
	if (s == NULL) {
		ui_put(y, 0, cols, _("設定に誤りがあるため証明書を示せません (s で設定)",
				     "the config has errors, so no certificate can be shown (s opens setup)"), UA_FAIL);
		return 1;
	}
	struct {
		struct bitext what;
		const char *path;
	} files[] = {
		{ BT("IKE 証明書", "IKE certificate"), s->line == SITE_LINE_IPSEC ? s->certificate : NULL },
		{ BT("IKE の CA", "IKE CA"), s->line == SITE_LINE_IPSEC ? s->ca : NULL },
		{ BT("端末の証明書 (PKCS#12)", "Terminal certificate (PKCS#12)"), s->n_tls ? s->tls[0].client_p12 : NULL },
		{ BT("TLS の CA", "TLS CA"), s->n_tls ? s->tls[0].ca : NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (files[i].path == NULL)
			continue;
		ui_put(y + rows, 0, 26, bitext_get(files[i].what, i18n_lang()), UA_NORMAL);
		ui_put(y + rows++, 27, cols - 27, files[i].path, UA_NORMAL);
	}
	if (rows == 0)
		ui_put(y + rows++, 0, cols, _("設定に証明書のファイルはありません", "the config names no certificate file"),
		       UA_NORMAL);
	site_free(s);
	return rows;
}

static void certs_draw(int top, int rows, int cols)
{
	int y = top;

	ui_put(y++, 0, cols, _("k:検査 (主体者・発行者・有効期間・残り日数・鍵)  x:中止",
			       "k:check (subject, issuer, validity, days left, key)  x:cancel"), UA_DIM);
	y += draw_files(y, cols);
	y += ui_text(y, 0, cols, 2,
		     _("USB メモリなどから証明書を取り込む機能は、この版の証明書モジュールにまだありません。ファイルを置いて設定画面でパスを指定してください。",
		       "Importing a certificate from a path (a USB stick) is not in this build's certificate module yet: copy the file and name it on the setup screen."),
		     UA_WARN);
	y++;
	if (pane.title)
		ui_pane_draw(&pane, y, top + rows - y, cols);
	else if (!ui_have_command("probe"))
		ui_missing(y, 0, cols, _("証明書の検査 (probes)", "certificate inspection (probes)"));
	else
		ui_put(y, 0, cols, _("k で検査します", "k checks them"), UA_NORMAL);
}

static bool certs_key(int key)
{
	static const char *const check[] = { "probe", "cert", NULL };

	if (key == 'k' && ui_have_command("probe")) {
		if (!ui_pane_running(&pane))
			ui_pane_start(&pane, check);
		return true;
	}
	return ui_pane_key(&pane, key);
}

static void certs_tick(void)
{
	if (ui_pane_poll(&pane))
		ui_touch();
}

static bool certs_busy(void)
{
	return ui_pane_running(&pane);
}

static void certs_fini(void)
{
	ui_pane_free(&pane);
}

static const struct ui_keyhelp certs_help[] = {
	{ "k", BT("証明書を検査する (oqlink probe cert)", "check the certificates (oqlink probe cert)") },
	{ "x / Esc", BT("検査を中止する", "cancel the check") },
	{ NULL, BT("", "") },
};

const struct ui_screen scr_certs = {
	.id = "certs",
	.title = BT("証明書", "Certs"),
	.fkey = UK_F4,
	.letter = 'c',
	.help = certs_help,
	.draw = certs_draw,
	.key = certs_key,
	.tick = certs_tick,
	.busy = certs_busy,
	.fini = certs_fini,
};
