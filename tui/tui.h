/* The TUI: the field engineer's one screen (ncursesw, keyboard only).
 *
 * tui_run() takes over the terminal until the user quits. Every screen calls
 * the same library functions (or runs the same commands) as the command
 * line; no logic lives only in a screen. Long actions run in child
 * processes whose output the main loop polls, so the screen never freezes
 * and every action can be cancelled. */
#ifndef OQ_TUI_H
#define OQ_TUI_H

#include <stdbool.h>

struct tui_options {
	const char *config_path;	/* site.conf to show, edit and write */
	const char *self;		/* path of the oqlink binary, for background jobs */
	const char *start;		/* screen to open first ("dashboard", "setup", ...),
					 * NULL: setup when config_path does not exist */
	bool no_color;			/* never use colour (also NO_COLOR) */
	int refresh_s;			/* dashboard probes every this many seconds, 0: only on demand */
};

/* Run the TUI on the controlling terminal (stdin and stdout must be a
 * terminal). Returns 0 when the user quit, or -errno with *cause set (the
 * caller frees it) when the terminal could not be used. */
int tui_run(const struct tui_options *o, char **cause);

#endif
