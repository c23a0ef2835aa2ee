/* The report as plain text for a serial console: 80 columns, ASCII rules,
 * Japanese aligned by display width. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/site.h"
#include "core/util.h"
#include "report/report_int.h"

#define COLS 80

/* Byte length of the UTF-8 character starting with c (1 for a stray byte). */
static size_t utf8_len(unsigned char c)
{
	return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* Characters that must not start a line (kinsoku): closing punctuation. */
static bool no_line_start(const char *p)
{
	static const char *const closers[] = { "、", "。", "，", "．", "）", "」", "』", "】", "・",
					       ")", ",", ".", ":", ";" };

	for (size_t i = 0; i < ARRAY_SIZE(closers); i++)
		if (str_has_prefix(p, closers[i]))
			return true;
	return false;
}

static bool ascii_word(char c)
{
	return c > ' ' && c < 0x7f;
}

/* Print s wrapped at width columns; the first line follows whatever is
 * already on the line, the next ones start with indent spaces. A Latin word
 * is not split when a space before it allows a break; Japanese breaks
 * between any two characters, but not before closing punctuation. */
static void wrap(FILE *f, const char *text, size_t indent, size_t width)
{
	char *s = rp_scrub(text);
	const char *p = s;

	if (width < 8)
		width = 8;
	while (*p) {
		size_t cols = 0, end = 0, prev = 0, brk = 0, n;
		char ch[8];

		while (p[end]) {
			n = utf8_len((unsigned char)p[end]);
			if (strnlen(p + end, n) < n)
				n = strnlen(p + end, n);
			memcpy(ch, p + end, n);
			ch[n] = '\0';
			size_t w = str_width(ch);
			if (cols + w > width)
				break;
			cols += w;
			prev = end;
			end += n;
			if (p[end - 1] == ' ')
				brk = end;
		}
		if (p[end] && end > 0) {
			if (ascii_word(p[end - 1]) && ascii_word(p[end]) && brk > 0)
				end = brk;
			else if (no_line_start(p + end) && prev > 0)
				end = prev;
		}
		size_t keep = end;
		while (keep > 0 && p[keep - 1] == ' ')
			keep--;
		fprintf(f, "%.*s\n", (int)keep, p);
		p += end;
		while (*p == ' ')
			p++;
		if (*p)
			fprintf(f, "%*s", (int)indent, "");
	}
	if (*s == '\0')
		fputc('\n', f);
	free(s);
}

/* s made safe and padded or cut to exactly w columns (new string). */
static char *pad_clean(const char *s, size_t w)
{
	char *clean = rp_scrub(s);
	char *out = str_pad(clean, w);

	free(clean);
	return out;
}

static void rule(FILE *f, char c)
{
	for (int i = 0; i < COLS; i++)
		fputc(c, f);
	fputc('\n', f);
}

/* "label      value", the label padded to lw columns, the value wrapped; a
 * longer label gets a line of its own. */
static void kv(FILE *f, const char *label, const char *value, size_t lw)
{
	char *l;

	if (str_width(label) > lw) {
		fputs("  ", f);
		wrap(f, label, 2, COLS - 2);
		fprintf(f, "%*s", (int)lw + 3, "");
		wrap(f, value, lw + 3, COLS - lw - 3);
		return;
	}
	l = pad_clean(label, lw);
	fprintf(f, "  %s ", l);
	wrap(f, value, lw + 3, COLS - lw - 3);
	free(l);
}

static void heading(FILE *f, const char *title)
{
	fprintf(f, "\n%s\n", title);
	rule(f, '-');
}

static void part(FILE *f, const char *title)
{
	fprintf(f, "\n\n%s\n", title);
	rule(f, '=');
}

static void facts(FILE *f, const struct report *r)
{
	const struct site *s = r->site;
	char t[48];

	kv(f, rp_bt(r, site_key_label("site", "facility_code")), s ? rp_s(s->facility_code) : "", 18);
	kv(f, rp_bt(r, site_key_label("site", "facility_name")), s ? rp_s(s->facility_name) : "", 18);
	kv(f, rp_bt(r, site_key_label("site", "vendor")), s ? rp_s(s->vendor) : "", 18);
	kv(f, rp_bt(r, site_key_label("site", "engineer")), r->engineer, 18);
	kv(f, rp_bt(r, site_key_label("site", "witness")), r->witness, 18);
	kv(f, rp_tr(r, "作成日時", "Date and time"), clock_str(r->meta.time_ms, CLOCK_HUMAN, t), 18);
	if (r->run && r->run->started_ms > 0) {
		char *v = xasprintf("%s (%lld ms)", clock_str(r->run->started_ms, CLOCK_HUMAN, t),
				    (long long)r->run->duration_ms);
		kv(f, rp_tr(r, "検査の実施", "Probes run at"), v, 18);
		free(v);
	}
	for (size_t i = 0; i < r->n_facts; i++)
		kv(f, rp_bt(r, r->facts[i].label), r->facts[i].value, 18);
	kv(f, rp_tr(r, "oqlink の版数", "oqlink version"), r->meta.version, 18);
	kv(f, rp_tr(r, "機器のホスト名", "Appliance host"), r->meta.hostname, 18);
	for (size_t i = 0; i < r->meta.n_ifaces; i++) {
		const struct report_iface *in = &r->meta.ifaces[i];
		char *v = xasprintf("%s  %s", in->name,
				    *in->mac ? in->mac : rp_tr(r, "(不明)", "(unknown)"));
		char *l = xasprintf("MAC (%s)", in->role);
		kv(f, l, v, 18);
		free(v);
		free(l);
	}
}

static void banner(FILE *f, const struct report *r)
{
	const char *word = rp_verdict_word(r->lang, r->overall);
	const char *code = rp_verdict_word(OQ_LANG_EN, r->overall);
	char *line;

	if (r->lang == OQ_LANG_JA)
		line = xasprintf("総合判定:  %s  (%s)", word, code);
	else
		line = xasprintf("OVERALL VERDICT:  %s", code);
	char *pad = pad_clean(line, COLS - 8);
	fputc('\n', f);
	rule(f, '#');
	fprintf(f, "##  %s  ##\n", pad);
	rule(f, '#');
	fprintf(f, rp_tr(r, "  合格 %zu / 注意 %zu / 不合格 %zu / 実行不能 %zu / 省略 %zu\n",
			 "  passed %zu, warned %zu, failed %zu, errors %zu, skipped %zu\n"),
		r->counts[PROBE_PASS], r->counts[PROBE_WARN], r->counts[PROBE_FAIL],
		r->counts[PROBE_ERROR], r->counts[PROBE_SKIP]);
	free(pad);
	free(line);
}

/* One probe as lines: id, verdict and title, then summary, values and remedy
 * indented under the title. */
static void probe_lines(FILE *f, const struct report *r, const struct probe_result *p,
			bool values)
{
	char *id = pad_clean(rp_s(p->id), 10);
	char *v = pad_clean(rp_verdict_word(r->lang, p->verdict), 10);
	const char *summary = rp_bt(r, p->summary);
	const char *remedy = rp_bt(r, p->remedy);

	fprintf(f, "%s%s", id, v);
	wrap(f, rp_bt(r, p->title), 20, COLS - 20);
	if (*summary) {
		fprintf(f, "%20s", "");
		wrap(f, summary, 20, COLS - 20);
	}
	char *why = rp_skip_text(r, p);
	if (why) {
		fprintf(f, "%20s", "");
		wrap(f, why, 20, COLS - 20);
		free(why);
	}
	for (size_t i = 0; values && i < p->n_values; i++) {
		if (p->values[i].text && strlen(p->values[i].text) > RP_BRIEF_TEXT)
			continue;
		char *val = rp_value_str(r, &p->values[i]);
		const char *label = rp_bt(r, p->values[i].label);
		char *line = xasprintf("- %s: %s", *label ? label : rp_s(p->values[i].key), val);
		fprintf(f, "%20s", "");
		wrap(f, line, 22, COLS - 22);
		free(line);
		free(val);
	}
	if (p->verdict != PROBE_PASS && *remedy) {
		char *line = xasprintf(rp_tr(r, "対処: %s", "To do: %s"), remedy);
		fprintf(f, "%20s", "");
		wrap(f, line, 20, COLS - 20);
		free(line);
	}
	free(id);
	free(v);
}

/* The probe table: ID, verdict, title and what was measured. */
static void results(FILE *f, const struct report *r, bool values)
{
	char *h1 = pad_clean("ID", 10);
	char *h2 = pad_clean(rp_tr(r, "判定", "Verdict"), 10);

	fprintf(f, "%s%s%s\n", h1, h2, rp_tr(r, "項目 / 所見 / 測定値", "Check / finding / values"));
	rule(f, '-');
	for (size_t i = 0; r->run && i < r->run->n; i++)
		probe_lines(f, r, &r->run->results[i], values);
	if (r->run == NULL || r->run->n == 0)
		fprintf(f, "%s\n", rp_tr(r, "(検査結果がありません)", "(no probe results)"));
	free(h1);
	free(h2);
}

static const char *const task_marks[] = {
	[RP_TASK_PROVEN] = "[OK]",
	[RP_TASK_WARN] = "[OK!]",
	[RP_TASK_FAILED] = "[NG]",
	[RP_TASK_MANUAL] = "[  ]",
	[RP_TASK_UNCHECKED] = "[--]",
};

static void checklist(FILE *f, const struct report *r)
{
	heading(f, rp_tr(r, "作業の確認", "On-site tasks"));
	for (size_t i = 0; i < rp_n_tasks; i++) {
		const struct rp_task *t = &rp_tasks[i];
		char *mark = pad_clean(task_marks[r->task_status[i]], 6);
		char *title = pad_clean(rp_bt(r, t->title), 36);
		char ids[512] = "";
		for (const char *const *p = t->probes; *p; p++) {
			const struct probe_result *res = rp_find(r, *p);
			if (res)
				snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s",
					 *ids ? rp_tr(r, "、", ", ") : "", rp_bt(r, res->title));
		}
		fprintf(f, "  %s%s%s\n", mark, title, rp_task_word(r->lang, r->task_status[i]));
		if (*ids) {
			char *line = xasprintf(rp_tr(r, "根拠: %s", "proven by: %s"), ids);
			fprintf(f, "%8s", "");
			wrap(f, line, 8, COLS - 8);
			free(line);
		}
		if (*rp_bt(r, t->manual)) {
			char *line = xasprintf(rp_tr(r, "[%s] 手作業で確認: %s", "[%s] check by hand: %s"),
					       r->manual_done[i] ? "OK" : "  ", rp_bt(r, t->manual));
			fprintf(f, "%8s", "");
			wrap(f, line, 13, COLS - 13);
			free(line);
		}
		free(mark);
		free(title);
	}
}

