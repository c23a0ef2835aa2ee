/* The setup wizard's model: one row per question, the site.conf text made
 * from the answers, validation by the config's own parser (so every message
 * is the one `oqlink config check` prints), and the atomic write. No curses
 * here: tui/scr_setup.c draws it. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "tui/ui.h"

/* The secret files whose content the wizard asks for: the typed text is
 * written to the file that the key names, never into site.conf. */
static const struct {
	const char *section, *key;
	const char *of;			/* "section/key", struct wiz_field's secret_of */
	struct bitext label, hint;	/* of the typed field */
	struct bitext path_hint;	/* of the key's own field */
} typed_secrets[] = {
	{ "ipsec", "psk_file", "ipsec/psk_file", BT("事前共有鍵 (PSK) を入力", "Type the pre-shared key"),
	  BT("入力は表示されません", "not shown while typed"),
	  BT("下で入力した鍵をここに保存します", "the key typed below is stored here") },
	{ "probe.tls", "password_file", "probe.tls/password_file",
	  BT("PKCS#12 のパスワードを入力", "Type the PKCS#12 password"),
	  BT("入力は表示されません", "not shown while typed"),
	  BT("下で入力したパスワードをここに保存します", "the password typed below is stored here") },
};

#define WIZ_MAX_FIELDS 128

static struct wiz_field fields[WIZ_MAX_FIELDS];
static struct wiz_page pages[SITE_PAGE_COUNT];
const struct wiz_field *const wiz_fields = fields;
size_t wiz_n_fields;
const struct wiz_page *const wiz_pages = pages;
const size_t wiz_n_pages = SITE_PAGE_COUNT;	/* the table's pages, then review */

/* One field from row k of the key table. */
static struct wiz_field field_of(const struct site_key *k)
{
	struct wiz_field f = {
		.section = k->section, .key = k->key, .label = k->label, .hint = k->hint,
		.kind = k->choices ? WIZ_CHOICE : WIZ_TEXT, .choices = k->choices,
		.page = (unsigned)k->page - 1, .when = k->when, .required = k->required,
		.list = k->list,
		/* a list left empty takes its default when loaded: offering it
		 * would write it into the file */
		.def = k->example ? k->example : k->list ? NULL : k->def,
	};

	if (f.kind == WIZ_CHOICE)
		f.hint = BT("Enter か左右で選ぶ", "Enter or Left/Right to choose");
	/* a number's hint with its range (made once, kept while the program runs) */
	if (k->number && k->max > 0)
		f.hint = (struct bitext){ site_key_hint(k, OQ_LANG_JA), site_key_hint(k, OQ_LANG_EN) };
	/* a [probe.tls.NAME] section is optional: the host it requires is what
	 * opens it here */
	if (strcmp(k->section, "probe.tls") == 0 && k->when == SITE_WHEN_ALWAYS)
		f.required = false;
	return f;
}

/* The pages and fields, in the table's order; a typed secret follows the
 * key of its file. */
__attribute__((constructor)) static void wiz_fields_init(void)
{
	for (int p = SITE_PAGE_NONE + 1; p < SITE_PAGE_COUNT; p++)
		pages[p - 1] = (struct wiz_page){ site_page_title((enum site_page)p),
						  site_page_intro((enum site_page)p) };
	pages[SITE_PAGE_COUNT - 1] = (struct wiz_page){
		BT("確認と保存", "Review and save"),
		BT("設定全体を検査して保存します。", "The whole config is checked, then saved.") };
	for (size_t i = 0; i < site_key_count(); i++) {
		struct site_key k;
		site_key_get(i, &k);
		if (k.page == SITE_PAGE_NONE)
			continue;
		if (wiz_n_fields + 2 > WIZ_MAX_FIELDS)
			abort();	/* the table outgrew the wizard */
		fields[wiz_n_fields] = field_of(&k);
		for (size_t t = 0; t < ARRAY_SIZE(typed_secrets); t++) {
			if (strcmp(typed_secrets[t].section, k.section) != 0 ||
			    strcmp(typed_secrets[t].key, k.key) != 0)
				continue;
			fields[wiz_n_fields].hint = typed_secrets[t].path_hint;
			fields[wiz_n_fields + 1] = (struct wiz_field){
				.label = typed_secrets[t].label, .hint = typed_secrets[t].hint,
				.kind = WIZ_SECRET, .page = (unsigned)k.page - 1, .when = k.when,
				.secret_of = typed_secrets[t].of,
			};
			wiz_n_fields++;
		}
		wiz_n_fields++;
	}
}

