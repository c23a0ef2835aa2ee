/* The setup wizard screen: pages of questions, each answer checked by the
 * config's own parser as soon as it is typed, secrets typed without echo,
 * and a review page that writes site.conf. The model is tui/wizard.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "provision/provision.h"
#include "tui/screen.h"

#define LABEL_COLS 26

static struct wiz *w;
static size_t page;
static int sel;			/* index among the visible fields of the page */
static int scroll;
static bool edit;
static struct ui_line line;
static bool saved;
static struct ui_pane pane;	/* plan, apply, confirm, rollback */
static bool again;		/* a secret: typed once, now typed again */
static struct ui_line first;	/* a secret as typed the first time */
static bool path_edit;		/* typing the file to write (f) */
static char *path_owned;	/* the file chosen with f, when one was */

/* The port chooser (o on an interface field): the box's ports, the one
 * whose link comes up selected. */
#define NIC_READ_MS 250
static struct {
	bool open;
	int field;			/* the interface field it fills */
	struct prov_nic *v;
	size_t n;
	int sel;
	int64_t read_ms;
	char *came_up;			/* the port whose link came up last */
} nic;

/* The visible fields of the page, in order; returns the count. */
static int page_fields(int *out)
{
	int n = 0;

	for (size_t i = 0; i < wiz_n_fields; i++)
		if (wiz_fields[i].page == page && wiz_field_active(w, i))
			out[n++] = (int)i;
	return n;
}

static int selected_field(void)
{
	int f[64], n = page_fields(f);

	if (n == 0)
		return -1;
	if (sel >= n)
		sel = n - 1;
	return f[sel];
}

struct wiz *setup_wiz(void)
{
	if (w == NULL) {
		w = wiz_new(ui.config_path);
		wiz_validate(w, true);
	}
	return w;
}

static void setup_enter(void)
{
	setup_wiz();
}

/* What the value column shows for field i. */
static char *value_text(size_t i)
{
	const struct wiz_field *f = &wiz_fields[i];
	enum oq_lang l = i18n_lang();

	if (f->kind == WIZ_SECRET) {
		if (edit && (int)i == selected_field())
			return xstrdup(again ? _("(確かめるため、もう一度入力: 文字は表示しません)",
						 "(type it again to be sure: nothing is shown)")
					     : _("(入力中: 文字は表示しません。Enter のあともう一度入力)",
						 "(typing: nothing is shown; after Enter, type it again)"));
		return xstrdup(w->secret_set[i] ? _("[入力済み: 保存時に書き込みます]", "[typed: written on save]")
				: _("[未入力: Enter で入力]", "[not typed: Enter to type]"));
	}
	if (f->kind == WIZ_CHOICE) {
		for (const struct site_choice *c = f->choices; c->word; c++)
			if (strcmp(c->word, w->values[i]) == 0)
				return xasprintf("< %s > %s", c->word, bitext_get(c->label, l));
		return xasprintf("< %s >", w->values[i]);
	}
	return xstrdup(w->values[i]);
}

/* One row of the field list. */
static void draw_field(int y, int cols, size_t i, bool is_sel)
{
	const struct wiz_field *f = &wiz_fields[i];
	int vx = 2 + LABEL_COLS + 1, vw = cols - vx - 1;
	char *label = xasprintf("%s%s", bitext_get(f->label, i18n_lang()), f->required ? " *" : "");

	if (is_sel && edit)
		ui_put(y, 0, 2, "> ", UA_BOLD);
	else
		ui_put(y, 0, 2, w->problems[i] ? "! " : "  ", UA_FAIL);
	ui_put(y, 2, LABEL_COLS, label, is_sel ? UA_REVERSE : UA_NORMAL);
	free(label);
	if (is_sel && edit && f->kind == WIZ_TEXT) {
		int cx = ui_line_view(&line, vw);
		struct ui_line view = line;
		view.buf[UI_LINE_MAX] = L'\0';
		wmemmove(view.buf, line.buf + line.first, line.len - line.first + 1);
		view.len = line.len - line.first;
		char *s = ui_line_get(&view);
		ui_put(y, vx, vw, s, UA_REVERSE);
		free(s);
		ui.cur_y = y;
		ui.cur_x = vx + cx;
		return;
	}
	char *v = value_text(i);
	ui_put(y, vx, vw, v, is_sel && edit ? UA_BOLD : UA_NORMAL);
	free(v);
}