static void config(FILE *f, const struct report *r)
{
	heading(f, rp_tr(r, "設定の要約 (秘密は伏せています)", "Configuration (secrets redacted)"));
	for (size_t i = 0; i < r->n_rows; i++) {
		const struct rp_row *w = &r->rows[i];
		char *v = rp_row_text(r, w);
		kv(f, rp_bt(r, w->label), v, 26);
		free(v);
	}
	if (r->n_rows == 0)
		fprintf(f, "%s\n", rp_tr(r, "(設定がありません)", "(no configuration)"));
}

/* One probe's values and evidence lines. */
static void evidence_probe(FILE *f, const struct report *r, const struct probe_result *p)
{
	char *line = xasprintf("%s  %s  [%s]", rp_s(p->id), rp_bt(r, p->title),
			       rp_verdict_word(r->lang, p->verdict));

	fputs("* ", f);
	wrap(f, line, 2, COLS - 2);
	free(line);
	for (size_t i = 0; i < p->n_values; i++) {
		char *val = rp_value_str(r, &p->values[i]);
		const char *label = rp_bt(r, p->values[i].label);
		kv(f, *label ? label : rp_s(p->values[i].key), val, 24);
		free(val);
	}
	for (size_t i = 0; i < p->n_evidence; i++) {
		fputs("    | ", f);
		wrap(f, p->evidence[i], 6, COLS - 6);
	}
}

