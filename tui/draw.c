/* Drawing helpers: UTF-8 in, cut and padded by display width, written as
 * wide characters. Only cells that change reach the terminal: curses
 * compares with what it sent before, and nothing here clears the screen. */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/util.h"
#include "tui/screen.h"

static attr_t attrs[UA_TITLE + 1];

void ui_attr_init(bool color)
{
	attrs[UA_NORMAL] = A_NORMAL;
	attrs[UA_BOLD] = A_BOLD;
	attrs[UA_REVERSE] = A_REVERSE;
	attrs[UA_DIM] = A_DIM;
	attrs[UA_PASS] = A_BOLD;
	attrs[UA_WARN] = A_BOLD;
	attrs[UA_FAIL] = A_BOLD | A_UNDERLINE;
	attrs[UA_TITLE] = A_REVERSE;
	if (!color)
		return;
	start_color();
	use_default_colors();
	init_pair(1, COLOR_GREEN, -1);
	init_pair(2, COLOR_YELLOW, -1);
	init_pair(3, COLOR_RED, -1);
	init_pair(4, COLOR_WHITE, COLOR_BLUE);
	attrs[UA_PASS] = COLOR_PAIR(1) | A_BOLD;
	attrs[UA_WARN] = COLOR_PAIR(2) | A_BOLD;
	attrs[UA_FAIL] = COLOR_PAIR(3) | A_BOLD;
	attrs[UA_TITLE] = COLOR_PAIR(4) | A_BOLD;
}

/* Write UTF-8 s (already fitted) at y, x. */
static void put_wide(int y, int x, const char *s, enum ui_attr a)
{
	size_t n = strlen(s) + 1;
	wchar_t *w = xmalloc(n * sizeof(*w));
	mbstate_t st = { 0 };
	const char *p = s;
	size_t k = mbsrtowcs(w, &p, n, &st);

	if (k == (size_t)-1) {
		char *clean = str_sanitize(s);
		for (char *c = clean; *c; c++)
			if ((unsigned char)*c >= 0x80)
				*c = '?';
		p = clean;
		memset(&st, 0, sizeof(st));
		k = mbsrtowcs(w, &p, n, &st);
		free(clean);
		if (k == (size_t)-1)
			k = 0;
	}
	w[k] = L'\0';
	attrset(attrs[a]);
	mvaddnwstr(y, x, w, (int)k);
	attrset(A_NORMAL);
	free(w);
}

void ui_put(int y, int x, int width, const char *s, enum ui_attr a)
{
	if (y < 0 || y >= ui.rows || x >= ui.cols || width <= 0)
		return;
	if (x + width > ui.cols)
		width = ui.cols - x;
	char *clean = str_sanitize(s ? s : "");
	char *fit = ui_fit(clean, width);
	put_wide(y, x, fit, a);
	free(fit);
	free(clean);
}

void ui_putf(int y, int x, int width, enum ui_attr a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	ui_put(y, x, width, s ? s : "", a);
	free(s);
}

int ui_text(int y, int x, int width, int rows, const char *s, enum ui_attr a)
{
	size_t n;
	char **lines = ui_wrap(s, width > 0 ? (size_t)width : 0, &n);
	int used = 0;

	for (size_t i = 0; i < n && used < rows; i++)
		ui_put(y + used++, x, width, lines[i], a);
	str_list_free(lines);
	return used;
}

void ui_clear_rows(int y, int n)
{
	for (int i = 0; i < n; i++)
		if (y + i >= 0 && y + i < ui.rows) {
			move(y + i, 0);
			clrtoeol();
		}
}

/* Blank the wide character of row y that covers both column x - 1 and
 * column x, if there is one, so that x starts a cell. */
static void split_cell(int y, int x)
{
	int c = 0;

	while (c < x) {
		cchar_t cc;
		wchar_t wch[CCHARW_MAX + 1] = { 0 };
		attr_t at;
		short pair;
		int w = 1;

		if (mvin_wch(y, c, &cc) == OK && getcchar(&cc, wch, &at, &pair, NULL) == OK &&
		    wcwidth(wch[0]) > 1)
			w = wcwidth(wch[0]);
		if (c + w > x) {
			for (int i = c; i < c + w && i < ui.cols; i++)
				mvaddch(y, i, ' ');
			return;
		}
		c += w;
	}
}

void ui_popup(int y, int x, int h, int w, enum ui_attr a)
{
	for (int i = 0; i < h; i++) {
		if (y + i < 0 || y + i >= ui.rows)
			continue;
		split_cell(y + i, x);
		split_cell(y + i, x + w);
		ui_put(y + i, x, w, "", a);
	}
}

enum ui_attr ui_verdict_attr(enum probe_verdict v)
{
	switch (v) {
	case PROBE_PASS:
		return UA_PASS;
	case PROBE_SKIP:
	case PROBE_WARN:
		return UA_WARN;
	case PROBE_FAIL:
	case PROBE_ERROR:
		return UA_FAIL;
	}
	return UA_NORMAL;
}
