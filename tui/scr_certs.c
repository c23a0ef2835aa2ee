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
#include "provision/provision.h"
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
	char *written;			/* what became of the config after the import */
	bool written_ok;
} imp;

/* The certificate files the config names, with their facts once k was
 * pressed (read again on every k). */
struct checked {
	struct bitext what;
	char *path;
	bool read;			/* info holds the facts, else error says why */
	struct probe_cert_info info;
	char *error;
};
static struct checked *checked;
static size_t n_checked;
static bool have_checked;

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
	free(imp.written);
	imp.cert_path = imp.pass_path = imp.tls_name = imp.written = NULL;
	imp.step = IMP_IDLE;
}

static void checked_clear(void)
{
	for (size_t i = 0; i < n_checked; i++) {
		free(checked[i].path);
		free(checked[i].error);
		probe_cert_info_clear(&checked[i].info);
	}
	free(checked);
	checked = NULL;
	n_checked = 0;
	have_checked = false;
}

static void checked_add(struct bitext what, const char *path, const char *password_file)
{
	struct checked *c;
	int r;

	if (path == NULL)
		return;
	checked = xrealloc(checked, (n_checked + 1) * sizeof(*checked));
	c = &checked[n_checked++];
	memset(c, 0, sizeof(*c));
	c->what = what;
	c->path = xstrdup(path);
	r = probe_cert_inspect_file(path, password_file, &c->info, &c->error);
	c->read = r == 0;
}

/* Read the facts of every certificate file the config names. */
static void checked_load(void)
{
	struct site_diags d = { 0 };
	struct site *s = site_load(ui.config_path, false, &d);

	site_diags_free(&d);
	checked_clear();
	have_checked = true;
	if (s == NULL)
		return;
	if (s->line == SITE_LINE_IPSEC) {
		checked_add((struct bitext)BT("IKE 証明書", "IKE certificate"), s->certificate, NULL);
		checked_add((struct bitext)BT("IKE の CA", "IKE CA"), s->ca, NULL);
	}
	for (size_t t = 0; t < s->n_tls; t++) {
		checked_add((struct bitext)BT("端末の証明書 (PKCS#12)", "Terminal certificate (PKCS#12)"),
			    s->tls[t].client_p12, s->tls[t].password_file);
		checked_add((struct bitext)BT("TLS の CA", "TLS CA"), s->tls[t].ca, NULL);
	}
	site_free(s);
}

static void imp_fail(char *cause)
{
	free(imp.error);
	imp.error = cause;
	ui_status(true, "%s", cause ? cause : "?");
	imp_reset();
}

/* "2026-12-18 09:00 UTC (残り 19 日)" for the end of validity. */
static char *expiry_text(const struct probe_cert_info *i)
{
	char date[32];
	time_t t = (time_t)i->not_after;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	if (i->days_left < 0)
		return xasprintf(_("%s (期限切れ、%d 日)", "%s (expired, %d days)"), date, i->days_left);
	return xasprintf(_("%s (残り %d 日)", "%s (%d days left)"), date, i->days_left);
}

