/* report/: the three forms rendered from recorded probe runs against golden
 * files, the checklist table, hostile input, secrets, time, compare.
 *
 * OQ_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing (look
 * at the diff before committing them). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "probes/probe.h"
#include "report/report.h"
#include "report/report_int.h"

#define DATA "tests/data/report/"

/* A fixed clock, host and interfaces, so the output is the same every run. */
static void fixed_meta(struct report_meta *m, enum oq_lang lang)
{
	memset(m, 0, sizeof(*m));
	m->lang = lang;
	assert_true(report_parse_time("2026-04-01T11:00:00+09:00", &m->time_ms));
	snprintf(m->version, sizeof(m->version), "0.0.0-test");
	snprintf(m->hostname, sizeof(m->hostname), "oqlink-test");
	const char *names[][3] = { { "wan", "wan0", "02:0a:00:00:00:01" },
				   { "lan", "lan0", "02:0a:00:00:00:02" },
				   { "terminal", "term0", "" } };
	for (size_t i = 0; i < 3; i++) {
		snprintf(m->ifaces[i].role, sizeof(m->ifaces[i].role), "%s", names[i][0]);
		snprintf(m->ifaces[i].name, sizeof(m->ifaces[i].name), "%s", names[i][1]);
		snprintf(m->ifaces[i].mac, sizeof(m->ifaces[i].mac), "%s", names[i][2]);
	}
	m->n_ifaces = 3;
}

static struct site *load_site(const char *name)
{
	struct site_diags diags = { 0 };
	char *path = xasprintf(DATA "%s", name);
	struct site *s = site_load(path, false, &diags);

	if (s == NULL)
		site_diags_print(&diags, stderr);
	assert_non_null(s);
	site_diags_free(&diags);
	free(path);
	return s;
}

static void load_run(const char *name, struct probe_run *run)
{
	char *path = xasprintf(DATA "%s", name), *data = NULL, *cause = NULL;
	struct json_object *o;

	assert_int_equal(file_read(path, 1 << 20, &data, NULL, &cause), 0);
	o = json_tokener_parse(data);
	assert_non_null(o);
	if (probe_run_from_json(o, run, &cause) < 0)
		fail_msg("%s: %s", path, cause);
	json_object_put(o);
	free(data);
	free(path);
}

/* Compare s with the golden file, or rewrite it under OQ_UPDATE_GOLDEN. */
static void golden(const char *name, const char *s)
{
	char *path = xasprintf(DATA "golden/%s", name), *want = NULL, *cause = NULL;

	if (getenv("OQ_UPDATE_GOLDEN")) {
		assert_int_equal(mkdir_p(DATA "golden", 0755, &cause), 0);
		assert_int_equal(file_write_atomic(path, s, strlen(s), 0644, &cause), 0);
	} else {
		if (file_read(path, 1 << 22, &want, NULL, &cause) < 0)
			fail_msg("%s (set OQ_UPDATE_GOLDEN=1 to create it)", cause);
		if (strcmp(want, s) != 0) {
			char *got = xasprintf("tests/out/%s", name);
			mkdir_p("tests/out", 0755, NULL);
			file_write_atomic(got, s, strlen(s), 0644, NULL);
			fail_msg("%s differs from the golden file; see diff -u %s %s", name, path, got);
		}
	}
	free(want);
	free(path);
}

/* Every line of a text report fits in 80 columns. */
static void assert_80_columns(const char *text)
{
	char *copy = xstrdup(text), *save = NULL;
	size_t n = 1;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++)
		if (str_width(line) > 80)
			fail_msg("line %zu is %zu columns: %s", n, str_width(line), line);
	free(copy);
}

/* No control character other than newline in any output. */
static void assert_no_controls(const char *s, const char *what)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0))
			fail_msg("%s: control character 0x%02x at offset %td", what, *p,
				 (const char *)p - s);
}