int wiz_field_find(const char *section, const char *key)
{
	for (size_t i = 0; i < wiz_n_fields; i++)
		if (wiz_fields[i].key && strcmp(wiz_fields[i].section, section) == 0 &&
		    strcmp(wiz_fields[i].key, key) == 0)
			return (int)i;
	return -1;
}

/* The value of section/key, or "". */
static const char *value_of(const struct wiz *w, const char *section, const char *key)
{
	int i = wiz_field_find(section, key);

	return i >= 0 && w->values[i] ? w->values[i] : "";
}

/* The enum value of the word in field section/key, or dflt for a word its
 * table does not have. */
static int word_value(const struct wiz *w, const char *section, const char *key, int dflt)
{
	int i = wiz_field_find(section, key);

	if (i >= 0 && wiz_fields[i].choices)
		for (const struct site_choice *c = wiz_fields[i].choices; c->word; c++)
			if (strcmp(c->word, w->values[i]) == 0)
				return c->value;
	return dflt;
}

bool wiz_field_active(const struct wiz *w, size_t i)
{
	/* the answers that conditions ask about, as a site would hold them */
	struct site s = {
		.line = (enum site_line)word_value(w, "uplink", "type", SITE_LINE_IPSEC),
		.auth = (enum site_auth)word_value(w, "ipsec", "auth", SITE_AUTH_PUBKEY),
		.segment = (enum site_segment)word_value(w, "terminal", "segment", SITE_SEGMENT_SEPARATE),
		.n_tls = *value_of(w, "probe.tls", "host") != '\0',
		.ipvpn6 = (enum site_ipv6vpn)word_value(w, "ipvpn", "ipv6", SITE_IPVPN6_NONE),
	};

	return site_when_holds(&s, wiz_fields[i].when);
}

/* The field holding the path of secret field i. */
static int secret_path_field(size_t i)
{
	char sec[32];
	const char *of = wiz_fields[i].secret_of;
	const char *slash = strchr(of, '/');

	snprintf(sec, sizeof(sec), "%.*s", (int)(slash - of), of);
	return wiz_field_find(sec, slash + 1);
}

/* A default: "@name" is name in the directory of the config. */
static char *default_value(const char *path, const char *def)
{
	char *copy, *v;

	if (def == NULL)
		return xstrdup("");
	if (def[0] != '@')
		return xstrdup(def);
	copy = xstrdup(path);
	v = xasprintf("%s/%s", dirname(copy), def + 1);
	free(copy);
	return v;
}

/* Keep one key of the file: in its field, or aside with the others. */
static void wiz_take(struct wiz *w, const struct site_entry *e)
{
	const char *section = e->section;
	int i;

	if (str_has_prefix(section, "probe.tls.")) {
		if (w->tls_name == NULL)
			w->tls_name = xstrdup(section + strlen("probe.tls."));
		if (strcmp(section + strlen("probe.tls."), w->tls_name) == 0)
			section = "probe.tls";
	}
	if ((i = wiz_field_find(section, e->key)) >= 0) {
		free(w->values[i]);
		w->values[i] = xstrdup(e->value);
		return;
	}
	w->extra = xrealloc(w->extra, (w->n_extra + 2) * sizeof(*w->extra));
	w->extra[w->n_extra++] = xasprintf("%s\t%s\t%s", section, e->key, e->value);
	w->extra[w->n_extra] = NULL;
}

struct wiz *wiz_new(const char *path)
{
	struct wiz *w = xcalloc(1, sizeof(*w));
	char *text = NULL;
	size_t len;

