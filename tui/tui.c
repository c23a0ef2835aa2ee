/* The frame of the TUI: the screens table, the global keys, the title and
 * status lines, the ? overlay, the language toggle, resizing, and the main
 * loop that polls the keyboard and the screens' background jobs. */
#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/util.h"
#include "tui/screen.h"
#include "tui/tui.h"

#define TICK_MS 250
#define MIN_ROWS 24
#define MIN_COLS 80

struct ui_app ui;

/* In tab order. */
static const struct ui_screen *const screens[] = {
	&scr_dashboard, &scr_setup, &scr_certs, &scr_probes, &scr_ipsec, &scr_report,
};
static size_t current;
static bool help_open;
static bool quit_asked;

/* Keys that work on every screen. */
static const struct ui_keyhelp global_keys[] = {
	{ "F1 / ?", BT("この画面のキー", "keys of this screen") },
	{ "F2-F7 / d s c p i r", BT("画面を切り替える", "switch screens") },
	{ "Tab / S-Tab", BT("次の画面・前の画面 (入力中を除く)", "next or previous screen (not while typing)") },
	{ "F9 / l", BT("日本語と英語を切り替える", "switch between Japanese and English") },
	{ "F10 / q", BT("終了", "quit") },
	{ NULL, BT("", "") },
};

void ui_status(bool err, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(ui.status);
	ui.status = s;
	ui.status_attr = err ? UA_FAIL : UA_NORMAL;
	ui.status_until = now_ms() + 8000;
}

void ui_touch(void)
{
	ui.redraw = true;
}

static void switch_to(size_t i)
{
	if (i == current)
		return;
	current = i;
	help_open = false;
	if (screens[current]->enter)
		screens[current]->enter();
	ui_touch();
}

void ui_goto(const char *id)
{
	for (size_t i = 0; i < ARRAY_SIZE(screens); i++)
		if (strcmp(screens[i]->id, id) == 0)
			switch_to(i);
}

/* Row 0: the name, the tabs, the language. */
static void draw_title(void)
{
	int x = 0;
	char buf[64];
	enum oq_lang l = i18n_lang();

	ui_put(0, 0, ui.cols, "", UA_TITLE);
	ui_put(0, x, 7, "oqlink", UA_TITLE);
	x += 7;
	for (size_t i = 0; i < ARRAY_SIZE(screens); i++) {
		const struct ui_screen *s = screens[i];
		snprintf(buf, sizeof(buf), "%c:%s", s->letter, bitext_get(s->title, l));
		int w = (int)str_width(buf) + 1;
		if (i == current)
			ui_putf(0, x, w + 1, UA_REVERSE, "[%s]", buf);
		else
			ui_putf(0, x, w + 1, UA_TITLE, " %s", buf);
		x += w + 1;
	}
	/* the other language, where the toggle leads */
	const char *other = l == OQ_LANG_JA ? "l:English" : "l:日本語";
	int ow = (int)str_width(other);
	if (x + ow + 1 <= ui.cols)
		ui_put(0, ui.cols - ow - 1, ow + 1, other, UA_TITLE);
}

/* The clock at the right of the status line: the only cells that change
 * every second when nothing else happens. */
static void draw_clock(void)
{
	char t[CLOCK_BUF];

	clock_str(clock_wall_ms(), CLOCK_HMS, t);
	ui_put(ui.rows - 1, ui.cols - 9, 9, t, UA_DIM);
}

/* The last row: the message, or what the keys do. */
static void draw_status(void)
{
	const char *msg = ui.status;
	enum ui_attr a = ui.status_attr;

	if (msg == NULL || (ui.status_until && now_ms() > ui.status_until)) {
		msg = _("?:キー一覧  F2-F7:画面  l:English  q:終了", "?:keys  F2-F7:screens  l:日本語  q:quit");
		a = UA_DIM;
	}
	ui_put(ui.rows - 1, 0, ui.cols - 10, msg, a);
	draw_clock();
}