static void test_golden(void **state)
{
	static const struct {
		const char *site, *run, *name;
		enum oq_lang lang;
	} cases[] = {
		{ "site-ipsec.conf", "run-ipsec-pass.json", "ipsec-pass-ja", OQ_LANG_JA },
		{ "site-ipsec.conf", "run-ipsec-pass.json", "ipsec-pass-en", OQ_LANG_EN },
		{ "site-ipsec.conf", "run-ipsec-fail.json", "ipsec-fail-en", OQ_LANG_EN },
		{ "site-ipsec.conf", "run-ipsec-fail.json", "ipsec-fail-ja", OQ_LANG_JA },
		{ "site-ipvpn.conf", "run-hostile.json", "hostile-ja", OQ_LANG_JA },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct site *s = load_site(cases[i].site);
		struct probe_run run;
		struct report_meta m;
		load_run(cases[i].run, &run);
		fixed_meta(&m, cases[i].lang);
		struct report *r = report_new(s, &run, &m);
		char *text = report_text(r), *json = report_json(r), *html = report_html(r);
		char *tn = xasprintf("%s.txt", cases[i].name), *jn = xasprintf("%s.json", cases[i].name);

		golden(tn, text);
		golden(jn, json);
		assert_80_columns(text);
		assert_no_controls(text, tn);
		assert_no_controls(html, "html");
		/* the JSON form is valid and says what it is */
		struct json_object *o = json_tokener_parse(json);
		assert_non_null(o);
		assert_string_equal(json_object_get_string(json_object_object_get(o, "schema")),
				    "oqlink.report/2");
		json_object_put(o);
		free(tn);
		free(jn);
		free(text);
		free(json);
		free(html);
		report_free(r);
		probe_run_free(&run);
		site_free(s);
	}
}

/* Tasks are ticked from the verdicts of the probes that prove them and,
 * where a person must look, from the check by hand being recorded. */
static void test_checklist(void **state)
{
	static const struct {
		const char *verdicts;	/* "id=VERDICT[:skipreason] ..." */
		const char *task;
		const char *checked;	/* --checked */
		enum rp_task_status want;
	} cases[] = {
		{ "link=PASS address=PASS", "install", "install", RP_TASK_PROVEN },
		{ "link=PASS address=PASS", "install", "", RP_TASK_MANUAL },
		{ "link=PASS address=PASS", "install", "routing, installs", RP_TASK_MANUAL },
		{ "link=PASS address=WARN", "install", "install", RP_TASK_WARN },
		{ "link=FAIL address=PASS", "install", "install", RP_TASK_FAILED },
		{ "link=ERROR", "install", "", RP_TASK_FAILED },
		{ "dns=PASS", "install", "", RP_TASK_MANUAL },
		{ "", "operation", "", RP_TASK_MANUAL },
		{ "", "operation", "operation", RP_TASK_PROVEN },
		/* every probe passed, nobody looked up a card at the terminal */
		{ "clock=PASS tls=PASS capture=PASS", "operation", "install,certificate", RP_TASK_MANUAL },
		{ "clock=PASS tls=PASS capture=PASS", "operation", "install, operation", RP_TASK_PROVEN },
		/* tls skipped because dns failed: not shown, not failed */
		{ "cert=PASS tls=SKIP:dns", "certificate", "certificate", RP_TASK_UNCHECKED },
		{ "cert=PASS tls=SKIP:cancelled", "certificate", "certificate", RP_TASK_UNCHECKED },
		{ "cert=PASS tls=SKIP", "certificate", "certificate", RP_TASK_PROVEN },
		{ "lineauth=SKIP", "connectivity", "", RP_TASK_MANUAL },
		{ "dns=PASS reach=PASS tcp=WARN proxy=PASS", "connectivity", "", RP_TASK_WARN },
		{ "gateway=PASS ike=PASS child=FAIL", "routing", "routing", RP_TASK_FAILED },
	};
	struct report_meta m;

	fixed_meta(&m, OQ_LANG_EN);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		m.checked = cases[i].checked;
		struct probe_run run = { 0 };
		size_t n;
		char **words = str_split_list(cases[i].verdicts, &n);
		run.results = xcalloc(n + 1, sizeof(*run.results));
		for (size_t k = 0; k < n; k++) {
			char *eq = strchr(words[k], '='), *colon = strchr(words[k], ':');
			*eq = '\0';
			if (colon)
				*colon = '\0';
			probe_result_init(&run.results[k], words[k], BT(words[k], words[k]));
			assert_true(probe_verdict_parse(eq + 1, &run.results[k].verdict));
			if (colon)
				run.results[k].skip_reason_id = xstrdup(colon + 1);
			run.n++;
		}
		run.overall = probe_run_overall(&run);
		struct report *r = report_new(NULL, &run, &m);
		size_t t = 0;
		while (t < rp_n_tasks && strcmp(rp_tasks[t].id, cases[i].task) != 0)
			t++;
		assert_true(t < rp_n_tasks);
		if (r->task_status[t] != cases[i].want)
			fail_msg("'%s' checked '%s' task %s: %s, want %s", cases[i].verdicts,
				 cases[i].checked, cases[i].task, rp_task_code(r->task_status[t]),
				 rp_task_code(cases[i].want));
		report_free(r);
		probe_run_free(&run);
		str_list_free(words);
	}
}