/* The facts of the files read on k: subject, issuer, expiry, verdict. */
static int draw_checked(int y, int cols)
{
	int y0 = y;
	enum oq_lang l = i18n_lang();

	if (n_checked == 0) {
		ui_put(y++, 0, cols, _("設定に証明書のファイルはありません", "the config names no certificate file"),
		       UA_NORMAL);
		return 1;
	}
	for (size_t k = 0; k < n_checked; k++) {
		const struct checked *c = &checked[k];
		const struct probe_cert_info *i = &c->info;

		ui_put(y, 0, 26, bitext_get(c->what, l), UA_BOLD);
		ui_put(y++, 27, cols - 27, c->path, UA_NORMAL);
		if (!c->read) {
			ui_put(y, 2, 10, "FAIL", UA_FAIL);
			ui_put(y++, 12, cols - 12, c->error ? c->error : "?", UA_FAIL);
			continue;
		}
		ui_put(y, 2, 10, _("主体者", "Subject"), UA_NORMAL);
		ui_put(y++, 12, cols - 12, i->subject, UA_NORMAL);
		ui_put(y, 2, 10, _("発行者", "Issuer"), UA_NORMAL);
		ui_put(y++, 12, cols - 12, i->issuer, UA_NORMAL);
		char *exp = expiry_text(i);
		enum ui_attr a = ui_verdict_attr(i->verdict);
		ui_put(y, 2, 10, _("期限", "Expires"), UA_NORMAL);
		ui_putf(y++, 12, cols - 12, a, "%s  %s", exp, probe_verdict_name(i->verdict));
		free(exp);
	}
	return y - y0;
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
	enum ui_attr a;

	ui_putf(y++, 0, cols, UA_BOLD, "%s  %s", i->is_p12 ? "PKCS#12" : "PEM", imp.file);
#define ROW(ja, en, v) do { ui_put(y, 0, 22, _(ja, en), UA_NORMAL); ui_put(y++, 23, cols - 23, v, UA_NORMAL); } while (0)
	ROW("主体者", "Subject", i->subject);
	ROW("発行者", "Issuer", i->issuer);
	ROW("シリアル番号", "Serial", i->serial);
#undef ROW
	put_time(y++, cols, _("有効期間の開始", "Not before"), i->not_before);
	put_time(y++, cols, _("有効期間の終了", "Not after"), i->not_after);
	ui_put(y, 0, 22, _("残り日数", "Days left"), UA_NORMAL);
	a = ui_verdict_attr(i->verdict);
	if (i->days_left < 0)
		ui_putf(y++, 23, cols - 23, a, _("%d 日 (期限切れ)  %s", "%d days (expired)  %s"), i->days_left,
			probe_verdict_name(i->verdict));
	else
		ui_putf(y++, 23, cols - 23, a, _("%d 日  %s", "%d days  %s"), i->days_left,
			probe_verdict_name(i->verdict));
	if (i->verdict != PROBE_PASS)
		y += ui_text(y, 2, cols - 2, 2, bitext_get(i->remedy, i18n_lang()), a);
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
		if (imp.pass_path)
			ui_putf(y++, 0, cols, UA_PASS, _("パスワードのファイル: %s (モード 0600)",
							 "password file: %s (mode 0600)"), imp.pass_path);
		if (imp.pass_path) {
			ui_putf(y++, 2, cols - 2, UA_BOLD, "[probe.tls.%s] client_p12 = %s", imp.tls_name,
				imp.cert_path);
			ui_putf(y++, 2, cols - 2, UA_BOLD, "[probe.tls.%s] password_file = %s", imp.tls_name,
				imp.pass_path);
		} else {
			ui_putf(y++, 2, cols - 2, UA_BOLD, "[ipsec] certificate = %s", imp.cert_path);
			if (imp.info.key_present)
				ui_putf(y++, 2, cols - 2, UA_BOLD, "[ipsec] private_key = %s", imp.cert_path);
		}
		if (imp.written)
			y += ui_text(y, 0, cols, 2, imp.written, imp.written_ok ? UA_PASS : UA_WARN);
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
	if (have_checked && imp.step == IMP_IDLE)
		y += draw_checked(y, cols);
	else
		y += draw_files(y, cols);
	y++;
	y += draw_import(y, cols);
	y++;
	if (imp.step == IMP_SHOWN || imp.step == IMP_DONE)
		return;
	if (pane.title)
		ui_pane_draw(&pane, y, top + rows - y, cols);
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

/* Set the imported files in the config through the setup screen's wizard
 * (the one writer), and save when nothing else is pending there. */
static void imp_configure(void)
{
	struct wiz *w = setup_wiz();
	bool was_dirty = w->dirty;
	const char *sec = imp.pass_path ? "probe.tls" : "ipsec";
	int f1 = wiz_field_find(sec, imp.pass_path ? "client_p12" : "certificate");
	int f2 = wiz_field_find(sec, imp.pass_path ? "password_file" : "private_key");
	char *cause = NULL;
	int r;

	imp.tls_name = xstrdup(w->tls_name ? w->tls_name : "central");
	if (f1 < 0 || f2 < 0)
		return;
	wiz_set(w, (size_t)f1, imp.cert_path);
	if (imp.pass_path)
		wiz_set(w, (size_t)f2, imp.pass_path);
	else if (imp.info.key_present)
		wiz_set(w, (size_t)f2, imp.cert_path);
	imp.written_ok = false;
	if (!wiz_field_active(w, (size_t)f1)) {
		imp.written = xstrdup(imp.pass_path
			? _("設定画面 (s) に入れました。TLS の確認先 (host) を入れてから w で保存してください",
			    "set on the setup screen (s): enter the TLS check host there, then save with w")
			: _("設定画面 (s) に入れました。回線種別と認証方式を確かめてから w で保存してください",
			    "set on the setup screen (s): check the line type and authentication there, then save with w"));
		return;
	}
	if (was_dirty) {
		imp.written = xstrdup(_("設定画面 (s) に入れました。そこに保存していない変更があるので、w で保存してください",
					"set on the setup screen (s), which has unsaved changes: save them there with w"));
		return;
	}
	r = wiz_save(w, &cause);
	if (r == 0) {
		imp.written_ok = true;
		imp.written = xasprintf(_("%s に書きました (設定画面にも反映しています)",
					  "written to %s (the setup screen shows it too)"), w->path);
	} else if (r == -EINVAL) {
		imp.written = xasprintf(_("設定画面 (s) に入れました。設定にほかに %zu 件の問題があるため、まだ保存していません",
					  "set on the setup screen (s); not saved yet: the config has %zu other problem(s)"),
					w->n_problems);
	} else {
		imp.written = cause;
		cause = NULL;
	}
	free(cause);
}

static void imp_do(void)
{
	char *pw = ui_line_get(&imp.pass), *dir = import_dir(), *cause = NULL;
	struct probe_cert_info info;
	int r = probe_cert_check_import(imp.file, pw, &info, &cause);

	if (r == 0)
		r = prov_cert_install(imp.file, info.is_p12 ? pw : NULL, dir, &imp.cert_path,
				      &imp.pass_path, &cause);
	probe_cert_info_clear(&info);

	explicit_bzero(pw, strlen(pw));
	free(pw);
	free(dir);
	ui_line_wipe(&imp.pass);
	if (r < 0) {
		imp_fail(cause);
		return;
	}
	imp_configure();
	imp.step = IMP_DONE;
	have_checked = false;
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
	if (key == 'k') {
		checked_load();
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
	checked_clear();
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