/* The review page: where it goes, and every problem. */
static void draw_review(int top, int rows, int cols)
{
	int y = top;
	enum oq_lang l = i18n_lang();

	ui_putf(y++, 0, cols, UA_NORMAL, _("書き込み先: %s  (f で変更)", "Writes to: %s  (f changes it)"), w->path);
	y++;
	if (w->n_problems == 0) {
		ui_put(y++, 0, cols, saved && !w->dirty
		       ? _("OK 保存しました。'oqlink config check' と同じ検査に合格しています。",
			   "OK saved; it passes the same check as 'oqlink config check'.")
		       : _("OK 問題はありません。w で保存します。", "OK no problems: press w to save."),
		       UA_PASS);
		ui_put(y++, 0, cols, _("v:計画  a:適用 (確認タイマー 300 秒)  y:確定  u:元に戻す  x:中止",
				       "v:plan  a:apply (confirm timer 300 s)  y:confirm  u:roll back  x:cancel"),
		       UA_NORMAL);
		if (pane.title)
			ui_pane_draw(&pane, y, top + rows - y, cols);
		return;
	}
	ui_putf(y++, 0, cols, UA_FAIL, _("!! %zu 件の問題があります (保存できません):", "!! %zu problem(s) (cannot save yet):"),
		w->n_problems);
	for (size_t i = 0; i < wiz_n_fields && y < top + rows; i++) {
		if (w->problems[i] == NULL)
			continue;
		char *s = xasprintf("%s [%s]: %s", bitext_get(wiz_pages[wiz_fields[i].page].title, l),
				    bitext_get(wiz_fields[i].label, l), w->problems[i]);
		y += ui_text(y, 0, cols, top + rows - y, s, UA_NORMAL);
		free(s);
	}
	for (char **g = w->general; *g && y < top + rows; g++)
		y += ui_text(y, 0, cols, top + rows - y, *g, UA_NORMAL);
}

/* ---- several TLS targets: the wizard's fields hold one [probe.tls.NAME],
 * the others wait among the kept lines (w->extra) as "probe.tls.NAME". */

static bool tls_name_edit;	/* typing the name of a new target (+) */

/* Remove extra line k. */
static void extra_drop(size_t k)
{
	free(w->extra[k]);
	memmove(&w->extra[k], &w->extra[k + 1], (w->n_extra - k) * sizeof(*w->extra));
	w->n_extra--;
}

static void extra_add(char *kept)
{
	w->extra = xrealloc(w->extra, (w->n_extra + 2) * sizeof(*w->extra));
	w->extra[w->n_extra++] = kept;
	w->extra[w->n_extra] = NULL;
}

/* The names of the targets kept aside, in order (str_list_free). */
static char **tls_others(size_t *n)
{
	char **v = xcalloc(w->n_extra + 1, sizeof(*v));
	const size_t pl = strlen("probe.tls.");

	*n = 0;
	for (size_t k = 0; k < w->n_extra; k++) {
		if (!str_has_prefix(w->extra[k], "probe.tls."))
			continue;
		char *name = xstrndup(w->extra[k] + pl, strcspn(w->extra[k] + pl, "\t"));
		bool seen = false;
		for (size_t j = 0; j < *n; j++)
			seen |= strcmp(v[j], name) == 0;
		if (seen)
			free(name);
		else
			v[(*n)++] = name;
	}
	return v;
}

/* Put the target in the fields aside, under its name; clear the fields. */
static void tls_stash(void)
{
	for (size_t i = 0; i < wiz_n_fields; i++) {
		if (!wiz_fields[i].key || strcmp(wiz_fields[i].section, "probe.tls") != 0)
			continue;
		if (*w->values[i])
			extra_add(xasprintf("probe.tls.%s\t%s\t%s", w->tls_name, wiz_fields[i].key, w->values[i]));
		wiz_set(w, i, "");
	}
	for (size_t k = 0; k < w->n_extra;) {
		if (str_has_prefix(w->extra[k], "probe.tls\t")) {
			extra_add(xasprintf("probe.tls.%s%s", w->tls_name, w->extra[k] + strlen("probe.tls")));
			extra_drop(k);
		} else {
			k++;
		}
	}
}

