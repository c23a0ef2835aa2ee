/* The dashboard's view of the keeper (`oqlink monitor`): whether it runs,
 * the newest result of each probe with its age, a 24-hour strip per
 * probe, the certificate countdown and what the keeper did last. All of it
 * read from the keeper's database; nothing here runs a probe. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/site.h"
#include "core/util.h"
#include "monitor/monitor.h"
#include "probes/probe.h"
#include "tui/screen.h"

#define DAY_MS (24 * 3600 * 1000LL)

static int running;			/* mon_running(): 1, 0 or -errno */
static int64_t read_ms;			/* when the database was read */
static struct mon_probe_entry *latest, *line;
static size_t n_latest, n_line;
static struct mon_action last;
static bool have_last;
static struct mon_cert *certs;
static size_t n_certs;
static char *problem;			/* why the database could not be read */

void dm_free(void)
{
	mon_probe_entries_free(latest, n_latest);
	mon_probe_entries_free(line, n_line);
	latest = line = NULL;
	n_latest = n_line = 0;
	if (have_last)
		mon_action_clear(&last);
	have_last = false;
	mon_certs_free(certs, n_certs);
	certs = NULL;
	n_certs = 0;
	free(problem);
	problem = NULL;
}

bool dm_load(const struct site *s)
{
	struct mon_db *db = NULL;
	char *path;

	dm_free();
	running = s ? mon_running(s->state_dir) : 0;
	if (running != 1)
		return false;
	read_ms = clock_wall_ms();
	path = mon_db_path(s);
	if (mon_db_open(path, &db, &problem) == 0 &&
	    mon_latest(db, &latest, &n_latest, &problem) == 0 &&
	    mon_timeline(db, NULL, read_ms - DAY_MS, &line, &n_line, &problem) == 0)
		mon_last_action(db, &last, &have_last, &problem);
	mon_db_close(db);
	free(path);
	mon_certs(s, &certs, &n_certs);
	return true;
}

bool dm_running(void)
{
	return running == 1;
}

bool dm_unknown(void)
{
	return running < 0;
}

const struct mon_probe_entry *dm_latest(const char *id)
{
	for (size_t i = 0; i < n_latest; i++)
		if (strcmp(latest[i].probe, id) == 0)
			return &latest[i];
	return NULL;
}

/* The entries of one probe in the last day, copied (shallowly) into v. */
static size_t probe_line(const char *id, struct mon_probe_entry *v)
{
	size_t k = 0;

	for (size_t i = 0; i < n_line; i++)
		if (strcmp(line[i].probe, id) == 0)
			v[k++] = line[i];
	return k;
}

void dm_draw_strip(int y, int x, const char *id, int cells)
{
	struct mon_probe_entry *v = xcalloc(n_line + 1, sizeof(*v));
	int64_t cell_ms = DAY_MS / cells;
	struct mon_cell *cell = xcalloc((size_t)cells, sizeof(*cell));
	size_t n = probe_line(id, v);

	/* the rightmost cell ends now */
	mon_strip(v, n, read_ms - (int64_t)cells * cell_ms, cell_ms, cell, (size_t)cells);
	for (int i = 0; i < cells; i++) {
		char sym[2] = { mon_strip_symbol(&cell[i]), '\0' };
		ui_put(y, x + i, 1, sym, cell[i].seen ? ui_verdict_attr(cell[i].worst) : UA_DIM);
	}
	free(cell);
	free(v);
}

char *dm_age(int64_t t_ms, char *buf, size_t size)
{
	return mon_age(read_ms, t_ms, buf, size);
}

/* The keeper's state and last action, one row. */
static void draw_keeper(int y, int cols)
{
	char t[CLOCK_BUF], age[48];

	if (problem) {
		ui_putf(y, 0, cols, UA_FAIL, _("見張り: 動作中、ただし履歴を読めません: %s",
					       "Monitor: running, but its history cannot be read: %s"), problem);
		return;
	}
	if (!have_last) {
		ui_put(y, 0, cols, _("見張り: 動作中 (まだ何もしていません)",
				     "Monitor: running (it has not acted yet)"), UA_PASS);
		return;
	}
	clock_str(last.t_ms, CLOCK_MINUTE, t);
	ui_putf(y, 0, cols, UA_PASS, _("見張り: 動作中  最後の動作 %s (%s): %s",
				       "Monitor: running  last action %s (%s): %s"),
		t, dm_age(last.t_ms, age, sizeof(age)), _(last.text_ja, last.text_en));
}

/* The certificate closest to its end: a banner from 30 days, stronger
 * from 7; otherwise the days left of each, one row. */
static void draw_certs(int y, int cols)
{
	const struct mon_cert *worst = NULL;
	char *all = xstrdup("");

	for (size_t i = 0; i < n_certs; i++) {
		const struct mon_cert *c = &certs[i];
		char *next;

		if (c->problem)
			next = xasprintf(_("%s%s%s 読めません", "%s%s%s unreadable"), all, *all ? "  " : "",
					 _(c->what_ja, c->what_en));
		else
			next = xasprintf(_("%s%s%s あと %d 日", "%s%s%s %d days left"), all, *all ? "  " : "",
					 _(c->what_ja, c->what_en), c->days_left);
		free(all);
		all = next;
		if (!c->problem && (!worst || c->days_left < worst->days_left))
			worst = c;
	}
	if (worst && mon_cert_level(worst->days_left) == 2)
		ui_putf(y, 0, cols, UA_FAIL,
			worst->days_left < 0 ? _("!!! 証明書の期限切れ: %s (%s) は使えません。すぐ更新してください",
						 "!!! CERTIFICATE EXPIRED: the %s (%s) no longer works. Renew it now")
					     : _("!!! 証明書の期限まであと %3$d 日: %1$s (%2$s)。すぐ更新してください",
						 "!!! CERTIFICATE EXPIRES IN %3$d DAYS: the %1$s (%2$s). Renew it now"),
			_(worst->what_ja, worst->what_en), worst->path, worst->days_left);
	else if (worst && mon_cert_level(worst->days_left) == 1)
		ui_putf(y, 0, cols, UA_WARN, _("! 証明書の期限まであと %3$d 日: %1$s (%2$s)。更新を手配してください",
					       "! Certificate expires in %3$d days: the %1$s (%2$s). Arrange its renewal"),
			_(worst->what_ja, worst->what_en), worst->path, worst->days_left);
	else if (n_certs > 0)
		ui_putf(y, 0, cols, UA_NORMAL, _("証明書: %s", "Certificates: %s"), all);
	else
		ui_put(y, 0, cols, _("証明書: 設定にありません", "Certificates: none in the config"), UA_DIM);
	free(all);
}

/* Loss and round trip of reach, from its newest summary, one row. */
static void draw_reach(int y, int cols)
{
	const struct mon_probe_entry *e = dm_latest("reach");
	char age[48];

	if (e)
		ui_putf(y, 0, cols, UA_NORMAL, _("到達性 (損失・往復時間): %s  [%s]",
						 "Reach (loss, round trip): %s  [%s]"),
			_(e->summary_ja ? e->summary_ja : "", e->summary_en ? e->summary_en : ""),
			dm_age(e->t_ms, age, sizeof(age)));
	else
		ui_put(y, 0, cols, _("到達性 (損失・往復時間): 記録なし", "Reach (loss, round trip): no record"),
		       UA_DIM);
}

int dm_draw_status(int y, int cols)
{
	draw_keeper(y, cols);
	draw_certs(y + 1, cols);
	draw_reach(y + 2, cols);
	return 3;
}