	w->path = xstrdup(path);
	w->values = xcalloc(wiz_n_fields, sizeof(*w->values));
	w->secrets = xcalloc(wiz_n_fields, sizeof(*w->secrets));
	w->secret_set = xcalloc(wiz_n_fields, sizeof(*w->secret_set));
	w->problems = xcalloc(wiz_n_fields, sizeof(*w->problems));
	w->general = xcalloc(1, sizeof(*w->general));
	w->extra = xcalloc(1, sizeof(*w->extra));
	for (size_t i = 0; i < wiz_n_fields; i++)
		w->values[i] = default_value(path, wiz_fields[i].def);
	if (file_read(path, 256 * 1024, &text, &len, NULL) == 0) {
		/* read loosely, as written, so that a broken file can be repaired;
		 * the problems show when the answers are checked */
		struct site_entries e = { 0 };
		struct site_diags d = { 0 };
		site_free(site_load_entries(path, text, false, &e, &d));
		for (size_t k = 0; k < e.n; k++)
			wiz_take(w, &e.v[k]);
		site_entries_free(&e);
		site_diags_free(&d);
	}
	free(text);
	if (w->tls_name == NULL)
		w->tls_name = xstrdup("central");
	return w;
}

/* Forget the problems of the last validation. */
static void problems_clear(struct wiz *w)
{
	for (size_t i = 0; i < wiz_n_fields; i++) {
		free(w->problems[i]);
		w->problems[i] = NULL;
	}
	str_list_free(w->general);
	w->general = xcalloc(1, sizeof(*w->general));
	w->n_problems = 0;
}

void wiz_free(struct wiz *w)
{
	if (w == NULL)
		return;
	problems_clear(w);
	str_list_free(w->general);
	for (size_t i = 0; i < wiz_n_fields; i++) {
		free(w->values[i]);
		ui_line_wipe(&w->secrets[i]);
	}
	str_list_free(w->extra);
	free(w->tls_name);
	free(w->values);
	free(w->secrets);
	free(w->secret_set);
	free(w->problems);
	free(w->path);
	free(w);
}

void wiz_set(struct wiz *w, size_t i, const char *value)
{
	if (strcmp(w->values[i], value) == 0)
		return;
	free(w->values[i]);
	w->values[i] = xstrdup(value);
	w->dirty = true;
}

/* Whether field i goes into the file. */
static bool written(const struct wiz *w, size_t i)
{
	const struct wiz_field *f = &wiz_fields[i];

	if (f->kind == WIZ_SECRET || !wiz_field_active(w, i))
		return false;
	if (strcmp(f->section, "probe.tls") == 0 && *value_of(w, "probe.tls", "host") == '\0')
		return false;
	return f->required || *w->values[i] != '\0';
}

/* Entries with the field each came from (-1: kept from the file). */
struct out {
	struct site_entries e;
	int *field;
};

static void out_add(struct out *o, const char *section, const char *key, const char *value,
		    int field)
{
	site_entries_add(&o->e, section, key, value);
	o->field = xrealloc(o->field, o->e.n * sizeof(*o->field));
	o->field[o->e.n - 1] = field;
}

/* Keys kept from the file for section sec, written under name. */
static void out_extras(const struct wiz *w, struct out *o, const char *sec, const char *name)
{
	for (size_t k = 0; k < w->n_extra; k++) {
		const char *e = w->extra[k];
		size_t sl = strcspn(e, "\t");
		if (strlen(sec) != sl || strncmp(e, sec, sl) != 0)
			continue;
		const char *key = e + sl + 1;
		size_t kl = strcspn(key, "\t");
		char *kk = xstrndup(key, kl);
		out_add(o, name, kk, key + kl + (key[kl] ? 1 : 0), -1);
		free(kk);
	}
}

/* Whether section sec gets written at all. */
static bool section_written(const struct wiz *w, const char *sec)
{
	bool ipsec = strcmp(value_of(w, "uplink", "type"), "ipvpn") != 0;

	if ((strcmp(sec, "ipsec") == 0 && !ipsec) || (strcmp(sec, "ipvpn") == 0 && ipsec))
		return false;
	if (strcmp(sec, "probe.tls") == 0)
		return *value_of(w, "probe.tls", "host") != '\0';
	for (size_t i = 0; i < wiz_n_fields; i++)
		if (wiz_fields[i].key && strcmp(wiz_fields[i].section, sec) == 0 && written(w, i))
			return true;
	for (size_t k = 0; k < w->n_extra; k++)
		if (strncmp(w->extra[k], sec, strlen(sec)) == 0 && w->extra[k][strlen(sec)] == '\t')
			return true;
	return false;
}