/* Bring the target name from aside into the fields. */
static void tls_load(const char *name)
{
	char *prefix = xasprintf("probe.tls.%s\t", name);

	for (size_t k = 0; k < w->n_extra;) {
		if (!str_has_prefix(w->extra[k], prefix)) {
			k++;
			continue;
		}
		const char *key = w->extra[k] + strlen(prefix);
		char *k2 = xstrndup(key, strcspn(key, "\t"));
		const char *val = key + strlen(k2) + (key[strlen(k2)] ? 1 : 0);
		int f = wiz_field_find("probe.tls", k2);
		if (f >= 0)
			wiz_set(w, (size_t)f, val);
		else
			extra_add(xasprintf("probe.tls\t%s\t%s", k2, val));
		free(k2);
		extra_drop(k);
	}
	free(w->tls_name);
	w->tls_name = xstrdup(name);
	free(prefix);
}

/* A typed PKCS#12 password belongs to the target in the fields: moving
 * that target away first needs a save. */
static bool tls_secret_pending(void)
{
	for (size_t i = 0; i < wiz_n_fields; i++)
		if (wiz_fields[i].kind == WIZ_SECRET && wiz_fields[i].secret_of &&
		    str_has_prefix(wiz_fields[i].secret_of, "probe.tls/") && w->secret_set[i]) {
			ui_status(true, "%s", _("入力したパスワードを先に保存してください (w)",
						"save the password typed first (w)"));
			return true;
		}
	return false;
}

static bool tls_page(void)
{
	int h = wiz_field_find("probe.tls", "host");

	return h >= 0 && wiz_fields[h].page == page;
}

/* The TLS target line of the probes page. */
static void draw_tls_targets(int y, int cols)
{
	size_t n;
	char **o = tls_others(&n);
	char *s = xasprintf(_("TLS 確認先 [probe.tls.%s] (ほかに %zu 件)  +:追加  -:削除  ]:次の確認先",
			      "TLS target [probe.tls.%s] (%zu more)  +:add  -:remove  ]:next target"),
			    w->tls_name, n);

	ui_put(y, 0, cols - 5, s, UA_BOLD);
	free(s);
	str_list_free(o);
}

static const char *value_of_host(void)
{
	return w->values[wiz_field_find("probe.tls", "host")];
}

/* Empty the fields of the target (and its kept lines). */
static void tls_clear(void)
{
	for (size_t i = 0; i < wiz_n_fields; i++)
		if (wiz_fields[i].key && strcmp(wiz_fields[i].section, "probe.tls") == 0)
			wiz_set(w, i, "");
	for (size_t k = 0; k < w->n_extra;)
		if (str_has_prefix(w->extra[k], "probe.tls\t"))
			extra_drop(k);
		else
			k++;
}

/* A name was typed for a new target: the current one goes aside. */
static void tls_name_done(void)
{
	char *name = ui_line_get(&line);
	size_t n;
	char **o = tls_others(&n);
	bool ok = *str_trim(name) != '\0' && strcmp(name, w->tls_name) != 0;

	for (const char *c = name; *c && ok; c++)
		ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		     *c == '_' || *c == '-';
	for (size_t k = 0; k < n && ok; k++)
		ok = strcmp(o[k], name) != 0;
	str_list_free(o);
	tls_name_edit = false;
	ui_line_wipe(&line);
	if (!ok) {
		ui_status(true, _("名前 '%s' は使えません (英数字・_・- で、ほかと重ならないもの)",
				  "the name '%s' cannot be used (letters, digits, _ and -, not taken)"), name);
		free(name);
		return;
	}
	if (*value_of_host())
		tls_stash();
	else
		tls_clear();
	wiz_set(w, (size_t)wiz_field_find("probe.tls", "port"), "443");
	free(w->tls_name);
	w->tls_name = name;
	w->dirty = true;
	wiz_validate(w, true);
	ui_status(false, _("TLS 確認先 %s を追加しました", "added the TLS target %s"), w->tls_name);
}

