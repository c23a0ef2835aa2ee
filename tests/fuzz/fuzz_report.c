/* libFuzzer target: a probe run read from JSON and rendered in every form
 * (which must carry no raw control character, and no markup of the input
 * into the HTML), and any JSON compared with itself as a report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/i18n.h"
#include "core/util.h"
#include "probes/probe.h"
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort on a control character other than newline. */
static void clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			abort();
}

/* The HTML has exactly one style element and no script at all. */
static void no_markup(const char *html)
{
	const char *p = strstr(html, "<style");

	if (p == NULL || strstr(p + 1, "<style") || strstr(html, "<script") ||
	    strstr(html, "<SCRIPT"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1), *cause = NULL;
	struct json_object *o;
	struct probe_run run;
	struct report_meta m;

	memcpy(text, data, size);
	text[size] = '\0';
	o = json_tokener_parse(text);
	if (o && probe_run_from_json(o, &run, &cause) == 0) {
		memset(&m, 0, sizeof(m));
		m.lang = size % 2 ? OQ_LANG_JA : OQ_LANG_EN;
		m.time_ms = 1775007000000;
		struct report *r = report_new(NULL, &run, &m);
		char *forms[] = { report_html(r), report_json(r), report_text(r),
				  report_verdict_table(r) };
		no_markup(forms[0]);
		for (size_t i = 0; i < 4; i++) {
			clean(forms[i]);
			free(forms[i]);
		}
		report_free(r);
		probe_run_free(&run);
	}
	free(cause);
	cause = NULL;
	struct report_diff *d = NULL;
	if (o && report_compare(o, o, &d, &cause) == 0) {
		char *t = report_diff_text(d, OQ_LANG_JA);
		clean(t);
		free(t);
		json_object_put(report_diff_to_json(d));
		if (report_diff_regressed(d))
			abort();	/* nothing is worse than itself */
		report_diff_free(d);
	}
	free(cause);
	json_object_put(o);
	free(text);
	return 0;
}
