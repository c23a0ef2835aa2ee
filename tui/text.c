/* Pure helpers of the TUI: the key map, fitting and wrapping by display
 * width, and the one-line editor. No curses here except the key codes. */
#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "core/util.h"
#include "tui/ui.h"

/* curses key code to ui_key, for the keys the screens use. */
static const struct {
	int curses;
	int key;
} key_map[] = {
	{ KEY_UP, UK_UP }, { KEY_DOWN, UK_DOWN }, { KEY_LEFT, UK_LEFT }, { KEY_RIGHT, UK_RIGHT },
	{ KEY_HOME, UK_HOME }, { KEY_END, UK_END }, { KEY_PPAGE, UK_PGUP }, { KEY_NPAGE, UK_PGDN },
	{ KEY_BACKSPACE, UK_BS }, { KEY_DC, UK_DEL }, { KEY_ENTER, UK_ENTER }, { KEY_BTAB, UK_BTAB },
	{ KEY_RESIZE, UK_RESIZE }, { KEY_F(1), UK_F1 }, { KEY_F(2), UK_F2 }, { KEY_F(3), UK_F3 },
	{ KEY_F(4), UK_F4 }, { KEY_F(5), UK_F5 }, { KEY_F(6), UK_F6 }, { KEY_F(7), UK_F7 },
	{ KEY_F(8), UK_F8 }, { KEY_F(9), UK_F9 }, { KEY_F(10), UK_F10 }, { KEY_F(11), UK_F11 },
	{ KEY_F(12), UK_F12 },
};

/* Names of the special keys, in enum order from UK_UP. */
static const char *const key_names[] = {
	"Up", "Down", "Left", "Right", "Home", "End", "PgUp", "PgDn", "BS", "Del", "Enter", "Tab",
	"S-Tab", "Esc", "Resize", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10",
	"F11", "F12",
};

int ui_key_from_curses(int r, wint_t ch)
{
	if (r == KEY_CODE_YES) {
		for (size_t i = 0; i < ARRAY_SIZE(key_map); i++)
			if (key_map[i].curses == (int)ch)
				return key_map[i].key;
		return UK_NONE;
	}
	switch (ch) {
	case '\r':
	case '\n':
		return UK_ENTER;
	case '\t':
		return UK_TAB;
	case 0x1b:
		return UK_ESC;
	case 0x7f:
	case 0x08:
		return UK_BS;
	default:
		return ch < 0x110000 ? (int)ch : UK_NONE;
	}
}

const char *ui_key_name(int key, char *buf, size_t size)
{
	if (key > UK_SPECIAL && key - UK_UP < (int)ARRAY_SIZE(key_names))
		return key_names[key - UK_UP];
	if (key > 0 && key < 0x20) {
		snprintf(buf, size, "^%c", key + '@');
		return buf;
	}
	mbstate_t st = { 0 };
	char tmp[MB_LEN_MAX + 1];
	size_t n = wcrtomb(tmp, (wchar_t)key, &st);
	if (n == (size_t)-1)
		n = 0;
	tmp[n] = '\0';
	snprintf(buf, size, "%s", tmp);
	return buf;
}

bool ui_key_printable(int key)
{
	return key >= 0x20 && key < 0x110000 && key != 0x7f && iswprint((wint_t)key);
}

char *ui_fit(const char *s, int width)
{
	return str_pad(s ? s : "", width > 0 ? (size_t)width : 0);
}

/* Columns of one UTF-8 character at s; *len gets its bytes. */
static size_t char_cols(const char *s, size_t *len)
{
	mbstate_t st = { 0 };
	wchar_t wc;
	size_t n = mbrtowc(&wc, s, strlen(s), &st);
	int w;

	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*len = 1;
		return 1;
	}
	*len = n;
	w = wcwidth(wc);
	return w < 0 ? 0 : (size_t)w;
}

/* Append the line s[0..len) to the list. */
static void push_line(char ***v, size_t *n, const char *s, size_t len)
{
	while (len > 0 && s[len - 1] == ' ')
		len--;
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = xstrndup(s, len);
	(*v)[*n] = NULL;
}