static bool tls_key(int key)
{
	size_t n;
	char **o;

	if (key == '+') {
		if (tls_secret_pending())
			return true;
		tls_name_edit = true;
		ui_line_set(&line, "");
		return true;
	}
	if (key != '-' && key != ']')
		return false;
	if (tls_secret_pending())
		return true;
	o = tls_others(&n);
	if (key == '-') {
		char *gone = xstrdup(w->tls_name);
		tls_clear();
		if (n > 0)
			tls_load(o[0]);
		w->dirty = true;
		ui_status(false, _("TLS 確認先 %s を削除しました", "removed the TLS target %s"), gone);
		free(gone);
	} else if (n > 0) {
		if (*value_of_host())
			tls_stash();
		else
			tls_clear();
		tls_load(o[0]);
	}
	str_list_free(o);
	wiz_validate(w, true);
	return true;
}

static bool is_interface(int i)
{
	return i >= 0 && wiz_fields[i].key && strcmp(wiz_fields[i].key, "interface") == 0;
}

/* Read the ports again; a port whose link came up since is selected. */
static void nic_read(void)
{
	struct prov_nic *v = NULL;
	size_t n = 0;
	char *cause = NULL;

	nic.read_ms = now_ms();
	if (prov_nic_list(&v, &n, &cause) < 0) {
		ui_status(true, "%s", cause);
		free(cause);
		return;
	}
	for (size_t k = 0; k < n && nic.v; k++)
		for (size_t j = 0; j < nic.n; j++)
			if (strcmp(v[k].name, nic.v[j].name) == 0 && v[k].carrier && !nic.v[j].carrier) {
				nic.sel = (int)k;
				free(nic.came_up);
				nic.came_up = xstrdup(v[k].name);
			}
	free(nic.v);
	nic.v = v;
	nic.n = n;
	if (nic.sel >= (int)n)
		nic.sel = n ? (int)n - 1 : 0;
}

static void nic_open(int field)
{
	memset(&nic, 0, sizeof(nic));
	nic.open = true;
	nic.field = field;
	nic_read();
	for (size_t k = 0; k < nic.n; k++)
		if (strcmp(nic.v[k].name, w->values[field]) == 0)
			nic.sel = (int)k;
}

static void nic_close(void)
{
	free(nic.v);
	free(nic.came_up);
	memset(&nic, 0, sizeof(nic));
}

/* The chooser, in place of the field list. */
static void draw_nics(int top, int rows, int cols)
{
	enum oq_lang l = i18n_lang();
	int y = top;

	ui_putf(y++, 0, cols, UA_BOLD, _("ポートを選ぶ: %s", "Choose the port: %s"),
		bitext_get(wiz_fields[nic.field].label, l));
	ui_put(y++, 0, cols, _("使うポートにケーブルを挿すと、リンクの上がったポートが選ばれます。",
			       "Plug the cable into the port you mean: the port whose link comes up is selected."),
	       UA_NORMAL);
	ui_putf(y++, 0, cols, UA_DIM, "  %s", "");
	ui_put(y - 1, 2, 12, _("名前", "Name"), UA_DIM);
	ui_put(y - 1, 14, 18, "MAC", UA_DIM);
	ui_put(y - 1, 32, 12, _("ドライバ", "Driver"), UA_DIM);
	ui_put(y - 1, 44, 8, _("リンク", "Link"), UA_DIM);
	ui_put(y - 1, 52, cols - 52, _("速度", "Speed"), UA_DIM);
	for (size_t k = 0; k < nic.n && y < top + rows - 4; k++, y++) {
		const struct prov_nic *c = &nic.v[k];
		enum ui_attr a = (int)k == nic.sel ? UA_REVERSE : UA_NORMAL;
		ui_put(y, 0, 2, (int)k == nic.sel ? "> " : "  ", UA_BOLD);
		ui_put(y, 2, 12, c->name, a);
		ui_put(y, 14, 18, c->mac, a);
		ui_put(y, 32, 12, *c->driver ? c->driver : "-", a);
		ui_put(y, 44, 8, c->carrier ? _("あり", "up") : _("なし", "down"), c->carrier ? UA_PASS : UA_DIM);
		if (c->speed_mbps > 0)
			ui_putf(y, 52, cols - 52, a, "%d Mb/s", c->speed_mbps);
		else
			ui_put(y, 52, cols - 52, "-", a);
	}
	if (nic.n == 0)
		ui_put(y++, 2, cols - 2, _("ポートが見つかりません", "no port found"), UA_WARN);
	if (nic.came_up)
		ui_putf(y++, 0, cols, UA_PASS, _("%s のリンクが上がりました: 選びました", "the link of %s came up: selected"),
			nic.came_up);
	if (pane.title)
		ui_pane_draw(&pane, y, top + rows - 1 - y, cols);
	ui_put(top + rows - 1, 0, cols,
	       _("上下:選ぶ  Enter:決める  b:ランプを点滅 (識別)  Esc:やめる",
		 "Up/Down:select  Enter:choose  b:blink its light (identify)  Esc:cancel"), UA_BOLD);
}