/* The task names are those of the source documents, in that order. */
static void test_task_names(void **state)
{
	static const char *const names[] = { "機器の導入・設定", "ルーティングの設定",
					     "ネットワークの疎通確認", "電子証明書の導入", "運用テスト" };

	assert_int_equal(rp_n_tasks, ARRAY_SIZE(names));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_string_equal(rp_tasks[i].title.ja, names[i]);
}

/* Markup, control characters and very long names in the site and the
 * results never reach the output as markup or raw bytes. */
static void test_hostile(void **state)
{
	/* markup matters in the HTML; secrets and raw bytes anywhere */
	static const char *const markup[] = {
		"<script", "<img", "<h1>injected", "<style>body", "<b>dns", "<i>x", "<b>x</b>",
		"onerror=alert(1)>", "太郎<br>", "<x>",
	};
	static const char *const anywhere[] = { "hunter2", "Sup3rS3cret", "\x1b" };
	struct site *s = load_site("site-ipsec.conf");
	struct probe_run run;
	struct report_meta m;

	free(s->facility_name);
	s->facility_name = xstrdup("<b>x</b></title><script>alert(1)</script>\x1b[2J\"'&");
	free(s->facility_code);
	s->facility_code = xstrdup("../../etc/<x>\"");
	free(s->engineer);
	s->engineer = xstrdup("山田\x1b[2J\n太郎<br>");
	free(s->vendor);
	s->vendor = NULL;
	free(s->witness);
	s->witness = xasprintf("%0500d", 7);
	load_run("run-hostile.json", &run);
	for (int lang = OQ_LANG_JA; lang <= OQ_LANG_EN; lang++) {
		fixed_meta(&m, (enum oq_lang)lang);
		struct report *r = report_new(s, &run, &m);
		char *forms[] = { report_html(r), report_json(r), report_text(r) };
		for (size_t k = 0; k < ARRAY_SIZE(markup); k++)
			if (strstr(forms[0], markup[k]))
				fail_msg("the HTML contains '%s'", markup[k]);
		for (size_t f = 0; f < 3; f++) {
			for (size_t k = 0; k < ARRAY_SIZE(anywhere); k++)
				if (strstr(forms[f], anywhere[k]))
					fail_msg("form %zu contains '%s'", f, anywhere[k]);
			assert_no_controls(forms[f], "hostile");
		}
		/* exactly our own markup: one style element, one title */
		const char *p = forms[0];
		int styles = 0;
		while ((p = strstr(p, "<style")) != NULL) {
			styles++;
			p++;
		}
		assert_int_equal(styles, 1);
		assert_non_null(strstr(forms[0], "&lt;script&gt;"));
		assert_80_columns(forms[2]);
		char *stem = report_file_stem(r);
		assert_null(strchr(stem, '/'));
		assert_string_equal(stem, "oqlink-report-etcx-20260401-110000");
		free(stem);
		for (size_t f = 0; f < 3; f++)
			free(forms[f]);
		report_free(r);
	}
	probe_run_free(&run);
	site_free(s);
}

/* Every text field at once, each with its own tag: in the HTML each one
 * shows escaped ('<', '>', '&', '"' and '\'' all as entities) and never
 * raw; the JSON carries each as text; the secret rows are redacted in both. */