/* Whether a section of the table is known to the wizard's extras. */
static bool table_section(const char *sec, size_t len)
{
	for (size_t i = 0; i < site_key_count(); i++) {
		struct site_key k;
		site_key_get(i, &k);
		if (strlen(k.section) == len && strncmp(k.section, sec, len) == 0)
			return true;
	}
	return false;
}

char *wiz_text(const struct wiz *w, int **lines, size_t *n_lines)
{
	struct out o = { 0 };
	char *tls = xasprintf("probe.tls.%s", w->tls_name), *text;
	const char *prev = NULL;
	int *at = NULL;
	size_t n = 0;

	/* the sections in the table's order, each with its fields in order */
	for (size_t r = 0; r < site_key_count(); r++) {
		struct site_key k;
		site_key_get(r, &k);
		if (prev && strcmp(prev, k.section) == 0)
			continue;
		prev = k.section;
		if (!section_written(w, k.section))
			continue;
		const char *name = strcmp(k.section, "probe.tls") == 0 ? tls : k.section;
		for (size_t i = 0; i < wiz_n_fields; i++)
			if (wiz_fields[i].key && strcmp(wiz_fields[i].section, k.section) == 0 &&
			    written(w, i))
				out_add(&o, name, wiz_fields[i].key, w->values[i], (int)i);
		out_extras(w, &o, k.section, name);
	}
	/* sections the wizard does not know (another [probe.tls.NAME]) */
	for (size_t k = 0; k < w->n_extra; k++) {
		size_t sl = strcspn(w->extra[k], "\t");
		bool seen = false;
		for (size_t p = 0; p < k; p++)
			seen |= strncmp(w->extra[p], w->extra[k], sl + 1) == 0;
		if (table_section(w->extra[k], sl) || seen)
			continue;
		char *sec = xstrndup(w->extra[k], sl);
		out_extras(w, &o, sec, sec);
		free(sec);
	}
	text = site_entries_format(&o.e, "# oqlink site configuration, written by the setup screen (oqlink tui).\n"
				   "# Every key is described in docs/config.md; secrets are in separate files.",
				   &at, &n);
	/* each line's entry becomes its field; a [section] line names the
	 * field of its first entry */
	for (size_t l = 0; l < n; l++) {
		int e = at[l] <= -2 ? -2 - at[l] : at[l];
		int f = e >= 0 ? o.field[e] : -1;
		at[l] = at[l] <= -2 && f >= 0 ? -2 - f : f;
	}
	*lines = at;
	*n_lines = n;
	site_entries_free(&o.e);
	free(o.field);
	free(tls);
	return text;
}

/* The field of the section of field s that message names ('key'), else the
 * first active field of that section, or -1. */
static int section_field(const struct wiz *w, int s, const char *message)
{
	const char *section = wiz_fields[s].section;

	for (size_t i = 0; i < wiz_n_fields; i++) {
		if (wiz_fields[i].key == NULL || strcmp(wiz_fields[i].section, section) != 0 ||
		    !wiz_field_active(w, i))
			continue;
		char *quoted = xasprintf("'%s'", wiz_fields[i].key);
		bool named = strstr(message, quoted) != NULL;
		free(quoted);
		if (named)
			return (int)i;
	}
	for (size_t i = 0; i < wiz_n_fields; i++)
		if (wiz_fields[i].key && strcmp(wiz_fields[i].section, section) == 0 &&
		    wiz_field_active(w, i))
			return (int)i;
	return -1;
}

/* The active field that a message names as 'key' in [section], or -1:
 * for a missing key whose section is not in the text at all. */
