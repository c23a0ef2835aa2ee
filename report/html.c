/* The report as one self-contained HTML file, laid out for A4 paper: a
 * summary (verdict, facts of the visit, checklist, remarks and the
 * signatures) on pages 1 and 2, then the probe table, the configuration and
 * the evidence. Readable in
 * monochrome: every verdict has a mark and a word, colour only helps. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/site.h"
#include "core/util.h"
#include "report/report_int.h"

static const char css[] =
	"@page{size:A4;margin:14mm 14mm 16mm 14mm;"
	"@bottom-right{content:counter(page) \" / \" counter(pages);font-size:7.5pt;"
	"font-family:\"Noto Sans CJK JP\",sans-serif}}\n"
	"*{box-sizing:border-box}\n"
	"html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
	"body{font-family:\"Noto Sans CJK JP\",\"Noto Sans JP\",\"Hiragino Kaku Gothic ProN\","
	"\"Hiragino Sans\",\"Yu Gothic\",\"YuGothic\",Meiryo,\"IPAexGothic\",\"IPAGothic\","
	"\"Source Han Sans JP\",sans-serif;font-size:9.5pt;line-height:1.45;color:#000;"
	"background:#fff;margin:0 auto;max-width:182mm;overflow-wrap:break-word}\n"
	"@media screen{body{padding:10mm 0}}\n"
	"h1{font-size:17pt;margin:0;letter-spacing:.08em}\n"
	"h2{font-size:12pt;margin:7mm 0 2mm;padding-bottom:1mm;border-bottom:1.5pt solid #000;"
	"break-after:avoid}\n"
	"h2.part{font-size:14pt;border-bottom:3pt double #000}\n"
	"h3{font-size:10pt;margin:4mm 0 1mm;break-after:avoid}\n"
	".sub{font-size:9pt;margin-top:1mm}\n"
	".head{display:flex;justify-content:space-between;align-items:flex-end;"
	"border-bottom:3pt double #000;padding-bottom:2mm}\n"
	".head>div:first-child{flex:none;margin-right:6mm}\n"
	".head .who{text-align:right;font-size:10pt;flex:1;min-width:0}\n"
	".head .who .name{font-size:13pt;font-weight:bold}\n"
	".verdict{margin:5mm 0;border:3pt solid #000;padding:3mm 5mm;display:flex;"
	"align-items:center;gap:6mm;break-inside:avoid}\n"
	".verdict .label{font-size:12pt;font-weight:bold;white-space:nowrap}\n"
	".verdict .word{font-size:30pt;font-weight:bold;line-height:1.1;white-space:nowrap}\n"
	".verdict .code{font-size:14pt;font-weight:bold;font-family:monospace}\n"
	".verdict .counts{margin-left:auto;font-size:9pt;text-align:right}\n"
	".verdict.bad{background:#000;color:#fff}\n"
	".verdict.warn{border-style:double;border-width:5pt}\n"
	"table{border-collapse:collapse;width:100%;table-layout:fixed}\n"
	"th,td{border:.6pt solid #000;padding:1mm 1.5mm;vertical-align:top;text-align:left}\n"
	"th{background:#e6e6e6;font-weight:bold}\n"
	"tr{break-inside:avoid}\n"
	"thead{display:table-header-group}\n"
	"table.facts th{width:36mm}\n"
	"table.visit th{width:42mm}\n"
	"table.visit + table.grid tr:first-child > *{border-top:none}\n"
	"table.grid th{width:30mm}\n"
	"table.grid + table.grid tr:first-child > *{border-top:none}\n"
	"table.facts td.big{font-size:11pt;font-weight:bold}\n"
	"td.id{word-break:break-all}\n"
	"td.id,.mono{font-family:\"DejaVu Sans Mono\",\"Noto Sans Mono CJK JP\",monospace;"
	"font-size:8.5pt}\n"
	"td.v{font-weight:bold}\n"
	"tr.fail td.v,tr.error td.v{background:#000;color:#fff}\n"
	"tr.warn td.v{outline:1.5pt solid #000;outline-offset:-2pt}\n"
	"tr.skip td{color:#444;font-style:italic}\n"
	".vals{margin:0;padding:0;list-style:none;font-size:8.5pt}\n"
	".remedy{margin-top:1mm;padding:1mm 1.5mm;border-left:2.5pt solid #000;"
	"font-weight:bold}\n"
	".note{font-size:8.5pt;color:#222}\n"
	".break{break-before:page}\n"
	".tasks td.mark{width:12mm;text-align:center;font-size:12pt;font-weight:bold}\n"
	".box{display:inline-block;width:4.2mm;height:4.2mm;border:1pt solid #000;"
	"vertical-align:-0.8mm;margin-right:1.5mm;text-align:center;line-height:4mm;font-size:9pt}\n"
	".sign{display:flex;gap:6mm;margin-top:4mm;break-inside:avoid}\n"
	".sign div.card{flex:1;border:1pt solid #000;padding:2mm 3mm;min-height:38mm}\n"
	".sign .role{font-weight:bold}\n"
	".sign .line{border-bottom:.6pt solid #000;height:9mm;margin-top:2mm;font-size:8pt;"
	"color:#333}\n"
	".probe{break-inside:avoid;margin-bottom:3mm}\n"
	"pre.ev{font-family:\"DejaVu Sans Mono\",\"Noto Sans Mono CJK JP\",monospace;"
	"font-size:7.5pt;line-height:1.35;white-space:pre-wrap;overflow-wrap:anywhere;"
	"border:.6pt solid #000;border-left:2.5pt solid #000;padding:1mm 2mm;margin:1mm 0 0}\n"
	".legend{font-size:8pt;margin-top:1.5mm}\n"
	"table.remarks{margin-top:3mm}\n"
	"table.remarks td.write{height:13mm;white-space:pre-wrap}\n";

/* Verdict marks of Japanese paperwork: ○ passed, △ warning, × failed. */
static const char *const marks[] = {
	[PROBE_PASS] = "○", [PROBE_SKIP] = "−", [PROBE_WARN] = "△",
	[PROBE_FAIL] = "×", [PROBE_ERROR] = "×",
};