/* The ? overlay: the keys of this screen, then the keys of every screen. */
static void draw_help(void)
{
	const struct ui_screen *s = screens[current];
	enum oq_lang l = i18n_lang();
	int w = ui.cols - 8, x = 4, y = 2, h = ui.rows - 4;
	int row = y;

	ui_popup(y, x, h, w, UA_REVERSE);
	ui_putf(row++, x, w, UA_REVERSE, _(" キー一覧: %s", " Keys: %s"), bitext_get(s->title, l));
	row++;
	for (const struct ui_keyhelp *k = s->help; k && k->keys && row < y + h - 1; k++) {
		ui_put(row, x + 2, 20, k->keys, UA_REVERSE);
		ui_put(row++, x + 22, w - 23, bitext_get(k->what, l), UA_REVERSE);
	}
	row++;
	ui_put(row++, x + 2, w - 3, _("どの画面でも:", "On every screen:"), UA_REVERSE);
	for (const struct ui_keyhelp *k = global_keys; k->keys && row < y + h - 1; k++) {
		ui_put(row, x + 2, 20, k->keys, UA_REVERSE);
		ui_put(row++, x + 22, w - 23, bitext_get(k->what, l), UA_REVERSE);
	}
	ui_put(y + h - 1, x, w, _(" 何かキーを押すと閉じます", " Press any key to close"), UA_REVERSE);
}

/* Everything, as it should look now. */
static void draw_all(void)
{
	getmaxyx(stdscr, ui.rows, ui.cols);
	if (ui.rows < MIN_ROWS || ui.cols < MIN_COLS) {
		erase();
		ui_text(0, 0, ui.cols, ui.rows,
			_("端末が小さすぎます。80x24 以上にしてください。", "The terminal is too small: make it at least 80x24."),
			UA_BOLD);
		return;
	}
	draw_title();
	ui_clear_rows(1, ui.rows - 2);
	ui.cur_y = ui.cur_x = -1;
	screens[current]->draw(1, ui.rows - 2, ui.cols);
	if (help_open)
		draw_help();
	draw_status();
}

/* The screen's text fields take letters while it is editing. */
static bool editing(void)
{
	return screens[current]->editing && screens[current]->editing();
}

/* Anything running or unsaved anywhere. */
static bool anything_busy(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(screens); i++)
		if (screens[i]->busy && screens[i]->busy())
			return true;
	return false;
}

static void toggle_lang(void)
{
	i18n_set_lang(i18n_lang() == OQ_LANG_JA ? OQ_LANG_EN : OQ_LANG_JA);
	free(ui.status);
	ui.status = NULL;
	ui_touch();
}

/* Keys of every screen; true when used. */
static bool global_key(int key)
{
	bool letters = !editing();

	if (quit_asked) {
		quit_asked = false;
		if (key == 'y' || key == 'Y' || key == UK_F10)
			ui.quit = true;
		else
			ui_status(false, "%s", _("終了を取りやめました", "not quitting"));
		return true;
	}
	if (key == UK_F9 || (letters && key == 'l')) {
		toggle_lang();
		return true;
	}
	if (key == UK_F1 || (letters && key == '?')) {
		help_open = true;
		return true;
	}
	if (key == UK_F10 || (letters && key == 'q')) {
		if (anything_busy()) {
			quit_asked = true;
			ui_status(true, "%s", _("実行中の処理か保存していない変更があります。終了しますか? (y/n)",
						"Something is running or not saved. Quit anyway? (y/n)"));
		} else {
			ui.quit = true;
		}
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(screens); i++)
		if (key == screens[i]->fkey || (letters && key == screens[i]->letter)) {
			switch_to(i);
			return true;
		}
	if (letters && (key == UK_TAB || key == UK_BTAB)) {
		size_t n = ARRAY_SIZE(screens);
		switch_to(key == UK_TAB ? (current + 1) % n : (current + n - 1) % n);
		return true;
	}
	return false;
}