static void test_hostile_everywhere(void **state)
{
	struct site *s = load_site("site-ipsec.conf");
	struct probe_run run;
	struct report_meta m;

	(void)state;
	struct {
		char **field;
		const char *name;
	} all[] = {
		{ &s->facility_name, "facility_name" }, { &s->vendor, "vendor" },
		{ &s->engineer, "engineer" },		{ &s->witness, "witness" },
		{ &s->address, "address" },		{ &s->carrier, "carrier" },
		{ &s->line_id, "line_id" },		{ &s->local_id, "local_id" },
		{ &s->remote_id, "remote_id" },		{ &s->certificate, "certificate" },
		{ &s->ca, "ca" },			{ &s->ike_proposals, "ike_proposals" },
		{ &s->esp_proposals, "esp_proposals" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		free(*all[i].field);
		*all[i].field = xasprintf("<q>%s'\"&amp;", all[i].name);
	}
	free(s->psk_file);
	s->psk_file = xstrdup("/etc/oqlink/<q>psk'");
	load_run("run-hostile.json", &run);
	probe_result_text(&run.results[0], "hostile", BT("<q>ラベル'\"&", "<q>label'\"&"), "<q>text'\"&");
	for (int lang = OQ_LANG_JA; lang <= OQ_LANG_EN; lang++) {
		fixed_meta(&m, (enum oq_lang)lang);
		struct report *r = report_new(s, &run, &m);
		char *html = report_html(r), *json = report_json(r);
		if (strstr(html, "<q>") || strstr(html, "'\"&"))
			fail_msg("raw markup in the HTML:\n%s", strstr(html, "<q>") ? strstr(html, "<q>") : strstr(html, "'\"&"));
		for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
			char *want = xasprintf("&lt;q&gt;%s&#39;&quot;&amp;amp;", all[i].name);
			if (strstr(html, want) == NULL)
				fail_msg("%s: '%s' not in the HTML", all[i].name, want);
			free(want);
		}
		assert_non_null(strstr(html, lang == OQ_LANG_JA ? "&lt;q&gt;ラベル&#39;&quot;&amp;"
								 : "&lt;q&gt;label&#39;&quot;&amp;"));
		assert_non_null(strstr(html, "&lt;q&gt;text&#39;&quot;&amp;"));
		assert_non_null(strstr(html, lang == OQ_LANG_JA ? "(伏せ字) ファイル /etc/oqlink/&lt;q&gt;psk&#39;"
								 : "(redacted) file /etc/oqlink/&lt;q&gt;psk&#39;"));
		struct json_object *o = json_tokener_parse(json), *cfg, *x;
		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "config", &cfg));
		assert_true(json_object_object_get_ex(cfg, "psk", &x));
		assert_true(json_object_is_type(x, json_type_object));
		assert_true(json_object_get_boolean(json_object_object_get(x, "redacted")));
		assert_string_equal(json_object_get_string(json_object_object_get(x, "file")),
				    "/etc/oqlink/<q>psk'");
		assert_true(json_object_object_get_ex(cfg, "private_key", &x));
		assert_true(json_object_is_type(x, json_type_object) || json_object_is_type(x, json_type_null));
		json_object_put(o);
		free(html);
		free(json);
		report_free(r);
	}
	probe_run_free(&run);
	site_free(s);
}

/* A site or a run with nothing in it still gives a report, with ERROR. */
static void test_empty(void **state)
{
	struct probe_run run = { 0 };
	struct report_meta m;

	fixed_meta(&m, OQ_LANG_JA);
	struct report *r = report_new(NULL, &run, &m);
	assert_int_equal(report_overall(r), PROBE_ERROR);
	char *forms[] = { report_html(r), report_json(r), report_text(r) };
	assert_non_null(strstr(forms[2], "実行不能"));
	for (size_t f = 0; f < 3; f++)
		free(forms[f]);
	report_free(r);
}

/* A run that was cancelled or ran out of time is never a pass. */
static void test_run_stopped(void **state)
{
	static const struct {
		const char *reason, *sentence;
	} cases[] = {
		{ "cancelled", "not run: the run was cancelled" },
		{ "timeout", "not run: the whole run ran out of time" },
		{ "dns", "skipped because “DNS” failed" },
	};
	struct report_meta m;

	fixed_meta(&m, OQ_LANG_EN);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct probe_run run = { .results = xcalloc(2, sizeof(struct probe_result)), .n = 2 };
		probe_result_init(&run.results[0], "dns", BT("DNS", "DNS"));
		probe_result_init(&run.results[1], "tls", BT("TLS", "TLS"));
		run.results[1].verdict = PROBE_SKIP;
		run.results[1].skip_reason_id = xstrdup(cases[i].reason);
		run.overall = probe_run_overall(&run);
		struct report *r = report_new(NULL, &run, &m);
		char *text = report_text(r), *html = report_html(r);
		assert_int_equal(report_overall(r), i < 2 ? PROBE_ERROR : PROBE_PASS);
		assert_non_null(strstr(text, cases[i].sentence));
		assert_non_null(strstr(html, cases[i].sentence));
		free(text);
		free(html);
		report_free(r);
		probe_run_free(&run);
	}
}

