/* Inside the TUI: the application state, drawing helpers and the screens.
 * Drawing goes through ui_put and friends, which take UTF-8, cut and pad by
 * display width, and write wide characters, so that Japanese lines up. */
#ifndef OQ_TUI_SCREEN_H
#define OQ_TUI_SCREEN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/i18n.h"
#include "probes/probe.h"
#include "tui/ui.h"

/* What a cell means; mapped to colour when there is colour, and always also
 * said in words or symbols by the screen. */
enum ui_attr {
	UA_NORMAL = 0, UA_BOLD, UA_REVERSE, UA_DIM, UA_PASS, UA_WARN, UA_FAIL, UA_TITLE,
};

/* One row of the ? overlay. */
struct ui_keyhelp {
	const char *keys;		/* "F5 / p", NULL ends the list */
	struct bitext what;
};

struct ui_screen {
	const char *id;			/* "dashboard" */
	struct bitext title;		/* tab name, short */
	int fkey;			/* UK_F2 ... */
	int letter;			/* 'd' ... */
	const struct ui_keyhelp *help;
	void (*enter)(void);		/* made current (may be NULL) */
	void (*draw)(int top, int rows, int cols);	/* the content area */
	bool (*key)(int key);		/* true when the key was used */
	void (*tick)(void);		/* about four times a second (may be NULL) */
	bool (*editing)(void);		/* letters belong to a field (may be NULL) */
	bool (*busy)(void);		/* a job runs or edits are unsaved (may be NULL) */
	void (*fini)(void);		/* at exit (may be NULL) */
};

extern const struct ui_screen scr_dashboard, scr_setup, scr_certs, scr_probes, scr_ipsec,
	scr_report;
/* The setup screen's wizard (made from the config file on first use): the
 * one writer of site.conf in the TUI, so that what another screen sets is
 * what the setup screen shows. */
struct wiz *setup_wiz(void);

/* The application. */
struct ui_app {
	const char *config_path;
	const char *self;
	bool color;
	int refresh_s;			/* dashboard auto refresh, 0: off */
	bool quit;
	bool redraw;			/* draw the whole screen on the next turn */
	int rows, cols;
	int cur_y, cur_x;		/* where the cursor shows while typing; -1: hidden */
	char *status;			/* the status line's message, owned */
	enum ui_attr status_attr;
	int64_t status_until;		/* ms; 0 keeps it */
};
extern struct ui_app ui;

/* The message on the status line (formatted; a bilingual pair picked by
 * the caller with _()). err: shown as a problem. */
void ui_status(bool err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ask for a full redraw of the current screen. */
void ui_touch(void);
/* Switch to the screen with this id. */
void ui_goto(const char *id);

/* Drawing (tui/draw.c). */
void ui_attr_init(bool color);
/* s cut or padded to exactly width columns at row y, column x. */
void ui_put(int y, int x, int width, const char *s, enum ui_attr a);
void ui_putf(int y, int x, int width, enum ui_attr a, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Wrapped text in a box of rows x width; returns the rows used. */
int ui_text(int y, int x, int width, int rows, const char *s, enum ui_attr a);
/* Blank rows y .. y+n-1. */
void ui_clear_rows(int y, int n);
/* Open a box of h rows x w columns at y, x over what is drawn (the ? key
 * list), filled with attribute a. A wide character that the box's edge
 * would cut in two is blanked whole first: a terminal erases both halves
 * when one is overwritten, and curses would not send the character again
 * when the box closes. */
void ui_popup(int y, int x, int h, int w, enum ui_attr a);
/* The attribute a verdict is drawn in. */
enum ui_attr ui_verdict_attr(enum probe_verdict v);

/* A pane running one oqlink command in the background (tui/pane.c). */
struct ui_pane {
	struct ui_job *job;
	char *title;			/* the command line, for the header */
	char **lines;			/* the last lines of output, sanitised */
	size_t n;
	size_t scroll;			/* lines back from the newest; 0 follows */
	int status;			/* exit status; -1 while running */
	bool cancelled;
	int64_t started_ms, ended_ms, shown_sec;
	void (*on_line)(void *ctx, const char *line);	/* may be NULL */
	void (*on_done)(struct ui_pane *p);		/* may be NULL */
	void *ctx;
};

/* Run `oqlink --lang L --config C ARGS...` (args NULL-terminated); false
 * when one runs already or it could not start (said in the pane). */
bool ui_pane_start(struct ui_pane *p, const char *const *args);
bool ui_pane_running(const struct ui_pane *p);
/* Read new output; true when the pane should be drawn again. */
bool ui_pane_poll(struct ui_pane *p);
void ui_pane_cancel(struct ui_pane *p);
/* Header (state in words, seconds, command) and the newest lines. */
void ui_pane_draw(struct ui_pane *p, int y, int rows, int cols);
/* x or Esc cancels; Up, Down, PgUp, PgDn, End scroll. */
bool ui_pane_key(struct ui_pane *p, int key);
void ui_pane_free(struct ui_pane *p);

/* The probe run shared by the dashboard and the probes screen
 * (tui/probes_job.c): probe_run_all in a thread, its progress copied into
 * rows. Read the rows between pj_lock and pj_unlock. */
struct probe_result;
enum pj_state { PJ_WAIT = 0, PJ_RUNNING, PJ_DONE };
struct pj_row {
	char *id;
	char *title_ja, *title_en;
	enum pj_state state;
	int64_t started_ms;
	struct probe_result *result;	/* a copy, when done */
};
/* Run every probe that applies (only: that one and what it depends on);
 * without capture, all but the packet capture (the dashboard's runs write
 * no pcap). False when one runs already or the config is not valid (said). */
bool pj_start(const char *only, bool capture);
void pj_cancel(void);
bool pj_running(void);
bool pj_cancelled(void);
/* Take the news from the thread; true when something changed. */
bool pj_poll(void);
void pj_lock(void);
void pj_unlock(void);
const struct pj_row *pj_rows(size_t *n);
const struct pj_row *pj_find(const char *id);
/* The overall verdict of the last finished run into *v; false when none. */
bool pj_overall(enum probe_verdict *v);
const char *pj_failure(void);
long pj_elapsed_s(void);
time_t pj_ended(void);
/* The key figure of a row (the value named key, else the first), newly
 * allocated; its verdict word ("PASS", ..., or a state word while it runs). */
char *pj_figure(const struct pj_row *r, const char *key);
const char *pj_verdict_word(const struct pj_row *r);
/* The attribute to draw that word in (plain while it has no verdict). */
enum ui_attr pj_verdict_attr(const struct pj_row *r);
void pj_fini(void);

/* The dashboard's view of `oqlink monitor` (tui/dash_mon.c), read from its
 * database. dm_load reads it again when a keeper runs for site and says
 * whether one does; dm_latest points to internal data valid until the
 * next dm_load or dm_free. */
struct site;
struct mon_probe_entry;
bool dm_load(const struct site *s);
bool dm_running(void);
/* Whether this process cannot tell (the lock may not be read: not root). */
bool dm_unknown(void);
const struct mon_probe_entry *dm_latest(const char *id);
/* The 24-hour strip of probe id in cells columns (each the worst verdict
 * of 24 h / cells), the newest on the right. */
void dm_draw_strip(int y, int x, const char *id, int cells);
/* How long before the last read t_ms was, in words; returns buf. */
char *dm_age(int64_t t_ms, char *buf, size_t size);
/* The keeper's last action, the certificate countdown and reach's loss
 * and round trip; returns the rows used. */
int dm_draw_status(int y, int cols);
void dm_free(void);

#endif