static void capture(FILE *f, const struct report *r)
{
	const struct rp_capture *c = &r->capture;

	if (!c->present)
		return;
	kv(f, rp_tr(r, "キャプチャファイル", "Capture file"), c->name, 24);
	if (*c->sha256) {
		kv(f, "SHA-256", c->sha256, 24);
		char *b = xasprintf("%lld", c->bytes);
		kv(f, rp_tr(r, "大きさ (バイト)", "Size (bytes)"), b, 24);
		free(b);
	} else {
		kv(f, rp_tr(r, "読めません", "Unreadable"), rp_s(c->error), 24);
	}
}

static void evidence(FILE *f, const struct report *r)
{
	for (size_t s = 0; s < rp_n_sections; s++) {
		const struct rp_section *sec = &rp_sections[s];
		bool shown = false;
		for (size_t i = 0; r->run && i < r->run->n; i++) {
			const struct probe_result *p = &r->run->results[i];
			if (!rp_in_section(s, p))
				continue;
			if (!shown)
				heading(f, rp_bt(r, sec->title));
			shown = true;
			evidence_probe(f, r, p);
		}
		if (strcmp(sec->id, "capture") == 0 && r->capture.present) {
			if (!shown)
				heading(f, rp_bt(r, sec->title));
			capture(f, r);
		}
	}
}

static void signoff(FILE *f, const struct report *r)
{
	const char *who[] = { rp_tr(r, "作業担当者", "Engineer"), rp_tr(r, "立会者", "Witness"),
			      rp_tr(r, "管理者 承認", "Administrator") };
	const char *names[] = { r->engineer, r->witness, "" };

	heading(f, rp_tr(r, "確認の署名", "Sign-off"));
	for (size_t i = 0; i < ARRAY_SIZE(who); i++) {
		char *l = pad_clean(who[i], 12);
		char *n = pad_clean(*names[i] ? names[i] : "", 20);
		fprintf(f, "\n  %s %s %s ____________  %s ________\n", l, n,
			rp_tr(r, "署名", "Signature"), rp_tr(r, "日付", "Date"));
		free(l);
		free(n);
	}
}

char *report_text(const struct report *r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	rule(f, '=');
	fprintf(f, "%s\n", rp_tr(r, "運用テスト報告書 (オンライン資格確認 ネットワーク)",
				 "Operational test report (online qualification confirmation network)"));
	rule(f, '=');
	facts(f, r);
	banner(f, r);
	heading(f, rp_tr(r, "検査結果", "Probe results"));
	results(f, r, true);
	checklist(f, r);
	config(f, r);
	part(f, rp_tr(r, "証跡", "Evidence"));
	evidence(f, r);
	signoff(f, r);
	fclose(f);
	return rp_rstrip_lines(out);
}

char *report_verdict_table(const struct report *r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	results(f, r, false);
	banner(f, r);
	fclose(f);
	return rp_rstrip_lines(out);
}
