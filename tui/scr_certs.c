/* The certificates screen: the certificates the config names, checked by
 * the cert probe (`oqlink probe cert`, in the background), and the import
 * of a certificate file from a path (a USB stick): PKCS#12 or PEM, its
 * password typed without echo, its facts and the key check shown, then a
 * copy (mode 0600) beside site.conf with the keys to set. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/site.h"
#include "core/util.h"
#include "probes/probe.h"
#include "tui/screen.h"

static struct ui_pane pane;

/* The import, step by step. */
enum imp_step { IMP_IDLE = 0, IMP_PATH, IMP_PASS, IMP_SHOWN, IMP_DONE };
static struct {
	enum imp_step step;
	struct ui_line path;		/* typed path */
	struct ui_line pass;		/* typed password: never drawn */
	char *file;			/* the path being imported */
	struct probe_cert_info info;
	char *error;			/* the last failure, shown until the next step */
	char *cert_path, *pass_path;	/* after the import */
	char *tls_name;			/* NAME of the config's [probe.tls.NAME] */
} imp;

/* The directory of site.conf: where imported files go. */
static char *import_dir(void)
{
	char *c = xstrdup(ui.config_path ? ui.config_path : "/etc/oqlink/site.conf");
	char *d = xstrdup(dirname(c));

	free(c);
	return d;
}

static void imp_reset(void)
{
	ui_line_wipe(&imp.pass);
	ui_line_wipe(&imp.path);
	free(imp.file);
	imp.file = NULL;
	probe_cert_info_clear(&imp.info);
	free(imp.cert_path);
	free(imp.pass_path);
	free(imp.tls_name);
	imp.cert_path = imp.pass_path = imp.tls_name = NULL;
	imp.step = IMP_IDLE;
}

static void imp_fail(char *cause)
{
	free(imp.error);
	imp.error = cause;
	ui_status(true, "%s", cause ? cause : "?");
	imp_reset();
}

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

/* A typed line at y, x (width columns) with the cursor in it. */
static void draw_line(struct ui_line *l, int y, int x, int width)
{
	int cx = ui_line_view(l, width);
	struct ui_line view = *l;
	char *s;

	wmemmove(view.buf, l->buf + l->first, l->len - l->first + 1);
	view.len = l->len - l->first;
	s = ui_line_get(&view);
	ui_line_wipe(&view);
	ui_put(y, x, width, s, UA_BOLD);
	free(s);
	ui.cur_y = y;
	ui.cur_x = x + cx;
}

static void put_time(int y, int cols, const char *label, int64_t t)
{
	char buf[CLOCK_BUF];

	clock_str(t * 1000, CLOCK_HUMAN, buf);
	ui_put(y, 0, 22, label, UA_NORMAL);
	ui_put(y, 23, cols - 23, buf, UA_NORMAL);
}

/* The facts of the file being imported; returns the rows used. */
static int draw_facts(int y, int cols)
{
	const struct probe_cert_info *i = &imp.info;
	int y0 = y;
	enum ui_attr a = i->days_left < 0 ? UA_FAIL : i->days_left <= 90 ? UA_WARN : UA_PASS;

	ui_putf(y++, 0, cols, UA_BOLD, "%s  %s", i->is_p12 ? "PKCS#12" : "PEM", imp.file);
#define ROW(ja, en, v) do { ui_put(y, 0, 22, _(ja, en), UA_NORMAL); ui_put(y++, 23, cols - 23, v, UA_NORMAL); } while (0)
	ROW("主体者", "Subject", i->subject);
	ROW("発行者", "Issuer", i->issuer);
	ROW("シリアル番号", "Serial", i->serial);
#undef ROW
	put_time(y++, cols, _("有効期間の開始", "Not before"), i->not_before);
	put_time(y++, cols, _("有効期間の終了", "Not after"), i->not_after);
	ui_put(y, 0, 22, _("残り日数", "Days left"), UA_NORMAL);
	if (i->days_left < 0)
		ui_putf(y++, 23, cols - 23, a, _("%d 日 (期限切れ)", "%d days (expired)"), i->days_left);
	else
		ui_putf(y++, 23, cols - 23, a, _("%d 日", "%d days"), i->days_left);
	ui_put(y, 0, 22, _("秘密鍵", "Private key"), UA_NORMAL);
	ui_put(y++, 23, cols - 23,
	       !i->key_present ? _("なし (証明書だけのファイル)", "none (a certificate only)")
	       : i->key_matches ? _("OK 証明書と一致します", "OK matches the certificate")
				: _("NG 証明書と一致しません", "MISMATCH does not belong to the certificate"),
	       !i->key_present ? UA_WARN : i->key_matches ? UA_PASS : UA_FAIL);
	return y - y0;
}