static bool nic_key(int key)
{
	static const char *args[] = { "nic", "identify", NULL, "10", NULL };

	switch (key) {
	case UK_UP:
		nic.sel -= nic.sel > 0;
		return true;
	case UK_DOWN:
		nic.sel += nic.sel + 1 < (int)nic.n;
		return true;
	case UK_ENTER:
		if (nic.n > 0) {
			wiz_set(w, (size_t)nic.field, nic.v[nic.sel].name);
			wiz_validate(w, true);
		}
		nic_close();
		return true;
	case UK_ESC:
		nic_close();
		return true;
	case 'b':
		if (nic.n == 0 || ui_pane_running(&pane))
			return true;
		args[2] = nic.v[nic.sel].name;
		ui_pane_start(&pane, args);
		return true;
	default:
		return ui_pane_key(&pane, key) || ui_key_printable(key);
	}
}

/* The file to write, being typed (f), over the row under the intro. */
static void draw_path_edit(int top, int rows, int cols)
{
	const char *label = tls_name_edit ? _("新しい TLS 確認先の名前:", "Name of the new TLS target:")
					  : _("書き込み先:", "Write to:");
	int lw = (int)str_width(label) + 1;
	int cx = ui_line_view(&line, cols - lw - 1);
	struct ui_line view = line;
	wmemmove(view.buf, line.buf + line.first, line.len - line.first + 1);
	view.len = line.len - line.first;
	char *s = ui_line_get(&view);
	ui_put(top + 2, 0, lw, label, UA_BOLD);
	ui_put(top + 2, lw, cols - lw - 1, s, UA_REVERSE);
	free(s);
	ui_line_wipe(&view);
	ui_put(top + rows - 1, 0, cols, tls_name_edit
	       ? _("入力先: 新しい TLS 確認先の名前 (英数字・_・-)  Enter:確定  Esc:取消",
		   "typing into: the new TLS target's name (letters, digits, _, -)  Enter:accept  Esc:undo")
	       : _("入力先: 書き込み先のファイル  Enter:確定  Esc:取消",
		   "typing into: the file to write  Enter:accept  Esc:undo"), UA_BOLD);
	ui.cur_y = top + 2;
	ui.cur_x = lw + cx;
}