static void test_scrub(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "password=hunter2 ok", "password=******** ok" },
		{ "PSK: abc,def", "PSK: ********,def" },
		{ "p12 passphrase = x y", "p12 passphrase = ******** y" },
		{ "private_key: /etc/oqlink/ike.key", "private_key: ********" },
		{ "bypass=1", "bypass=1" },
		{ "3 passed: 20/20", "3 passed: 20/20" },
		{ "password_file = /etc/oqlink/x.pass", "password_file = /etc/oqlink/x.pass" },
		{ "ike_psk=abc", "ike_psk=********" },
		{ "Secret: x", "Secret: ********" },
		{ "psk:a,psk:b,psk:c", "psk:********,psk:********,psk:********" },
		{ "password", "password" },
		{ "compass: north", "compass: north" },
		{ "a\tb\x7f", "a?b?" },
		{ "", "" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = rp_scrub(cases[i].in);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

static void test_time(void **state)
{
	static const struct {
		const char *in;
		bool ok;
		const char *jst;
	} cases[] = {
		{ "2026-04-01T10:30:00+09:00", true, "2026-04-01T10:30:00+09:00" },
		{ "2026-04-01T01:30:00Z", true, "2026-04-01T10:30:00+09:00" },
		{ "2026-03-31 20:30:00-05:00", true, "2026-04-01T10:30:00+09:00" },
		{ "@0", true, "1970-01-01T09:00:00+09:00" },
		{ "2026-04-01T10:30:00", false, NULL },
		{ "2026-13-01T10:30:00Z", false, NULL },
		{ "2026-04-01T10:30:00+0900", false, NULL },
		{ "@", false, NULL },
		{ "yesterday", false, NULL },
	};
	char buf[48];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t ms = 0;
		bool ok = report_parse_time(cases[i].in, &ms);
		if (ok != cases[i].ok)
			fail_msg("report_parse_time(%s) = %d", cases[i].in, ok);
		if (ok)
			assert_string_equal(clock_str(ms, CLOCK_ISO, buf), cases[i].jst);
	}
	assert_string_equal(clock_str(0, CLOCK_HUMAN, buf), "1970-01-01 09:00:00 +09:00 (JST)");
	assert_string_equal(clock_str(0, CLOCK_STAMP, buf), "19700101-090000");
}

static void test_numbers(void **state)
{
	static const struct {
		double in;
		const char *out;
	} cases[] = {
		{ 0, "0" }, { 3.24, "3.24" }, { 3.2, "3.2" }, { 0.412, "0.412" }, { 12.6, "12.6" },
		{ 1500, "1500" }, { 1176, "1176" }, { -0.0001, "0" }, { 100.4, "100" },
	};
	char buf[32];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_string_equal(rp_number(cases[i].in, buf), cases[i].out);
}

/* Report JSON of one recorded run, parsed. */
static struct json_object *report_obj(const char *run_name, const char *time)
{
	struct site *s = load_site("site-ipsec.conf");
	struct probe_run run;
	struct report_meta m;

	load_run(run_name, &run);
	fixed_meta(&m, OQ_LANG_EN);
	assert_true(report_parse_time(time, &m.time_ms));
	struct report *r = report_new(s, &run, &m);
	struct json_object *o = report_to_json(r);
	report_free(r);
	probe_run_free(&run);
	site_free(s);
	return o;
}