/* Wrap one paragraph (no newline in it). */
static void wrap_para(const char *s, size_t len, size_t width, char ***v, size_t *n)
{
	const char *end = s + len;

	while (s < end) {
		size_t cols = 0, bytes = 0, brk = 0, cl;
		while (s + bytes < end) {
			size_t c = char_cols(s + bytes, &cl);
			if (cols + c > width && bytes > 0)
				break;
			if (s[bytes] == ' ')
				brk = bytes;
			bytes += cl;
			cols += c;
		}
		if (s + bytes < end && brk > 0 && s[bytes] != ' ' &&
		    (unsigned char)s[bytes] < 0x80 && (unsigned char)s[bytes - 1] < 0x80)
			bytes = brk;	/* break at the last space inside a word of ASCII */
		push_line(v, n, s, bytes);
		s += bytes;
		while (s < end && *s == ' ')
			s++;
	}
}

char **ui_wrap(const char *s, size_t width, size_t *n)
{
	char **v = xcalloc(1, sizeof(*v));

	*n = 0;
	if (width == 0)
		return v;
	for (;;) {
		size_t len = strcspn(s, "\n");
		if (len == 0)
			push_line(&v, n, s, 0);
		else
			wrap_para(s, len, width, &v, n);
		if (s[len] == '\0')
			break;
		s += len + 1;
	}
	return v;
}

void ui_line_set(struct ui_line *l, const char *utf8)
{
	mbstate_t st = { 0 };
	const char *p = utf8 ? utf8 : "";
	size_t n = mbsrtowcs(l->buf, &p, UI_LINE_MAX, &st);

	if (n == (size_t)-1)
		n = 0;
	l->buf[n] = L'\0';
	l->len = n;
	l->cur = n;
	l->first = 0;
}

char *ui_line_get(const struct ui_line *l)
{
	size_t cap = l->len * MB_LEN_MAX + 1, used = 0;
	char *out = xmalloc(cap);
	mbstate_t st = { 0 };

	for (size_t i = 0; i < l->len; i++) {
		size_t n = wcrtomb(out + used, l->buf[i], &st);
		if (n != (size_t)-1)
			used += n;
	}
	out[used] = '\0';
	return out;
}

bool ui_line_key(struct ui_line *l, int key)
{
	switch (key) {
	case UK_LEFT:
		if (l->cur > 0)
			l->cur--;
		return true;
	case UK_RIGHT:
		if (l->cur < l->len)
			l->cur++;
		return true;
	case UK_HOME:
	case UK_CTRL('a'):
		l->cur = 0;
		return true;
	case UK_END:
	case UK_CTRL('e'):
		l->cur = l->len;
		return true;
	case UK_BS:
		if (l->cur == 0)
			return true;
		l->cur--;
		/* fall through */
	case UK_DEL:
	case UK_CTRL('d'):
		if (l->cur < l->len) {
			wmemmove(&l->buf[l->cur], &l->buf[l->cur + 1], l->len - l->cur);
			l->len--;
		}
		return true;
	case UK_CTRL('k'):
		l->len = l->cur;
		l->buf[l->len] = L'\0';
		return true;
	case UK_CTRL('u'):
		wmemmove(l->buf, &l->buf[l->cur], l->len - l->cur + 1);
		l->len -= l->cur;
		l->cur = 0;
		return true;
	default:
		if (!ui_key_printable(key))
			return false;
		if (l->len < UI_LINE_MAX) {
			wmemmove(&l->buf[l->cur + 1], &l->buf[l->cur], l->len - l->cur + 1);
			l->buf[l->cur++] = (wchar_t)key;
			l->len++;
		}
		return true;
	}
}

/* Columns of buf[from..to). */
static int span_cols(const struct ui_line *l, size_t from, size_t to)
{
	int c = 0;

	for (size_t i = from; i < to; i++) {
		int w = wcwidth(l->buf[i]);
		c += w < 0 ? 1 : w;
	}
	return c;
}

int ui_line_view(struct ui_line *l, int width)
{
	if (width < 3)
		width = 3;
	if (l->first > l->cur)
		l->first = l->cur;
	/* keep one column free after the cursor */
	while (l->first < l->cur && span_cols(l, l->first, l->cur) > width - 2)
		l->first++;
	return span_cols(l, l->first, l->cur);
}

void ui_line_wipe(struct ui_line *l)
{
	explicit_bzero(l, sizeof(*l));
}