static void setup_draw_page(int top, int rows, int cols)
{
	enum oq_lang l = i18n_lang();
	int f[64], n = page_fields(f), list_rows = rows - 7, y;

	ui_putf(top, 0, cols, UA_BOLD, _("設定 %zu/%zu: %s%s", "Setup %zu/%zu: %s%s"), page + 1, wiz_n_pages,
		bitext_get(wiz_pages[page].title, l), w->dirty ? _("  (未保存)", "  (not saved)") : "");
	ui_put(top + 1, 0, cols, bitext_get(wiz_pages[page].intro, l), UA_DIM);
	if (page == wiz_n_pages - 1) {
		draw_review(top + 3, rows - 4, cols);
	} else {
		if (sel >= n)
			sel = n > 0 ? n - 1 : 0;
		if (sel < scroll)
			scroll = sel;
		if (sel >= scroll + list_rows)
			scroll = sel - list_rows + 1;
		y = top + 3;
		for (int k = scroll; k < n && y < top + 3 + list_rows; k++)
			draw_field(y++, cols, (size_t)f[k], k == sel);
		if (scroll > 0)
			ui_put(top + 2, cols - 4, 4, " ^^ ", UA_DIM);
		if (scroll + list_rows < n)
			ui_put(top + 3 + list_rows, cols - 4, 4, " vv ", UA_DIM);
		int i = selected_field();
		if (is_interface(i)) {
			char *h = xasprintf(_("%s  o:ポート一覧から選ぶ", "%s  o:choose from the ports"),
					    bitext_get(wiz_fields[i].hint, l));
			ui_put(top + rows - 4, 0, cols, h, UA_DIM);
			free(h);
		} else if (i >= 0) {
			ui_put(top + rows - 4, 0, cols, bitext_get(wiz_fields[i].hint, l), UA_DIM);
		}
		if (i >= 0) {
			if (w->problems[i]) {
				char *s = xasprintf("! %s", w->problems[i]);
				ui_text(top + rows - 3, 0, cols, 2, s, UA_FAIL);
				free(s);
			}
		}
	}
	if (page == wiz_n_pages - 1) {
		ui_put(top + rows - 1, 0, cols, _("b/PgUp:戻る  f:書き込み先  w:保存  ?:キー",
						  "b/PgUp:back  f:file  w:save  ?:keys"), UA_DIM);
		return;
	}
	if (edit && selected_field() >= 0) {
		/* which field the keys go to, and that Enter moves on */
		char *s = xasprintf(_("入力先: %s  Enter:確定して次の項目へ  Esc:取消",
				      "typing into: %s  Enter:accept, next field  Esc:undo"),
				    bitext_get(wiz_fields[selected_field()].label, l));
		ui_put(top + rows - 1, 0, cols, s, UA_BOLD);
		free(s);
		return;
	}
	ui_put(top + rows - 1, 0, cols,
	       _("上下:選ぶ  Enter:入力  n/PgDn:次へ  b/PgUp:戻る  f:書き込み先  w:保存",
		 "Up/Down:select  Enter:edit  n/PgDn:next  b/PgUp:back  f:file  w:save"),
	       UA_DIM);
}

/* A secret typed the first time: keep it and ask for it again. Returns
 * true when the field stays in typing. */
static bool secret_first(int i)
{
	if (i < 0 || wiz_fields[i].kind != WIZ_SECRET || again || line.len == 0)
		return false;
	first = line;
	ui_line_wipe(&line);
	again = true;
	return true;
}

static void secret_forget(void)
{
	ui_line_wipe(&first);
	again = false;
}

static void setup_draw(int top, int rows, int cols)
{
	if (nic.open) {
		draw_nics(top, rows, cols);
		return;
	}
	setup_draw_page(top, rows, cols);
	if (tls_page() && !tls_name_edit)
		draw_tls_targets(top + 2, cols);
	if (path_edit || tls_name_edit)
		draw_path_edit(top, rows, cols);
}

/* Finish typing into the selected field; false when a secret's two
 * entries differed (nothing kept). */
static bool accept_edit(void)
{
	int i = selected_field();

	edit = false;
	if (i < 0)
		return true;
	if (wiz_fields[i].kind == WIZ_SECRET) {
		bool same = !again || (first.len == line.len &&
				       wmemcmp(first.buf, line.buf, line.len) == 0);
		secret_forget();
		if (!same) {
			ui_line_wipe(&line);
			ui_status(true, "%s", _("2 回の入力が一致しません。入れ直してください (何も記録していません)",
						"the two entries differ: type it again (nothing was kept)"));
			return false;
		}
		w->secrets[i] = line;
		w->secret_set[i] = line.len > 0;
		w->dirty |= line.len > 0;
	} else {
		char *v = ui_line_get(&line);
		wiz_set(w, (size_t)i, str_trim(v));
		free(v);
	}
	ui_line_wipe(&line);
	wiz_validate(w, true);
	return true;
}

/* Step a choice field forward or back. */
static void cycle(size_t i, int dir)
{
	const struct site_choice *c = wiz_fields[i].choices;
	int n = 0, at = 0;

	while (c[n].word) {
		if (strcmp(c[n].word, w->values[i]) == 0)
			at = n;
		n++;
	}
	wiz_set(w, i, c[(at + dir + n) % n].word);
	wiz_validate(w, true);
}

