/* Probe results: verdict names, building, and the JSON round trip. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "core/util.h"
#include "probes/probe.h"

static void test_verdict_names(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		enum probe_verdict v;
	} cases[] = {
		{ "PASS", true, PROBE_PASS },  { "SKIP", true, PROBE_SKIP },
		{ "WARN", true, PROBE_WARN },  { "FAIL", true, PROBE_FAIL },
		{ "ERROR", true, PROBE_ERROR }, { "fail", true, PROBE_FAIL },
		{ "", false, PROBE_PASS },     { "PASSED", false, PROBE_PASS },
		{ "OK", false, PROBE_PASS },   { "FAI", false, PROBE_PASS },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum probe_verdict v = PROBE_ERROR;

		assert_int_equal(probe_verdict_parse(cases[i].s, &v), cases[i].ok);
		if (cases[i].ok) {
			assert_int_equal(v, cases[i].v);
			assert_string_equal(probe_verdict_name(v), probe_verdict_name(cases[i].v));
		}
	}
	assert_false(probe_verdict_parse(NULL, &(enum probe_verdict){ 0 }));
	assert_string_equal(probe_verdict_name((enum probe_verdict)42), "ERROR");
}

static void test_verdict_worse(void **state)
{
	static const struct {
		enum probe_verdict a, b, want;
	} cases[] = {
		{ PROBE_PASS, PROBE_PASS, PROBE_PASS },	 { PROBE_PASS, PROBE_WARN, PROBE_WARN },
		{ PROBE_FAIL, PROBE_WARN, PROBE_FAIL },	 { PROBE_ERROR, PROBE_FAIL, PROBE_ERROR },
		{ PROBE_SKIP, PROBE_WARN, PROBE_WARN },	 { PROBE_PASS, PROBE_SKIP, PROBE_SKIP },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(probe_verdict_worse(cases[i].a, cases[i].b), cases[i].want);
		assert_int_equal(probe_verdict_worse(cases[i].b, cases[i].a), cases[i].want);
	}
}

/* A run of three results with every field used. */
static void make_run(struct probe_run *run)
{
	memset(run, 0, sizeof(*run));
	run->n = 3;
	run->results = xcalloc(3, sizeof(*run->results));
	run->started_ms = 1790000000123;
	run->duration_ms = 1234;
	run->overall = PROBE_FAIL;

	probe_result_init(&run->results[0], "reach", BT("到達性", "Reachability"));
	probe_result_set(&run->results[0], PROBE_FAIL, BT("損失 100%", "100% loss"),
			 BT("ESP を確認", "Check ESP"));
	probe_result_value(&run->results[0], "loss", BT("損失", "loss"), 100.0, "%");
	probe_result_value(&run->results[0], "rtt_avg", BT("平均", "avg"), 3.25, "ms");
	probe_result_text(&run->results[0], "source", BT("送信元", "source"), "192.168.20.1");
	probe_result_evidence(&run->results[0], "ping %s: %d/%d", "192.0.2.10", 0, 20);
	run->results[0].started_ms = 1790000000200;
	run->results[0].duration_ms = 1000;

	probe_result_init(&run->results[1], "tls", BT("TLS", "TLS"));
	probe_result_set(&run->results[1], PROBE_SKIP, BT("依存先が失敗", "dependency failed"),
			 BT("reach を先に", "Fix reach first"));
	run->results[1].skip_reason_id = xstrdup("reach");

	probe_result_init(&run->results[2], "link", BT("リンク", "Link"));
	probe_result_set(&run->results[2], PROBE_PASS, BT("正常", "ok"), BT(NULL, NULL));
}