static const char *const classes[] = {
	[PROBE_PASS] = "pass", [PROBE_SKIP] = "skip", [PROBE_WARN] = "warn",
	[PROBE_FAIL] = "fail", [PROBE_ERROR] = "error",
};

static enum probe_verdict clamp(enum probe_verdict v)
{
	return (unsigned)v <= PROBE_ERROR ? v : PROBE_ERROR;
}

/* A table row "<tr><th>label</th><td>value</td></tr>", both escaped. */
static void fact(FILE *f, const char *label, const char *value, bool big)
{
	fputs("<tr><th>", f);
	rp_html_esc(f, label);
	fprintf(f, "</th><td%s>", big ? " class=\"big\"" : "");
	rp_html_esc(f, value);
	fputs("</td></tr>\n", f);
}

static void head(FILE *f, const struct report *r)
{
	const struct site *s = r->site;

	fputs("<div class=\"head\"><div><h1>", f);
	rp_html_esc(f, rp_tr(r, "運用テスト報告書", "Operational Test Report"));
	fputs("</h1><div class=\"sub\">", f);
	rp_html_esc(f, rp_tr(r, "オンライン資格確認・オンライン請求 ネットワーク接続",
			     "Network for online qualification confirmation and online claims"));
	fputs("</div></div><div class=\"who\"><div class=\"name\">", f);
	rp_html_esc(f, s ? rp_s(s->facility_name) : "");
	fputs("</div><div>", f);
	rp_html_esc(f, rp_bt(r, site_key_label("site", "facility_code")));
	fputs(" <span class=\"mono\">", f);
	rp_html_esc(f, s ? rp_s(s->facility_code) : "");
	fputs("</span></div></div></div>\n", f);
}