static void start_edit(size_t i)
{
	if (wiz_fields[i].kind == WIZ_CHOICE) {
		cycle(i, 1);
		return;
	}
	edit = true;
	ui_line_set(&line, wiz_fields[i].kind == WIZ_SECRET ? "" : w->values[i]);
}

static bool key_editing(int key)
{
	switch (key) {
	case UK_ENTER:
	case UK_TAB:
		if (secret_first(selected_field()))
			return true;
		if (accept_edit())
			sel++;
		return true;
	case UK_UP:
	case UK_DOWN:
	case UK_BTAB:
		if (secret_first(selected_field()))
			return true;
		if (!accept_edit())
			return true;
		sel += key == UK_DOWN ? 1 : -1;
		if (sel < 0)
			sel = 0;
		return true;
	case UK_ESC:
		edit = false;
		ui_line_wipe(&line);
		secret_forget();
		return true;
	default:
		return ui_line_key(&line, key) || ui_key_printable(key);
	}
}

static void turn_page(int dir)
{
	if ((dir < 0 && page == 0) || (dir > 0 && page + 1 >= wiz_n_pages))
		return;
	page += (size_t)dir;
	sel = 0;
	scroll = 0;
}

static void save(void)
{
	char *cause = NULL;
	int r = wiz_save(w, &cause);

	if (r == 0) {
		saved = true;
		ui_status(false, _("%s に保存しました", "saved to %s"), w->path);
	} else if (r == -EINVAL) {
		page = wiz_n_pages - 1;
		ui_status(true, _("%zu 件の問題があるため保存していません", "not saved: %zu problem(s)"),
			  w->n_problems);
	} else {
		ui_status(true, "%s", cause);
	}
	free(cause);
}

/* Run plan, apply, confirm or rollback on the saved config. */
static bool provision_key(int key)
{
	static const char *const plan[] = { "plan", NULL };
	static const char *const apply[] = { "apply", "--confirm", "300", NULL };
	static const char *const confirm[] = { "confirm", NULL };
	static const char *const rollback[] = { "rollback", NULL };
	const char *const *args = key == 'v' ? plan : key == 'a' ? apply : key == 'y' ? confirm
			: key == 'u' ? rollback : NULL;

	if (args == NULL)
		return ui_pane_key(&pane, key);
	if (w->dirty || w->n_problems > 0 || access(w->path, F_OK) < 0) {
		ui_status(true, "%s", _("先に問題をなくして保存してください (w)", "fix the problems and save first (w)"));
		return true;
	}
	if (ui_pane_running(&pane)) {
		ui_status(true, "%s", _("実行中の処理があります (x で中止)", "something is running (x cancels)"));
		return true;
	}
	ui_pane_start(&pane, args);
	return true;
}

/* The file to write was typed: the wizard writes there from now on, and
 * the other screens read it. */
static void path_done(void)
{
	char *p = ui_line_get(&line);

	str_trim(p);
	path_edit = false;
	ui_line_wipe(&line);
	if (*p == '\0' || strcmp(p, w->path) == 0) {
		free(p);
		return;
	}
	free(w->path);
	w->path = xstrdup(p);
	free(path_owned);
	path_owned = p;
	ui.config_path = path_owned;
	w->dirty = true;
	saved = false;
	wiz_validate(w, true);
	if (access(p, F_OK) == 0)
		ui_status(true, _("%s は既にあります。保存するとこの内容で置き換えます", "%s exists: saving replaces it"), p);
	else
		ui_status(false, _("書き込み先を %s にしました (w で保存)", "will write to %s (w saves)"), p);
}

static bool path_key(int key)
{
	if (key == UK_ENTER) {
		path_done();
	} else if (key == UK_ESC) {
		path_edit = false;
		ui_line_wipe(&line);
	} else {
		return ui_line_key(&line, key) || ui_key_printable(key);
	}
	return true;
}

