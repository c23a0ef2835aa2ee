/* Inside the TUI: keys, text helpers, drawing, screens, background jobs and
 * the setup wizard's model. Only tui/ and its unit tests include this; the
 * rest of oqlink sees tui/tui.h. Helpers in the first half are pure (no
 * curses) so that tests/unit/test_tui.c can prove them. */
#ifndef OQ_TUI_UI_H
#define OQ_TUI_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <wchar.h>

#include "core/i18n.h"
#include "core/site.h"

struct site_diags;

/* ---- keys ---- */

/* A key: a Unicode code point, or one of these (above every code point). The
 * curses key codes are mapped to these in one place (ui_key_from_curses). */
enum ui_key {
	UK_NONE = 0,
	UK_SPECIAL = 0x200000,
	UK_UP, UK_DOWN, UK_LEFT, UK_RIGHT, UK_HOME, UK_END, UK_PGUP, UK_PGDN,
	UK_BS, UK_DEL, UK_ENTER, UK_TAB, UK_BTAB, UK_ESC, UK_RESIZE,
	UK_F1, UK_F2, UK_F3, UK_F4, UK_F5, UK_F6, UK_F7, UK_F8, UK_F9, UK_F10,
	UK_F11, UK_F12,
};

#define UK_CTRL(c) ((c) & 0x1f)

/* Map what wget_wch returned (r: OK or KEY_CODE_YES, ch) to a ui_key. */
int ui_key_from_curses(int r, wint_t ch);
/* A short name for a key: "F2", "Enter", "a", "^K". Static storage for
 * special keys; buf (at least 8 bytes) for characters. */
const char *ui_key_name(int key, char *buf, size_t size);
/* True for a key that types text into a field. */
bool ui_key_printable(int key);

/* ---- text ---- */

/* Cut or pad s to exactly width display columns (core str_pad, with width
 * <= 0 giving ""). The caller frees the result. */
char *ui_fit(const char *s, int width);
/* Break s into lines of at most width columns: at spaces where there are
 * some, anywhere between wide characters. Explicit newlines are kept. A
 * NULL-terminated array (str_list_free); *n gets the count. */
char **ui_wrap(const char *s, size_t width, size_t *n);

/* A one-line text editor on wide characters (the value of a field). */
#define UI_LINE_MAX 255
struct ui_line {
	wchar_t buf[UI_LINE_MAX + 1];
	size_t len;		/* characters */
	size_t cur;		/* cursor position, 0..len */
	size_t first;		/* first character shown */
};

void ui_line_set(struct ui_line *l, const char *utf8);
/* The text as UTF-8 (caller frees). */
char *ui_line_get(const struct ui_line *l);
/* Apply an editing key; returns false when the key is not an editing key
 * (so the caller may handle it). */
bool ui_line_key(struct ui_line *l, int key);
/* Scroll so the cursor shows in width columns; returns the cursor's column
 * relative to the start of the window. */
int ui_line_view(struct ui_line *l, int width);
/* Overwrite the buffer with zeros (secrets). */
void ui_line_wipe(struct ui_line *l);

/* ---- the setup wizard's model (tui/wizard.c, no curses) ---- */

enum wiz_kind {
	WIZ_TEXT,		/* free text: the value written as is */
	WIZ_CHOICE,		/* one of choices[] */
	WIZ_SECRET,		/* typed without echo, written to the file named by
				 * the field secret_of, mode 0600; not in site.conf */
};

/* One question of the wizard: a key of the site key table that has a page
 * (label, hint, choices, condition, default come from there), or the typed
 * content of a secret file. */
struct wiz_field {
	const char *section, *key;	/* NULL key for a secret */
	struct bitext label;
	struct bitext hint;		/* one line: example or format */
	enum wiz_kind kind;
	const struct site_choice *choices;	/* WIZ_CHOICE, ended by a NULL word */
	unsigned page;			/* index in wiz_pages */
	enum site_when when;
	bool required;			/* written even when empty (so the config's own
					 * diagnostic names it) */
	bool list;			/* comma separated: folded when long */
	const char *def;		/* initial value; "@" prefix: under the config dir */
	const char *secret_of;		/* WIZ_SECRET: section/key of the path field */
};

struct wiz_page {
	struct bitext title;
	struct bitext intro;
};

/* Made from the site key table when the program starts. */
extern const struct wiz_field *const wiz_fields;
extern size_t wiz_n_fields;
extern const struct wiz_page *const wiz_pages;
extern const size_t wiz_n_pages;

/* The wizard's state: one value per field. */
struct wiz {
	char *path;			/* site.conf to write */
	char **values;			/* wiz_n_fields strings, owned; secrets: "" */
	struct ui_line *secrets;	/* wiz_n_fields, only WIZ_SECRET ones used */
	bool *secret_set;
	char **problems;		/* per field: the config's message, or NULL */
	char **general;			/* problems on no field (NULL-terminated) */
	size_t n_problems;		/* all of them */
	bool dirty;			/* changed since the last write */
	char *tls_name;			/* NAME of [probe.tls.NAME] */
	char **extra;			/* keys the wizard does not ask for, kept as
					 * "section\tkey\tvalue" (NULL-terminated) */
	size_t n_extra;
};

/* A new wizard for path: defaults, then the values of path when it exists
 * (read loosely, so a broken file can be repaired). Caller frees. */
struct wiz *wiz_new(const char *path);
void wiz_free(struct wiz *w);
/* Whether field i applies to the current values (line type, auth, ...). */
bool wiz_field_active(const struct wiz *w, size_t i);
/* Index of the field section/key, or -1. */
int wiz_field_find(const char *section, const char *key);
void wiz_set(struct wiz *w, size_t i, const char *value);
/* site.conf text from the values, written by site_entries_format(); lines[k]
 * gets the field of line k+1 (or -1, or -2 - f on the [section] line of
 * field f). Caller frees both. */
char *wiz_text(const struct wiz *w, int **lines, size_t *n_lines);
/* Validate with the config's own parser (site_load_string) and put each
 * message on its field. check_files: as `oqlink config check` does
 * (secret files that are still to be written count as present). Returns
 * the number of problems. */
size_t wiz_validate(struct wiz *w, bool check_files);
/* Write the typed secrets (0600) and then site.conf atomically, after a
 * full check. Returns 0, or -EINVAL when the config has problems (see
 * w->problems), or -errno with *cause. */
int wiz_save(struct wiz *w, char **cause);

/* ---- background jobs (tui/job.c) ---- */

/* A child process whose stdout and stderr the main loop reads line by line. */
struct ui_job {
	pid_t pid;
	int fd;				/* read end, non-blocking; -1 when closed */
	char *buf;			/* partial line */
	size_t len;
	int status;			/* exit status when done, -1 while running */
	bool cancelled;
	int64_t started_ms, killed_ms;
	char **argv;			/* owned copy, for messages */
};

/* Start argv[0] with argv; stdin is /dev/null. Returns NULL with *cause. */
struct ui_job *ui_job_start(const char *const argv[], char **cause);
/* Read what is available; calls fn for each complete line. Returns true
 * while the job runs or output remains. */
bool ui_job_poll(struct ui_job *j, void (*fn)(void *ctx, const char *line), void *ctx);
/* SIGTERM now, SIGKILL two seconds later (on a later poll). */
void ui_job_cancel(struct ui_job *j);
/* Kill if still running, reap, free. Accepts NULL. */
void ui_job_free(struct ui_job *j);

#endif