/* The import area; returns the rows used. */
static int draw_import(int y, int cols)
{
	int y0 = y;
	char *dir;

	switch (imp.step) {
	case IMP_IDLE:
		if (imp.error)
			y += ui_text(y, 0, cols, 2, imp.error, UA_FAIL);
		ui_put(y++, 0, cols, _("m で USB メモリなどから証明書 (PKCS#12 または PEM) を取り込みます",
				       "m imports a certificate (PKCS#12 or PEM) from a path (a USB stick)"), UA_NORMAL);
		break;
	case IMP_PATH:
		ui_put(y, 0, 22, _("取り込むファイル", "File to import"), UA_NORMAL);
		draw_line(&imp.path, y++, 23, cols - 24);
		ui_put(y++, 0, cols, _("Enter:次へ  Esc:やめる", "Enter:next  Esc:cancel"), UA_DIM);
		break;
	case IMP_PASS:
		ui_put(y++, 0, cols, imp.file, UA_NORMAL);
		if (imp.error)
			y += ui_text(y, 0, cols, 2, imp.error, UA_FAIL);
		ui_put(y, 0, 22, _("パスワード", "Password"), UA_NORMAL);
		ui_put(y++, 23, cols - 23, _("(入力中: 文字は表示しません。Enter で確定)",
					     "(typing: nothing is shown; Enter to finish)"), UA_BOLD);
		ui_put(y++, 0, cols, _("鍵が暗号化されていない PEM なら空のまま Enter  Esc:やめる",
				       "a PEM without an encrypted key: just Enter  Esc:cancel"), UA_DIM);
		break;
	case IMP_SHOWN:
		y += draw_facts(y, cols);
		if (imp.info.key_present && !imp.info.key_matches) {
			ui_put(y++, 0, cols, _("鍵が証明書と一致しないため取り込めません  Esc:閉じる",
					       "the key does not belong to the certificate, so it cannot be imported  Esc:close"),
			       UA_FAIL);
			break;
		}
		dir = import_dir();
		ui_putf(y++, 0, cols, UA_DIM, _("Enter:%s に取り込む  Esc:やめる", "Enter:import into %s  Esc:cancel"),
			dir);
		free(dir);
		break;
	case IMP_DONE:
		y += draw_facts(y, cols);
		ui_putf(y++, 0, cols, UA_PASS, _("取り込みました: %s (モード 0600)", "imported: %s (mode 0600)"),
			imp.cert_path);
		if (imp.pass_path) {
			ui_putf(y++, 0, cols, UA_PASS, _("パスワードのファイル: %s (モード 0600)",
							 "password file: %s (mode 0600)"), imp.pass_path);
			ui_putf(y++, 0, cols, UA_NORMAL, _("設定画面 (s) の [probe.tls.%s] に次を設定してください:",
							   "set these in [probe.tls.%s] on the setup screen (s):"),
				imp.tls_name);
			ui_putf(y++, 2, cols - 2, UA_BOLD, "client_p12 = %s", imp.cert_path);
			ui_putf(y++, 2, cols - 2, UA_BOLD, "password_file = %s", imp.pass_path);
		} else {
			ui_put(y++, 0, cols, _("設定画面 (s) の [ipsec] に次を設定してください:",
					       "set these in [ipsec] on the setup screen (s):"), UA_NORMAL);
			ui_putf(y++, 2, cols - 2, UA_BOLD, "certificate = %s", imp.cert_path);
			if (imp.info.key_present)
				ui_putf(y++, 2, cols - 2, UA_BOLD, "private_key = %s", imp.cert_path);
		}
		ui_put(y++, 0, cols, _("Esc:閉じる", "Esc:close"), UA_DIM);
		break;
	}
	return y - y0;
}