static bool setup_key(int key)
{
	int f[64], n = page_fields(f), i = selected_field();

	if (nic.open)
		return nic_key(key);
	if (path_edit)
		return path_key(key);
	if (tls_name_edit) {
		if (key == UK_ENTER)
			tls_name_done();
		else if (key == UK_ESC)
			tls_name_edit = false;
		else
			return ui_line_key(&line, key) || ui_key_printable(key);
		return true;
	}
	if (edit)
		return key_editing(key);
	if (key == 'o' && is_interface(i)) {
		nic_open(i);
		return true;
	}
	if (tls_page() && tls_key(key))
		return true;
	if (key == 'f') {
		path_edit = true;
		ui_line_set(&line, w->path);
		return true;
	}
	if (page == wiz_n_pages - 1 && key != 'w' && key != UK_F8 && key != 'b' && key != UK_PGUP &&
	    provision_key(key))
		return true;
	switch (key) {
	case UK_UP:
		if (sel > 0)
			sel--;
		return true;
	case UK_DOWN:
		if (sel + 1 < n)
			sel++;
		return true;
	case UK_HOME:
		sel = 0;
		return true;
	case UK_END:
		sel = n > 0 ? n - 1 : 0;
		return true;
	case UK_LEFT:
	case UK_RIGHT:
		if (i >= 0 && wiz_fields[i].kind == WIZ_CHOICE)
			cycle((size_t)i, key == UK_RIGHT ? 1 : -1);
		return true;
	case UK_ENTER:
	case ' ':
		if (i >= 0)
			start_edit((size_t)i);
		return true;
	case UK_PGDN:
	case 'n':
		turn_page(1);
		return true;
	case UK_PGUP:
	case 'b':
		turn_page(-1);
		return true;
	case UK_F8:
	case 'w':
		save();
		return true;
	default:
		return false;
	}
}

static bool setup_editing(void)
{
	return edit || path_edit || nic.open || tls_name_edit;
}

static bool setup_busy(void)
{
	return (w != NULL && w->dirty) || ui_pane_running(&pane);
}

static void setup_tick(void)
{
	if (ui_pane_poll(&pane))
		ui_touch();
	if (nic.open && now_ms() - nic.read_ms >= NIC_READ_MS) {
		nic_read();
		ui_touch();
	}
}

static void setup_fini(void)
{
	ui_pane_free(&pane);
	ui_line_wipe(&line);
	secret_forget();
	wiz_free(w);
	w = NULL;
	free(path_owned);
	path_owned = NULL;
	nic_close();
}

static const struct ui_keyhelp setup_help[] = {
	{ "Up Down, Left Right", BT("項目を選ぶ、選択肢を変える", "select a field, change a choice") },
	{ "Enter / Space", BT("入力を始める (選択肢は次へ)", "start typing (a choice steps on)") },
	{ "n b / PgDn PgUp", BT("次のページ・前のページ", "next page, previous page") },
	{ "F8 / w, f", BT("検査して保存する、書き込み先を変える", "check and save, choose the file to write") },
	{ "o, + - ]", BT("インターフェース: ポート一覧から選ぶ / TLS 確認先: 追加・削除・次へ",
			 "interface: choose from the ports / TLS targets: add, remove, next") },
	{ "PSK / password", BT("2 回入力する (違えば受け付けない)", "typed twice (refused when they differ)") },
	{ "Enter / Esc", BT("入力中: 確定して次の項目へ / 取り消し", "while typing: accept, next field / undo") },
	{ "^A ^E ^K ^U", BT("入力中: 行頭・行末・後ろを削除・前を削除",
			       "while typing: start, end, delete to end, delete to start") },
	{ "v a y u", BT("確認と保存のページで: 計画・適用・確定・元に戻す",
			"on the review page: plan, apply, confirm, roll back") },
	{ "! / *", BT("! は問題のある項目、* は必須", "! marks a problem, * a required field") },
	{ NULL, BT("", "") },
};

const struct ui_screen scr_setup = {
	.id = "setup",
	.title = BT("設定", "Setup"),
	.fkey = UK_F3,
	.letter = 's',
	.help = setup_help,
	.enter = setup_enter,
	.draw = setup_draw,
	.key = setup_key,
	.editing = setup_editing,
	.busy = setup_busy,
	.tick = setup_tick,
	.fini = setup_fini,
};