static void verdict(FILE *f, const struct report *r)
{
	enum probe_verdict v = clamp(r->overall);
	const char *cls = v >= PROBE_FAIL ? " bad" : v == PROBE_WARN ? " warn" : "";

	fprintf(f, "<div class=\"verdict%s\" id=\"overall\"><div class=\"label\">", cls);
	rp_html_esc(f, rp_tr(r, "総合判定", "Overall verdict"));
	fprintf(f, "</div><div class=\"word\">%s ", marks[v]);
	rp_html_esc(f, rp_verdict_word(r->lang, v));
	fputs("</div>", f);
	if (r->lang == OQ_LANG_JA)
		fprintf(f, "<div class=\"code\">%s</div>", rp_verdict_word(OQ_LANG_EN, v));
	fputs("<div class=\"counts\">", f);
	fprintf(f, rp_tr(r, "検査 %zu 項目<br>合格 %zu・注意 %zu・不合格 %zu<br>実行不能 %zu・省略 %zu",
			 "%zu probes<br>passed %zu, warned %zu, failed %zu<br>errors %zu, skipped %zu"),
		r->run ? r->run->n : 0, r->counts[PROBE_PASS], r->counts[PROBE_WARN],
		r->counts[PROBE_FAIL], r->counts[PROBE_ERROR], r->counts[PROBE_SKIP]);
	fputs("</div></div>\n", f);
}

/* Label and value pairs laid out two to a row. */
struct pairs {
	char **label, **value;
	size_t n;
};

static void pair(struct pairs *p, const char *label, const char *value)
{
	p->label = xrealloc(p->label, (p->n + 1) * sizeof(*p->label));
	p->value = xrealloc(p->value, (p->n + 1) * sizeof(*p->value));
	p->label[p->n] = xstrdup(label);
	p->value[p->n++] = xstrdup(value);
}