static void test_round_trip(void **state)
{
	struct probe_run run, back;
	struct json_object *o, *o2;
	char *cause = NULL;
	char *s1, *s2;

	(void)state;
	make_run(&run);
	o = probe_run_to_json(&run);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "schema")),
			    "oqlink.probes/1");
	assert_int_equal(probe_run_from_json(o, &back, &cause), 0);
	assert_null(cause);
	assert_int_equal(back.n, 3);
	assert_int_equal(back.started_ms, run.started_ms);
	assert_int_equal(back.duration_ms, 1234);
	assert_int_equal(back.overall, PROBE_FAIL);

	struct probe_result *r = &back.results[0];
	assert_string_equal(r->id, "reach");
	assert_string_equal(r->title.ja, "到達性");
	assert_string_equal(r->title.en, "Reachability");
	assert_int_equal(r->verdict, PROBE_FAIL);
	assert_string_equal(r->remedy.en, "Check ESP");
	assert_int_equal(r->n_values, 3);
	assert_string_equal(r->values[1].key, "rtt_avg");
	assert_true(r->values[1].value > 3.24 && r->values[1].value < 3.26);
	assert_string_equal(r->values[1].unit, "ms");
	assert_null(r->values[1].text);
	assert_string_equal(r->values[2].text, "192.168.20.1");
	assert_int_equal(r->n_evidence, 1);
	assert_string_equal(r->evidence[0], "ping 192.0.2.10: 0/20");
	assert_int_equal(r->started_ms, 1790000000200);
	assert_string_equal(back.results[1].skip_reason_id, "reach");
	assert_null(back.results[2].skip_reason_id);
	assert_null(back.results[2].remedy.ja);

	/* Writing the read run gives the same document. */
	o2 = probe_run_to_json(&back);
	s1 = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	s2 = xstrdup(json_object_to_json_string_ext(o2, JSON_C_TO_STRING_PLAIN));
	assert_string_equal(s1, s2);
	free(s1);
	free(s2);
	json_object_put(o);
	json_object_put(o2);
	probe_run_free(&run);
	probe_run_free(&back);
	probe_run_free(NULL);
	probe_result_clear(NULL);
}

static void test_missing_fields(void **state)
{
	static const struct {
		const char *json;
		int ret;
		const char *cause_part;
	} cases[] = {
		{ "{\"results\":[{\"id\":\"dns\",\"verdict\":\"WARN\"}]}", 0, NULL },
		{ "{\"results\":[]}", 0, NULL },
		{ "{\"schema\":\"oqlink.probes/1\",\"results\":[{\"id\":\"a\",\"verdict\":\"PASS\","
		  "\"values\":[{\"label\":\"x\"},{\"key\":\"k\"}],\"evidence\":[1,\"e\"]}]}", 0, NULL },
		{ "{}", -EINVAL, "results" },
		{ "[]", -EINVAL, "not a JSON object" },
		{ "{\"results\":[{\"verdict\":\"PASS\"}]}", -EINVAL, "no \"id\"" },
		{ "{\"results\":[{\"id\":\"x\"}]}", -EINVAL, "no \"verdict\"" },
		{ "{\"results\":[{\"id\":\"ok\",\"verdict\":\"PASS\"},5]}", -EINVAL, "results[1]" },
		{ "{\"schema\":\"oqlink.probes/2\",\"results\":[]}", -EINVAL, "unsupported" },
		{ "{\"schema\":\"other/1\",\"results\":[]}", -EINVAL, "unknown schema" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct json_object *o = json_tokener_parse(cases[i].json);
		struct probe_run run;
		char *cause = NULL;

		assert_non_null(o);
		assert_int_equal(probe_run_from_json(o, &run, &cause), cases[i].ret);
		if (cases[i].cause_part) {
			assert_non_null(cause);
			assert_non_null(strstr(cause, cases[i].cause_part));
		}
		free(cause);
		probe_run_free(&run);
		json_object_put(o);
	}
}

static void test_missing_optional(void **state)
{
	struct json_object *o = json_tokener_parse(
		"{\"results\":[{\"id\":\"dns\",\"verdict\":\"WARN\"},{\"id\":\"x\",\"verdict\":\"SKIP\"}]}");
	struct probe_run run;
	char *cause = NULL;

	(void)state;
	assert_int_equal(probe_run_from_json(o, &run, &cause), 0);
	assert_int_equal(run.n, 2);
	assert_int_equal(run.overall, PROBE_WARN);	/* computed when absent; SKIP ignored */
	assert_null(run.results[0].title.ja);
	assert_int_equal(run.results[0].n_values, 0);
	assert_int_equal(run.results[0].n_evidence, 0);
	assert_int_equal(run.started_ms, 0);
	probe_run_free(&run);
	json_object_put(o);
}

static void test_bad_verdicts(void **state)
{
	static const char *const docs[] = {
		"{\"results\":[{\"id\":\"a\",\"verdict\":\"GREAT\"}]}",
		"{\"results\":[{\"id\":\"a\",\"verdict\":3}]}",
		"{\"results\":[{\"id\":\"a\",\"verdict\":\"\"}]}",
		"{\"overall\":\"MAYBE\",\"results\":[{\"id\":\"a\",\"verdict\":\"PASS\"}]}",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		struct json_object *o = json_tokener_parse(docs[i]);
		struct probe_run run;
		char *cause = NULL;

		assert_int_equal(probe_run_from_json(o, &run, &cause), -EINVAL);
		assert_non_null(cause);
		assert_int_equal(run.n, 0);
		assert_null(run.results);
		free(cause);
		json_object_put(o);
	}
}

/* The one overall rule, on runs read from JSON, with and without a
 * recorded "overall". */
static void test_overall_rule(void **state)
{
	static const struct {
		const char *doc;
		enum probe_verdict want;
	} cases[] = {
		{ "{\"results\":[]}", PROBE_ERROR },
		{ "{\"results\":[{\"id\":\"a\",\"verdict\":\"SKIP\"}]}", PROBE_PASS },
		{ "{\"results\":[{\"id\":\"a\",\"verdict\":\"PASS\"},"
		  "{\"id\":\"b\",\"verdict\":\"SKIP\",\"skip_reason\":\"a\"}]}", PROBE_PASS },
		{ "{\"results\":[{\"id\":\"a\",\"verdict\":\"PASS\"},"
		  "{\"id\":\"b\",\"verdict\":\"SKIP\",\"skip_reason\":\"cancelled\"}]}", PROBE_ERROR },
		{ "{\"results\":[{\"id\":\"a\",\"verdict\":\"WARN\"},"
		  "{\"id\":\"b\",\"verdict\":\"SKIP\",\"skip_reason\":\"timeout\"}]}", PROBE_ERROR },
		{ "{\"results\":[{\"id\":\"a\",\"verdict\":\"WARN\"},"
		  "{\"id\":\"b\",\"verdict\":\"FAIL\"}]}", PROBE_FAIL },
		/* a recorded verdict counts when it is worse, never when better */
		{ "{\"overall\":\"FAIL\",\"results\":[{\"id\":\"a\",\"verdict\":\"PASS\"}]}", PROBE_FAIL },
		{ "{\"overall\":\"PASS\",\"results\":[{\"id\":\"a\",\"verdict\":\"WARN\"}]}", PROBE_WARN },
		{ "{\"overall\":\"SKIP\",\"results\":[{\"id\":\"a\",\"verdict\":\"PASS\"}]}", PROBE_PASS },
	};

	(void)state;
	assert_int_equal(probe_run_overall(NULL), PROBE_ERROR);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct json_object *o = json_tokener_parse(cases[i].doc);
		struct probe_run run;
		char *cause = NULL;

		assert_non_null(o);
		assert_int_equal(probe_run_from_json(o, &run, &cause), 0);
		if (run.overall != cases[i].want)
			fail_msg("%s: %s, want %s", cases[i].doc, probe_verdict_name(run.overall),
				 probe_verdict_name(cases[i].want));
		probe_run_free(&run);
		json_object_put(o);
	}
}