static void test_compare(void **state)
{
	struct json_object *a = report_obj("run-ipsec-pass.json", "2026-04-01T11:00:00+09:00");
	struct json_object *b = report_obj("run-ipsec-fail.json", "2026-11-20T15:00:00+09:00");
	struct report_diff *d = NULL;
	char *cause = NULL;

	assert_int_equal(report_compare(a, b, &d, &cause), 0);
	assert_true(report_diff_regressed(d));
	char *text = report_diff_text(d, OQ_LANG_EN);
	golden("compare-en.txt", text);
	assert_80_columns(text);
	free(text);
	text = report_diff_text(d, OQ_LANG_JA);
	golden("compare-ja.txt", text);
	free(text);
	struct json_object *j = report_diff_to_json(d);
	assert_true(json_object_get_boolean(json_object_object_get(j, "regressed")));
	json_object_put(j);
	report_diff_free(d);

	/* the other way round nothing got worse */
	assert_int_equal(report_compare(b, a, &d, &cause), 0);
	assert_false(report_diff_regressed(d));
	report_diff_free(d);

	/* a probe run is not a report */
	struct json_object *junk = json_tokener_parse("{\"schema\":\"oqlink.probes/1\"}");
	assert_int_equal(report_compare(junk, b, &d, &cause), -EINVAL);
	assert_null(d);
	assert_non_null(strstr(cause, "oqlink.report/2"));
	free(cause);
	json_object_put(junk);
	json_object_put(a);
	json_object_put(b);
}

/* The pcap is listed with its SHA-256 and size; a missing one says so. */
static void test_capture(void **state)
{
	struct report_meta m;
	struct probe_run run = { 0 };
	char *cause = NULL;
	const char *path = "tests/out/report-capture.pcap";

	mkdir_p("tests/out", 0755, NULL);
	assert_int_equal(file_write_atomic(path, "abc", 3, 0644, &cause), 0);
	fixed_meta(&m, OQ_LANG_EN);
	m.pcap_path = path;
	struct report *r = report_new(NULL, &run, &m);
	char *json = report_json(r);
	assert_non_null(strstr(json, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	assert_non_null(strstr(json, "\"file\": \"report-capture.pcap\""));
	free(json);
	report_free(r);
	m.pcap_path = "tests/out/no-such.pcap";
	r = report_new(NULL, &run, &m);
	char *text = report_text(r);
	assert_non_null(strstr(text, "No such file"));
	free(text);
	report_free(r);
}

/* Room for every form but the largest (the file size limit stands in for a
 * full disk): the other two are still written, mode 0640 under umask 000,
 * the largest is named in the error, and nothing else is left. */
static void test_write_partial(void **state)
{
	static const char *const ext[] = { ".json", ".txt", ".html" };	/* the order written */
	struct site *s = load_site("site-ipsec.conf");
	struct probe_run run;
	struct report_meta m;
	char dir[] = "/tmp/oqreportXXXXXX", *cause = NULL, **paths = NULL;
	struct rlimit saved, rl;
	struct stat st;
	mode_t old_umask = umask(0);
	size_t big = 0, k = 0;

	load_run("run-ipsec-pass.json", &run);
	fixed_meta(&m, OQ_LANG_EN);
	struct report *r = report_new(s, &run, &m);
	char *forms[] = { report_json(r), report_text(r), report_html(r) };
	for (size_t i = 1; i < 3; i++)
		if (strlen(forms[i]) > strlen(forms[big]))
			big = i;
	assert_non_null(mkdtemp(dir));
	getrlimit(RLIMIT_FSIZE, &saved);
	rl = saved;
	rl.rlim_cur = strlen(forms[big]) - 1;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &rl);
	int ret = report_write(r, dir, &paths, &cause);
	setrlimit(RLIMIT_FSIZE, &saved);
	signal(SIGXFSZ, SIG_DFL);
	umask(old_umask);

	assert_int_equal(ret, -EFBIG);
	assert_non_null(strstr(cause, ext[big]));
	assert_non_null(paths);
	for (size_t i = 0; i < 3; i++) {
		if (i == big)
			continue;
		assert_non_null(paths[k]);
		assert_non_null(strstr(paths[k], ext[i]));
		assert_int_equal(stat(paths[k], &st), 0);
		assert_int_equal(st.st_mode & 07777, REPORT_MODE);
		k++;
	}
	assert_null(paths[k]);
	char *cmd = xasprintf("[ $(ls -A %s | wc -l) -eq 2 ] && rm -rf %s", dir, dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	str_list_free(paths);
	free(cause);
	for (size_t i = 0; i < 3; i++)
		free(forms[i]);
	report_free(r);
	probe_run_free(&run);
	site_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_checklist),
		cmocka_unit_test(test_task_names),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_hostile_everywhere),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_run_stopped),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_write_partial),
	};

	i18n_init();
	i18n_set_lang(OQ_LANG_EN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