static int field_named(const struct wiz *w, const char *message)
{
	for (size_t i = 0; i < wiz_n_fields; i++) {
		if (wiz_fields[i].key == NULL || !wiz_field_active(w, i))
			continue;
		char *key = xasprintf("'%s'", wiz_fields[i].key);
		char *sec = xasprintf("[%s]", wiz_fields[i].section);
		bool named = strstr(message, key) && strstr(message, sec);
		free(key);
		free(sec);
		if (named)
			return (int)i;
	}
	return -1;
}

/* The secret field whose path is field i, or -1. */
static int secret_for(size_t i)
{
	for (size_t k = 0; k < wiz_n_fields; k++)
		if (wiz_fields[k].kind == WIZ_SECRET && secret_path_field(k) == (int)i)
			return (int)k;
	return -1;
}

/* Put one message on field i (several are joined). */
static void problem_add(struct wiz *w, int i, const struct site_diag *d)
{
	char *s;

	w->n_problems++;
	if (i < 0) {
		size_t n = 0;
		while (w->general[n])
			n++;
		w->general = xrealloc(w->general, (n + 2) * sizeof(*w->general));
		if (d->line)
			w->general[n] = xasprintf("%s:%u:%u: %s", d->file, d->line, d->col, d->message);
		else
			w->general[n] = xasprintf("%s: %s", d->file, d->message);
		w->general[n + 1] = NULL;
		return;
	}
	s = w->problems[i] ? xasprintf("%s; %s", w->problems[i], d->message) : xstrdup(d->message);
	free(w->problems[i]);
	w->problems[i] = s;
}

size_t wiz_validate(struct wiz *w, bool check_files)
{
	int *lines = NULL;
	size_t n_lines = 0;
	char *text = wiz_text(w, &lines, &n_lines);
	struct site_diags d = { 0 };
	struct site *s = site_load_string(w->path, text, check_files, &d);

	problems_clear(w);
	for (size_t k = 0; k < d.n; k++) {
		int f = -1;
		if (d.v[k].line > 0 && d.v[k].line <= n_lines) {
			f = lines[d.v[k].line - 1];
			if (f <= -2)
				f = section_field(w, -2 - f, d.v[k].message);
		}
		if (f < 0)
			f = field_named(w, d.v[k].message);
		int sec = f >= 0 ? secret_for((size_t)f) : -1;
		if (sec >= 0 && w->secret_set[sec] && check_files)
			continue;	/* the file is written from what was typed */
		if (sec >= 0 && check_files && wiz_field_active(w, (size_t)sec))
			f = sec;
		problem_add(w, f, &d.v[k]);
	}
	site_diags_free(&d);
	site_free(s);
	free(lines);
	free(text);
	return w->n_problems;
}

/* Write the secrets typed so far to their files, mode 0600. */
static int write_secrets(struct wiz *w, char **cause)
{
	for (size_t i = 0; i < wiz_n_fields; i++) {
		if (wiz_fields[i].kind != WIZ_SECRET || !w->secret_set[i] || !wiz_field_active(w, i))
			continue;
		const char *path = w->values[secret_path_field(i)];
		char *v = ui_line_get(&w->secrets[i]);
		int r = file_write_atomic(path, v, strlen(v), 0600, cause);
		explicit_bzero(v, strlen(v));
		free(v);
		if (r < 0)
			return r;
		ui_line_wipe(&w->secrets[i]);
		w->secret_set[i] = false;
	}
	return 0;
}

int wiz_save(struct wiz *w, char **cause)
{
	int *lines = NULL;
	size_t n_lines;
	char *text, *dir = xstrdup(w->path);
	int r;

	if (wiz_validate(w, true) > 0) {
		free(dir);
		return -EINVAL;
	}
	r = mkdir_p(dirname(dir), 0750, cause);
	free(dir);
	if (r < 0)
		return r;
	if ((r = write_secrets(w, cause)) < 0)
		return r;
	if (wiz_validate(w, true) > 0)
		return -EINVAL;
	text = wiz_text(w, &lines, &n_lines);
	r = file_write_atomic(w->path, text, strlen(text), 0640, cause);
	free(text);
	free(lines);
	if (r == 0)
		w->dirty = false;
	return r;
}