static void pairs_out(FILE *f, struct pairs *p)
{
	fputs("<table class=\"facts grid\">\n", f);
	for (size_t i = 0; i < p->n; i += 2) {
		fputs("<tr><th>", f);
		rp_html_esc(f, p->label[i]);
		fprintf(f, "</th><td%s>", i + 1 < p->n ? "" : " colspan=\"3\"");
		rp_html_esc(f, p->value[i]);
		fputs("</td>", f);
		if (i + 1 < p->n) {
			fputs("<th>", f);
			rp_html_esc(f, p->label[i + 1]);
			fputs("</th><td>", f);
			rp_html_esc(f, p->value[i + 1]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	for (size_t i = 0; i < p->n; i++) {
		free(p->label[i]);
		free(p->value[i]);
	}
	free(p->label);
	free(p->value);
	p->label = p->value = NULL;
	p->n = 0;
}

/* The fact of the visit with this key, or "". */
static const char *visit(const struct report *r, const char *key)
{
	for (size_t i = 0; i < r->n_facts; i++)
		if (strcmp(r->facts[i].key, key) == 0)
			return r->facts[i].value;
	return "";
}

/* Is key one of the visit's facts that need a whole row? */
static bool wide_fact(const char *key)
{
	return strcmp(key, "address") == 0 || strcmp(key, "work") == 0 ||
	       strcmp(key, "certificates") == 0 || strcmp(key, "terminal") == 0;
}

static void facts(FILE *f, const struct report *r)
{
	const struct site *s = r->site;
	struct pairs p = { NULL, NULL, 0 };
	char t[48];

	fputs("<table class=\"facts visit\">\n", f);
	fact(f, rp_bt(r, site_key_label("site", "facility_name")), s ? rp_s(s->facility_name) : "", true);
	for (size_t i = 0; i < r->n_facts; i++)
		if (wide_fact(r->facts[i].key))
			fact(f, rp_bt(r, r->facts[i].label), r->facts[i].value, false);
	fputs("</table>\n", f);
	pair(&p, rp_bt(r, site_key_label("site", "facility_code")), s ? rp_s(s->facility_code) : "");
	pair(&p, rp_tr(r, "報告書番号", "Report number"), visit(r, "number"));
	pair(&p, rp_bt(r, site_key_label("site", "vendor")), s ? rp_s(s->vendor) : "");
	pair(&p, rp_bt(r, site_key_label("site", "engineer")), r->engineer);
	pair(&p, rp_bt(r, site_key_label("site", "witness")), r->witness);
	pair(&p, rp_tr(r, "作成日時", "Date and time"), clock_str(r->meta.time_ms, CLOCK_HUMAN, t));
	if (r->run && r->run->started_ms > 0) {
		char *v = xasprintf(rp_tr(r, "%s 開始、所要 %lld ms", "%s, took %lld ms"),
				    clock_str(r->run->started_ms, CLOCK_HUMAN, t),
				    (long long)r->run->duration_ms);
		pair(&p, rp_tr(r, "検査の実施", "Probes run"), v);
		free(v);
	}
	for (size_t i = 0; i < r->n_rows; i++)
		if (strcmp(r->rows[i].key, "line") == 0)
			pair(&p, rp_bt(r, r->rows[i].label), rp_bt(r, r->rows[i].shown));
	for (size_t i = 0; i < r->n_facts; i++) {
		const char *k = r->facts[i].key;
		if (!wide_fact(k) && strcmp(k, "number") != 0 && strcmp(k, "note") != 0 &&
		    strcmp(k, "followup") != 0)
			pair(&p, rp_bt(r, r->facts[i].label), r->facts[i].value);
	}
	char *m = xasprintf("oqlink %s / %s", r->meta.version, r->meta.hostname);
	pair(&p, rp_tr(r, "版数 / ホスト名", "Version / host"), m);
	free(m);
	for (size_t i = 0; i < r->meta.n_ifaces; i++) {
		const struct report_iface *in = &r->meta.ifaces[i];
		char *l = xasprintf("MAC (%s)", in->name);
		pair(&p, l, *in->mac ? in->mac : rp_tr(r, "(不明)", "(unknown)"));
		free(l);
	}
	pairs_out(f, &p);
}

/* The values of one probe as a list, for the probe table. */
static void values(FILE *f, const struct report *r, const struct probe_result *p)
{
	if (p->n_values == 0)
		return;
	fputs("<ul class=\"vals\">", f);
	for (size_t i = 0; i < p->n_values; i++) {
		if (p->values[i].text && strlen(p->values[i].text) > RP_BRIEF_TEXT)
			continue;
		const char *label = rp_bt(r, p->values[i].label);
		char *v = rp_value_str(r, &p->values[i]);
		fputs("<li>", f);
		rp_html_esc(f, *label ? label : rp_s(p->values[i].key));
		fputs(": <b>", f);
		rp_html_esc(f, v);
		fputs("</b></li>", f);
		free(v);
	}
	fputs("</ul>", f);
}

static void result_row(FILE *f, const struct report *r, const struct probe_result *p)
{
	enum probe_verdict v = clamp(p->verdict);
	const char *remedy = rp_bt(r, p->remedy);

	fprintf(f, "<tr class=\"%s\"><td class=\"id\">", classes[v]);
	rp_html_esc(f, rp_s(p->id));
	fputs("</td><td>", f);
	rp_html_esc(f, rp_bt(r, p->title));
	fprintf(f, "</td><td class=\"v\">%s ", marks[v]);
	rp_html_esc(f, rp_verdict_word(r->lang, v));
	fputs("</td><td>", f);
	values(f, r, p);
	fputs("</td><td>", f);
	rp_html_esc(f, rp_bt(r, p->summary));
	char *why = rp_skip_text(r, p);
	if (why) {
		fputs("<div class=\"note\">", f);
		rp_html_esc(f, why);
		fputs("</div>", f);
		free(why);
	}
	if (v != PROBE_PASS && *remedy) {
		fputs("<div class=\"remedy\">", f);
		rp_html_esc(f, rp_tr(r, "対処: ", "To do: "));
		rp_html_esc(f, remedy);
		fputs("</div>", f);
	}
	fputs("</td></tr>\n", f);
}

static void results(FILE *f, const struct report *r)
{
	fputs("<h2>", f);
	rp_html_esc(f, rp_tr(r, "検査結果", "Probe results"));
	fputs("</h2>\n<table class=\"results\"><colgroup><col style=\"width:17mm\">"
	      "<col style=\"width:28mm\"><col style=\"width:20mm\"><col style=\"width:56mm\">"
	      "<col></colgroup><thead><tr><th>ID</th><th>", f);
	rp_html_esc(f, rp_tr(r, "項目", "Check"));
	fputs("</th><th>", f);
	rp_html_esc(f, rp_tr(r, "判定", "Verdict"));
	fputs("</th><th>", f);
	rp_html_esc(f, rp_tr(r, "測定値", "Measured"));
	fputs("</th><th>", f);
	rp_html_esc(f, rp_tr(r, "所見・対処", "Finding and what to do"));
	fputs("</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; r->run && i < r->run->n; i++)
		result_row(f, r, &r->run->results[i]);
	if (r->run == NULL || r->run->n == 0) {
		fputs("<tr><td colspan=\"5\">", f);
		rp_html_esc(f, rp_tr(r, "検査結果がありません", "No probe results"));
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n<div class=\"legend\">", f);
	rp_html_esc(f, rp_tr(r, "○ 合格　△ 注意　× 不合格・実行不能　− 省略",
			     "○ pass   △ warning   × fail or error   − skipped"));
	fputs("</div>\n", f);
}

static const char *const task_marks[] = {
	[RP_TASK_PROVEN] = "✓", [RP_TASK_WARN] = "△", [RP_TASK_FAILED] = "×",
	[RP_TASK_MANUAL] = "", [RP_TASK_UNCHECKED] = "−",
};

static void checklist(FILE *f, const struct report *r)
{
	fputs("<h2>", f);
	rp_html_esc(f, rp_tr(r, "作業の確認", "On-site tasks"));
	fputs("</h2>\n<table class=\"tasks\"><colgroup><col style=\"width:12mm\">"
	      "<col style=\"width:42mm\"><col style=\"width:28mm\"><col></colgroup>"
	      "<thead><tr><th></th><th>", f);
	rp_html_esc(f, rp_tr(r, "作業", "Task"));
	fputs("</th><th>", f);
	rp_html_esc(f, rp_tr(r, "状態", "Status"));
	fputs("</th><th>", f);
	rp_html_esc(f, rp_tr(r, "根拠となる検査・手作業での確認", "Proven by / checked by hand"));
	fputs("</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < rp_n_tasks; i++) {
		const struct rp_task *t = &rp_tasks[i];
		enum rp_task_status st = r->task_status[i];
		bool first = true;
		fprintf(f, "<tr><td class=\"mark\"><span class=\"box\">%s</span></td><td><b>",
			task_marks[st]);
		rp_html_esc(f, rp_bt(r, t->title));
		fputs("</b></td><td>", f);
		rp_html_esc(f, rp_task_word(r->lang, st));
		fputs("</td><td><span class=\"mono\">", f);
		for (const char *const *p = t->probes; *p; p++) {
			const struct probe_result *res = rp_find(r, *p);
			if (res == NULL)
				continue;
			fprintf(f, "%s%s ", first ? "" : rp_tr(r, "、", ", "), marks[clamp(res->verdict)]);
			rp_html_esc(f, rp_bt(r, res->title));
			first = false;
		}
		fputs("</span>", f);
		if (*rp_bt(r, t->manual)) {
			fprintf(f, "<div><span class=\"box\">%s</span>", r->manual_done[i] ? "✓" : "");
			rp_html_esc(f, rp_bt(r, t->manual));
			fputs("</div>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

/* 特記事項 and 対応予定: what was typed, and room to write by hand. */
static void remarks(FILE *f, const struct report *r)
{
	fputs("<table class=\"facts remarks\">\n", f);
	for (size_t i = 0; i < r->n_facts; i++) {
		const struct rp_fact *x = &r->facts[i];
		if (strcmp(x->key, "note") != 0 && strcmp(x->key, "followup") != 0)
			continue;
		fputs("<tr><th>", f);
		rp_html_esc(f, rp_bt(r, x->label));
		fputs("</th><td class=\"write\">", f);
		rp_html_esc(f, x->value);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void signoff(FILE *f, const struct report *r)
{
	const char *who[] = { rp_tr(r, "作業担当者 (システムベンダー)", "Engineer (system vendor)"),
			      rp_tr(r, "立会者 (医療機関)", "Witness (the clinic)"),
			      rp_tr(r, "管理者 承認 (医療機関)", "Approved by the administrator (the clinic)") };
	const char *names[] = { r->engineer, r->witness, "" };
	const char *vendor = r->site ? rp_s(r->site->vendor) : "";

	fputs("<h2>", f);
	rp_html_esc(f, rp_tr(r, "確認の署名", "Sign-off"));
	fputs("</h2>\n<p class=\"note\">", f);
	rp_html_esc(f, rp_tr(r, "上記の検査結果と作業の確認の内容に相違ないことを確認しました。",
			     "We confirm that the results and the tasks above are as stated."));
	fputs("</p>\n<div class=\"sign\">", f);
	for (size_t i = 0; i < ARRAY_SIZE(who); i++) {
		fputs("<div class=\"card\"><div class=\"role\">", f);
		rp_html_esc(f, who[i]);
		fputs("</div><div class=\"line\">", f);
		rp_html_esc(f, rp_tr(r, "氏名", "Name"));
		fputs(": ", f);
		rp_html_esc(f, names[i]);
		if (i == 0 && *vendor) {
			fputs(" (", f);
			rp_html_esc(f, vendor);
			fputs(")", f);
		}
		fputs("</div><div class=\"line\">", f);
		rp_html_esc(f, i == 2 ? rp_tr(r, "承認印", "Approval seal")
				      : rp_tr(r, "署名・印", "Signature"));
		fputs("</div><div class=\"line\">", f);
		rp_html_esc(f, rp_tr(r, "日付", "Date"));
		fputs("</div></div>", f);
	}
	fputs("</div>\n", f);
}

static void config(FILE *f, const struct report *r)
{
	fputs("<h2 class=\"break\">", f);
	rp_html_esc(f, rp_tr(r, "設定の要約 (秘密は伏せています)", "Configuration (secrets redacted)"));
	fputs("</h2>\n<table class=\"facts\">\n", f);
	for (size_t i = 0; i < r->n_rows; i++) {
		const struct rp_row *w = &r->rows[i];
		char *v = rp_row_text(r, w);
		fact(f, rp_bt(r, w->label), v, false);
		free(v);
	}
	if (r->n_rows == 0)
		fact(f, "", rp_tr(r, "設定がありません", "no configuration"), false);
	fputs("</table>\n", f);
}

static void evidence_probe(FILE *f, const struct report *r, const struct probe_result *p)
{
	enum probe_verdict v = clamp(p->verdict);

	fputs("<div class=\"probe\"><h3><span class=\"mono\">", f);
	rp_html_esc(f, rp_s(p->id));
	fputs("</span> ", f);
	rp_html_esc(f, rp_bt(r, p->title));
	fprintf(f, " — %s ", marks[v]);
	rp_html_esc(f, rp_verdict_word(r->lang, v));
	fputs("</h3>", f);
	if (p->n_values) {
		struct pairs pv = { NULL, NULL, 0 };
		for (size_t i = 0; i < p->n_values; i++) {
			const char *label = rp_bt(r, p->values[i].label);
			char *val = rp_value_str(r, &p->values[i]);
			pair(&pv, *label ? label : rp_s(p->values[i].key), val);
			free(val);
		}
		pairs_out(f, &pv);
	}
	if (p->n_evidence) {
		fputs("<pre class=\"ev\">", f);
		for (size_t i = 0; i < p->n_evidence; i++) {
			rp_html_esc(f, p->evidence[i]);
			fputc('\n', f);
		}
		fputs("</pre>", f);
	}
	fputs("</div>\n", f);
}

static void capture(FILE *f, const struct report *r)
{
	const struct rp_capture *c = &r->capture;

	fputs("<table class=\"facts\">", f);
	fact(f, rp_tr(r, "キャプチャファイル", "Capture file"), c->name, false);
	if (*c->sha256) {
		fputs("<tr><th>SHA-256</th><td class=\"mono\">", f);
		rp_html_esc(f, c->sha256);
		fputs("</td></tr>", f);
		char *b = xasprintf("%lld", c->bytes);
		fact(f, rp_tr(r, "大きさ (バイト)", "Size (bytes)"), b, false);
		free(b);
	} else {
		fact(f, rp_tr(r, "読めません", "Unreadable"), rp_s(c->error), false);
	}
	fputs("</table>\n", f);
}

static void evidence(FILE *f, const struct report *r)
{
	fputs("<h2 class=\"part\">", f);
	rp_html_esc(f, rp_tr(r, "証跡", "Evidence"));
	fputs("</h2>\n", f);
	for (size_t s = 0; s < rp_n_sections; s++) {
		const struct rp_section *sec = &rp_sections[s];
		bool shown = false;
		for (size_t i = 0; r->run && i < r->run->n; i++) {
			const struct probe_result *p = &r->run->results[i];
			if (!rp_in_section(s, p))
				continue;
			if (!shown) {
				fprintf(f, "<section id=\"ev-%s\"><h2>", sec->id);
				rp_html_esc(f, rp_bt(r, sec->title));
				fputs("</h2>\n", f);
			}
			shown = true;
			evidence_probe(f, r, p);
		}
		if (strcmp(sec->id, "capture") == 0 && r->capture.present) {
			if (!shown) {
				fprintf(f, "<section id=\"ev-%s\"><h2>", sec->id);
				rp_html_esc(f, rp_bt(r, sec->title));
				fputs("</h2>\n", f);
			}
			shown = true;
			capture(f, r);
		}
		if (shown)
			fputs("</section>\n", f);
	}
}

/* Escape s for a CSS string: only letters, digits and a few harmless
 * characters stay, everything else of ASCII becomes a hex escape, so nothing
 * can close the string or the style element. */
static void css_esc(FILE *f, const char *text)
{
	char *s = rp_scrub(text);

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80 || isalnum(*p) || strchr(" .:-_()", *p))
			fputc(*p, f);
		else
			fprintf(f, "\\%06x", *p);
	}
	free(s);
}

/* The running footer of every printed page, in the page's bottom margin. */
static void footer(FILE *f, const struct report *r)
{
	char t[48];

	fputs("@page{@bottom-left{font-size:7.5pt;font-family:\"Noto Sans CJK JP\",sans-serif;"
	      "content:\"", f);
	css_esc(f, rp_tr(r, "運用テスト報告書", "Operational test report"));
	fputs(" · ", f);
	css_esc(f, r->site ? rp_s(r->site->facility_code) : "");
	fputs(" · ", f);
	css_esc(f, clock_str(r->meta.time_ms, CLOCK_HUMAN, t));
	fputs(" · oqlink ", f);
	css_esc(f, r->meta.version);
	fputs("\"}}\n", f);
}

char *report_html(const struct report *r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n",
		i18n_lang_name(r->lang));
	fputs("<meta name=\"generator\" content=\"oqlink ", f);
	rp_html_esc(f, r->meta.version);
	fputs("\">\n<title>", f);
	rp_html_esc(f, rp_tr(r, "運用テスト報告書", "Operational test report"));
	fputs(" — ", f);
	rp_html_esc(f, r->site ? rp_s(r->site->facility_name) : "");
	fprintf(f, "</title>\n<style>\n%s", css);
	footer(f, r);
	fputs("</style>\n</head>\n<body>\n", f);
	head(f, r);
	verdict(f, r);
	facts(f, r);
	checklist(f, r);
	remarks(f, r);
	signoff(f, r);
	results(f, r);
	config(f, r);
	evidence(f, r);
	fputs("</body>\n</html>\n", f);
	fclose(f);
	return out;
}