static void handle_key(int key)
{
	if (key == UK_RESIZE) {
		ui_touch();
		return;
	}
	if (help_open) {
		help_open = false;
		if (key == UK_F9)
			toggle_lang();
		ui_touch();
		return;
	}
	/* the screen first while it edits (Esc, Enter, Tab belong to it) */
	if (editing() && screens[current]->key(key)) {
		ui_touch();
		return;
	}
	if (!global_key(key) && !editing())
		screens[current]->key(key);
	ui_touch();
}

/* Read every key waiting. */
static void read_keys(void)
{
	wint_t ch;
	int r;

	while ((r = get_wch(&ch)) != ERR) {
		int key = ui_key_from_curses(r, ch);
		if (key != UK_NONE)
			handle_key(key);
		if (ui.quit)
			return;
	}
}

/* Show the cursor where the screen types, hide it elsewhere. */
static void place_cursor(void)
{
	if (ui.cur_y >= 0 && !help_open) {
		move(ui.cur_y, ui.cur_x);
		curs_set(1);
	} else {
		curs_set(0);
	}
}

/* One turn: wait for a key or the next tick, then draw what changed. */
static void turn(int64_t *next_tick)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	int64_t wait = *next_tick - now_ms();

	if (wait < 0)
		wait = 0;
	/* a key, a resize (SIGWINCH interrupts poll and arrives as a key) or
	 * the tick: read whatever is waiting in every case */
	poll(&pfd, 1, (int)wait);
	read_keys();
	if (now_ms() >= *next_tick) {
		*next_tick = now_ms() + TICK_MS;
		for (size_t i = 0; i < ARRAY_SIZE(screens); i++)
			if (screens[i]->tick)
				screens[i]->tick();
	}
	if (ui.redraw) {
		ui.redraw = false;
		draw_all();
	} else if (ui.rows >= MIN_ROWS && ui.cols >= MIN_COLS) {
		if (ui.status_until && now_ms() > ui.status_until) {
			ui.status_until = 0;
			free(ui.status);
			ui.status = NULL;
		}
		draw_status();
	}
	place_cursor();
	refresh();
}

/* The first screen: setup when there is no config yet. */
static size_t first_screen(const struct tui_options *o)
{
	if (o->start) {
		for (size_t i = 0; i < ARRAY_SIZE(screens); i++)
			if (strcmp(screens[i]->id, o->start) == 0)
				return i;
	}
	if (access(o->config_path, F_OK) < 0)
		return 1;
	return 0;
}

int tui_run(const struct tui_options *o, char **cause)
{
	int64_t next_tick;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return cause_set(cause, ENOTTY, "%s",
				 _("端末ではありません: 画面は端末でのみ使えます",
				   "not a terminal: the screens need one"));
	memset(&ui, 0, sizeof(ui));
	ui.config_path = o->config_path;
	ui.self = o->self;
	ui.refresh_s = o->refresh_s;
	if (newterm(NULL, stdout, stdin) == NULL)
		return cause_set(cause, ENOTTY, "%s",
				 _("端末を初期化できません (TERM を確認してください)",
				   "cannot set up the terminal (check TERM)"));
	set_escdelay(100);
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	ui.color = has_colors() && !o->no_color && getenv("NO_COLOR") == NULL;
	ui_attr_init(ui.color);
	curs_set(0);
	current = first_screen(o);
	if (screens[current]->enter)
		screens[current]->enter();
	ui.redraw = true;
	next_tick = now_ms();
	while (!ui.quit)
		turn(&next_tick);
	for (size_t i = 0; i < ARRAY_SIZE(screens); i++)
		if (screens[i]->fini)
			screens[i]->fini();
	endwin();
	delscreen(set_term(NULL));
	free(ui.status);
	ui.status = NULL;
	return 0;
}