static void test_set_replaces(void **state)
{
	struct probe_result r;

	(void)state;
	probe_result_init(&r, "x", BT("x", "x"));
	probe_result_set(&r, PROBE_FAIL, BT("a", "a"), BT("b", "b"));
	probe_result_set(&r, PROBE_PASS, BT("c", "c"), BT(NULL, NULL));
	assert_int_equal(r.verdict, PROBE_PASS);
	assert_string_equal(r.summary.en, "c");
	assert_null(r.remedy.en);
	probe_result_clear(&r);
	assert_null(r.id);
}

/* The run's overall verdict: the worst one, SKIP counting as PASS, so a
 * run of only SKIP (or PASS and SKIP) passes, a SKIP never hides a
 * WARN or a FAIL, and an empty run proves nothing (ERROR). */
static void test_run_overall(void **state)
{
	static const struct {
		enum probe_verdict v[3];
		size_t n;
		enum probe_verdict overall;
	} cases[] = {
		{ { PROBE_SKIP }, 1, PROBE_PASS },
		{ { PROBE_SKIP, PROBE_SKIP }, 2, PROBE_PASS },
		{ { PROBE_PASS, PROBE_SKIP }, 2, PROBE_PASS },
		{ { PROBE_SKIP, PROBE_WARN }, 2, PROBE_WARN },
		{ { PROBE_WARN, PROBE_SKIP, PROBE_FAIL }, 3, PROBE_FAIL },
		{ { PROBE_ERROR, PROBE_FAIL }, 2, PROBE_ERROR },
		{ { 0 }, 0, PROBE_ERROR },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct probe_result r[3] = { 0 };
		struct probe_run run = { r, cases[i].n, 0, 0, PROBE_PASS };
		for (size_t j = 0; j < cases[i].n; j++)
			r[j].verdict = cases[i].v[j];
		assert_int_equal(probe_run_overall(&run), cases[i].overall);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_names),	cmocka_unit_test(test_verdict_worse),
		cmocka_unit_test(test_round_trip),	cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_missing_optional), cmocka_unit_test(test_bad_verdicts),
		cmocka_unit_test(test_set_replaces),	cmocka_unit_test(test_overall_rule),
		cmocka_unit_test(test_run_overall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