static void certs_draw(int top, int rows, int cols)
{
	int y = top;

	ui_put(y++, 0, cols, _("k:検査 (主体者・発行者・有効期間・残り日数・鍵)  m:取り込む  x:中止",
			       "k:check (subject, issuer, validity, days left, key)  m:import  x:cancel"), UA_DIM);
	y += draw_files(y, cols);
	y++;
	y += draw_import(y, cols);
	y++;
	if (imp.step == IMP_SHOWN || imp.step == IMP_DONE)
		return;
	if (pane.title)
		ui_pane_draw(&pane, y, top + rows - y, cols);
	else if (!ui_have_command("probe"))
		ui_missing(y, 0, cols, _("証明書の検査 (probes)", "certificate inspection (probes)"));
	else
		ui_put(y, 0, cols, _("k で検査します", "k checks them"), UA_NORMAL);
}

/* The path was typed: ask the password. */
static void imp_path_done(void)
{
	char *p = ui_line_get(&imp.path);

	str_trim(p);
	if (*p == '\0') {
		free(p);
		imp_reset();
		return;
	}
	free(imp.file);
	imp.file = xstrdup(p);
	free(p);
	ui_line_set(&imp.pass, "");
	imp.step = IMP_PASS;
}

/* The password was typed: read the file. */
static void imp_pass_done(void)
{
	char *pw = ui_line_get(&imp.pass), *cause = NULL;
	int r = probe_cert_inspect(imp.file, pw, &imp.info, &cause);

	explicit_bzero(pw, strlen(pw));
	free(pw);
	free(imp.error);
	imp.error = NULL;
	if (r == -EACCES) {
		/* a wrong or missing password: ask again */
		ui_line_wipe(&imp.pass);
		imp.error = cause;
		ui_status(true, "%s", cause);
		return;
	}
	if (r < 0) {
		imp_fail(cause);
		return;
	}
	imp.step = IMP_SHOWN;
}

static void imp_do(void)
{
	char *pw = ui_line_get(&imp.pass), *dir = import_dir(), *cause = NULL;
	int r = probe_cert_import(imp.file, pw, dir, &imp.cert_path, &imp.pass_path, &cause);

	explicit_bzero(pw, strlen(pw));
	free(pw);
	free(dir);
	ui_line_wipe(&imp.pass);
	if (r < 0) {
		imp_fail(cause);
		return;
	}
	struct site_diags d = { 0 };
	struct site *s = site_load(ui.config_path, false, &d);
	site_diags_free(&d);
	imp.tls_name = xstrdup(s && s->n_tls ? s->tls[0].name : "NAME");
	site_free(s);
	imp.step = IMP_DONE;
	ui_status(false, _("%s を取り込みました", "imported %s"), imp.cert_path);
}

/* Keys of the import; true when used. */
static bool import_key(int key)
{
	struct ui_line *l = imp.step == IMP_PATH ? &imp.path : &imp.pass;

	switch (imp.step) {
	case IMP_IDLE:
		if (key != 'm')
			return false;
		free(imp.error);
		imp.error = NULL;
		ui_line_set(&imp.path, "");
		imp.step = IMP_PATH;
		return true;
	case IMP_PATH:
	case IMP_PASS:
		if (key == UK_ESC) {
			free(imp.error);
			imp.error = NULL;
			imp_reset();
		} else if (key == UK_ENTER) {
			if (imp.step == IMP_PATH)
				imp_path_done();
			else
				imp_pass_done();
		} else {
			return ui_line_key(l, key) || ui_key_printable(key);
		}
		return true;
	case IMP_SHOWN:
		if (key == UK_ENTER)
			imp_do();
		else if (key == UK_ESC)
			imp_reset();
		else
			return false;
		return true;
	case IMP_DONE:
		if (key != UK_ESC && key != UK_ENTER)
			return false;
		imp_reset();
		return true;
	}
	return false;
}

static bool certs_editing(void)
{
	return imp.step == IMP_PATH || imp.step == IMP_PASS;
}

static bool certs_key(int key)
{
	static const char *const check[] = { "probe", "cert", NULL };

	if (import_key(key))
		return true;
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
	imp_reset();
	free(imp.error);
	imp.error = NULL;
}

static const struct ui_keyhelp certs_help[] = {
	{ "k", BT("証明書を検査する (oqlink probe cert)", "check the certificates (oqlink probe cert)") },
	{ "x / Esc", BT("検査を中止する", "cancel the check") },
	{ "m", BT("証明書を取り込む (パス、次にパスワード)", "import a certificate (path, then password)") },
	{ "Enter", BT("取り込み: 次へ / 内容を確かめて取り込む", "import: next / import after the facts are shown") },
	{ "Esc", BT("取り込みをやめる・閉じる", "import: cancel or close") },
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
	.editing = certs_editing,
	.busy = certs_busy,
	.fini = certs_fini,
};
