/* tui/: the key map, fitting and wrapping by display width, the line editor,
 * and the setup wizard's model (text, validation on the right field, save). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curses.h>

#include "tests/unit/slow.h"
#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "tui/ui.h"

static void test_keys(void **state)
{
	static const struct {
		int r;
		wint_t ch;
		int key;
		const char *name;
	} cases[] = {
		{ KEY_CODE_YES, KEY_F(2), UK_F2, "F2" },
		{ KEY_CODE_YES, KEY_F(10), UK_F10, "F10" },
		{ KEY_CODE_YES, KEY_UP, UK_UP, "Up" },
		{ KEY_CODE_YES, KEY_NPAGE, UK_PGDN, "PgDn" },
		{ KEY_CODE_YES, KEY_BACKSPACE, UK_BS, "BS" },
		{ KEY_CODE_YES, KEY_RESIZE, UK_RESIZE, "Resize" },
		{ OK, '\r', UK_ENTER, "Enter" },
		{ OK, '\n', UK_ENTER, "Enter" },
		{ OK, 0x7f, UK_BS, "BS" },
		{ OK, 0x1b, UK_ESC, "Esc" },
		{ OK, '\t', UK_TAB, "Tab" },
		{ OK, 'q', 'q', "q" },
		{ OK, 0x0b, 0x0b, "^K" },
		{ OK, L'設', L'設', "設" },
	};
	char buf[16];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int k = ui_key_from_curses(cases[i].r, cases[i].ch);
		assert_int_equal(k, cases[i].key);
		assert_string_equal(ui_key_name(k, buf, sizeof(buf)), cases[i].name);
	}
	assert_true(ui_key_printable('a'));
	assert_true(ui_key_printable(L'あ'));
	assert_false(ui_key_printable(UK_F1));
	assert_false(ui_key_printable(0x1b));
}

static void test_fit(void **state)
{
	static const struct {
		const char *in;
		int width;
		const char *out;
	} cases[] = {
		{ "abc", 5, "abc  " },
		{ "abc", 3, "abc" },
		{ "abcdef", 4, "abc~" },
		{ "設定", 6, "設定  " },
		{ "設定", 4, "設定" },
		{ "設定画面", 5, "設定~" },	/* a wide character never splits */
		{ "設定画面", 6, "設定~ " },
		{ "a設定", 4, "a設~" },
		{ "", 3, "   " },
		{ "abc", 0, "" },
		{ "abc", -2, "" },
		{ NULL, 2, "  " },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = ui_fit(cases[i].in, cases[i].width);
		assert_string_equal(s, cases[i].out);
		if (cases[i].width > 0)
			assert_int_equal(str_width(s), (size_t)cases[i].width);
		free(s);
	}
}

static void test_wrap(void **state)
{
	static const struct {
		const char *in;
		size_t width;
		const char *out;	/* lines joined by | */
	} cases[] = {
		{ "one two three", 7, "one two|three" },
		{ "one two three", 3, "one|two|thr|ee" },
		{ "あいうえお", 4, "あい|うえ|お" },
		{ "あいうえお", 5, "あい|うえ|お" },
		{ "設定: OK", 6, "設定:|OK" },
		{ "a\nb", 10, "a|b" },
		{ "a\n\nb", 10, "a||b" },
		{ "", 10, "" },
		{ "This build does not have it", 12, "This build|does not|have it" },
		{ "証明書 certificate", 8, "証明書|certific|ate" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n;
		char **v = ui_wrap(cases[i].in, cases[i].width, &n);
		char joined[256] = "";
		for (size_t k = 0; k < n; k++) {
			assert_true(str_width(v[k]) <= cases[i].width);
			snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
				 k ? "|" : "", v[k]);
		}
		assert_string_equal(joined, cases[i].out);
		str_list_free(v);
	}
}

static void test_line_editor(void **state)
{
	static const struct {
		const char *start;
		int keys[8];
		const char *out;
		size_t cur;
	} cases[] = {
		{ "", { 'a', 'b', 'c' }, "abc", 3 },
		{ "abc", { UK_BS }, "ab", 2 },
		{ "abc", { UK_HOME, UK_DEL }, "bc", 0 },
		{ "abc", { UK_LEFT, UK_LEFT, 'X' }, "aXbc", 2 },
		{ "abc", { UK_HOME, UK_RIGHT, UK_CTRL('k') }, "a", 1 },
		{ "abc", { UK_LEFT, UK_CTRL('u') }, "c", 0 },
		{ "設定", { UK_BS, L'備' }, "設備", 2 },
		{ "", { UK_BS, UK_DEL, UK_LEFT }, "", 0 },
		{ "ab", { UK_CTRL('a'), 'x', UK_CTRL('e'), 'y' }, "xaby", 4 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ui_line l;
		ui_line_set(&l, cases[i].start);
		for (size_t k = 0; k < 8 && cases[i].keys[k]; k++)
			assert_true(ui_line_key(&l, cases[i].keys[k]));
		char *s = ui_line_get(&l);
		assert_string_equal(s, cases[i].out);
		assert_int_equal(l.cur, cases[i].cur);
		free(s);
	}

	/* not editing keys are left to the caller */
	struct ui_line l;
	ui_line_set(&l, "x");
	assert_false(ui_line_key(&l, UK_F2));
	assert_false(ui_line_key(&l, UK_ENTER));

	/* the window scrolls by display width so the cursor stays visible */
	ui_line_set(&l, "あいうえおかきくけこ");	/* 20 columns */
	int c = ui_line_view(&l, 10);
	assert_true(c <= 8);
	assert_true(l.first > 0);
	ui_line_key(&l, UK_HOME);
	assert_int_equal(ui_line_view(&l, 10), 0);
	assert_int_equal(l.first, 0);

	/* exactly: one column stays free after the cursor, and a Japanese
	 * character takes two. Typed one key at a time, as in a field. */
	static const struct {
		const wchar_t *typed;
		int width, col;
		size_t first;
	} views[] = {
		{ L"abcdefghijkl", 10, 8, 4 },
		{ L"abcdefgh", 10, 8, 0 },
		{ L"abcdefghi", 10, 8, 1 },
		{ L"あいうえおかきくけこ", 10, 8, 6 },
		{ L"あいうえ", 10, 8, 0 },
		{ L"あいうえお", 10, 8, 1 },
		{ L"aあいうえ", 10, 8, 1 },
		{ L"山田 太郎 クリニック", 12, 10, 6 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(views); i++) {
		ui_line_set(&l, "");
		for (const wchar_t *w = views[i].typed; *w; w++)
			assert_true(ui_line_key(&l, (int)*w));
		if (ui_line_view(&l, views[i].width) != views[i].col || l.first != views[i].first)
			fail_msg("'%ls' in %d columns: cursor at %d, first %zu; want %d, %zu",
				 views[i].typed, views[i].width, ui_line_view(&l, views[i].width), l.first,
				 views[i].col, views[i].first);
	}
	ui_line_wipe(&l);
	assert_int_equal(l.len, 0);
}

/* A wizard with answers for every required field of an IPsec PSK site. */
static struct wiz *filled(const char *path)
{
	static const char *const answers[][3] = {
		{ "site", "facility_code", "1312345678" },
		{ "site", "facility_name", "さくら内科クリニック" },
		{ "uplink", "address", "198.51.100.2/24" },
		{ "uplink", "gateway", "198.51.100.1" },
		{ "ipsec", "peer", "203.0.113.1" },
		{ "ipsec", "auth", "psk" },
		{ "ipsec", "local_id", "CN=clinic" },
		{ "ipsec", "remote_id", "CN=gateway" },
		{ "lan", "address", "192.168.10.1/24" },
		{ "terminal", "segment", "separate" },
		{ "terminal", "address", "192.168.20.1/24" },
		{ "terminal", "host", "192.168.20.10" },
		{ "central", "prefixes", "192.0.2.0/24" },
	};
	struct wiz *w = wiz_new(path);

	for (size_t i = 0; i < ARRAY_SIZE(answers); i++) {
		int f = wiz_field_find(answers[i][0], answers[i][1]);
		assert_true(f >= 0);
		wiz_set(w, (size_t)f, answers[i][2]);
	}
	return w;
}

static int secret_field(const char *of)
{
	for (size_t i = 0; i < wiz_n_fields; i++)
		if (wiz_fields[i].kind == WIZ_SECRET && strcmp(wiz_fields[i].secret_of, of) == 0)
			return (int)i;
	return -1;
}

static void test_wizard_validate(void **state)
{
	char dir[] = "/tmp/oqtuiXXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/etc/site.conf", dir);
	struct wiz *w = wiz_new(path);
	int code = wiz_field_find("site", "facility_code");
	int gw = wiz_field_find("uplink", "gateway");

	/* empty: the required facility code carries the config's message */
	assert_true(wiz_validate(w, false) > 0);
	assert_non_null(w->problems[code]);
	assert_string_equal(w->problems[code], "'facility_code' has an empty value");
	wiz_free(w);

	/* the message a missing key gets in its section lands on that key */
	w = filled(path);
	wiz_set(w, (size_t)gw, "");
	wiz_validate(w, false);
	assert_non_null(w->problems[gw]);
	assert_non_null(strstr(w->problems[gw], "'gateway'"));

	/* the line type decides which page 3 fields apply */
	int peer = wiz_field_find("ipsec", "peer"), ce = wiz_field_find("ipvpn", "ce_router");
	assert_true(wiz_field_active(w, (size_t)peer));
	assert_false(wiz_field_active(w, (size_t)ce));
	wiz_set(w, (size_t)wiz_field_find("uplink", "type"), "ipvpn");
	assert_false(wiz_field_active(w, (size_t)peer));
	assert_true(wiz_field_active(w, (size_t)ce));
	wiz_free(w);

	/* a text with every line mapped; [ipsec] only for ipsec */
	w = filled(path);
	int *lines;
	size_t n;
	char *text = wiz_text(w, &lines, &n);
	assert_non_null(strstr(text, "[ipsec]\npeer = 203.0.113.1\n"));
	assert_null(strstr(text, "[ipvpn]"));
	assert_null(strstr(text, "[probe.tls."));
	assert_true(n > 10);
	free(lines);
	free(text);

	/* with the files checked, the PSK file is wanted on the secret field
	 * until a key is typed */
	int psk = secret_field("ipsec/psk_file");
	assert_true(psk >= 0);
	assert_int_equal(wiz_validate(w, true), 1);
	assert_non_null(w->problems[psk]);
	ui_line_set(&w->secrets[psk], "TopSecret");
	w->secret_set[psk] = true;
	assert_int_equal(wiz_validate(w, true), 0);
	wiz_free(w);
	free(path);
	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
}

/* An IP-VPN site: [ipvpn] instead of [ipsec], the customer ID checked by
 * the config's own rule. */
static void test_wizard_ipvpn(void **state)
{
	static const struct {
		const char *customer_id;
		size_t problems;
	} cases[] = {
		{ "CAF1234567890", 0 },
		{ "", 0 },
		{ "XYZ123", 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct wiz *w = filled("/nonexistent/etc/site.conf");
		wiz_set(w, (size_t)wiz_field_find("uplink", "type"), "ipvpn");
		wiz_set(w, (size_t)wiz_field_find("ipvpn", "ce_router"), "198.51.100.1");
		wiz_set(w, (size_t)wiz_field_find("ipvpn", "customer_id"), cases[i].customer_id);
		/* with a customer ID the line-auth page is needed: said on that field
		 * (the config checks across keys once each key is right) */
		int la = wiz_field_find("probe", "lineauth_url");
		if (cases[i].problems == 0 && *cases[i].customer_id) {
			assert_int_equal(wiz_validate(w, false), 1);
			assert_non_null(w->problems[la]);
			assert_non_null(strstr(w->problems[la], "'lineauth_url'"));
		}
		wiz_set(w, (size_t)la, "http://www.lineauth.mnw/");
		assert_int_equal(wiz_validate(w, false), cases[i].problems);
		if (cases[i].problems)
			assert_non_null(w->problems[wiz_field_find("ipvpn", "customer_id")]);
		int *lines;
		size_t n;
		char *text = wiz_text(w, &lines, &n);
		assert_non_null(strstr(text, "[ipvpn]\nce_router = 198.51.100.1\n"));
		assert_null(strstr(text, "[ipsec]"));
		free(text);
		free(lines);
		wiz_free(w);
	}
}

static void test_wizard_save(void **state)
{
	char dir[] = "/tmp/oqtuiXXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/etc/site.conf", dir);
	char *psk_path = xasprintf("%s/etc/ike.psk", dir);
	struct wiz *w = filled(path);
	int psk = secret_field("ipsec/psk_file");
	char *cause = NULL, *data;
	size_t len;
	struct stat st;

	/* refused while a problem remains, and nothing is written */
	assert_int_equal(wiz_save(w, &cause), -EINVAL);
	assert_int_equal(access(path, F_OK), -1);

	ui_line_set(&w->secrets[psk], "TopSecret");
	w->secret_set[psk] = true;
	assert_int_equal(wiz_save(w, &cause), 0);
	assert_null(cause);
	assert_false(w->dirty);

	/* the secret: mode 0600, as typed, wiped from memory */
	assert_int_equal(stat(psk_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read(psk_path, 1024, &data, &len, NULL), 0);
	assert_string_equal(data, "TopSecret");
	free(data);
	assert_false(w->secret_set[psk]);
	assert_int_equal(w->secrets[psk].len, 0);

	/* site.conf: valid for the config's own loader, no secret in it */
	struct site_diags d = { 0 };
	struct site *s = site_load(path, true, &d);
	assert_non_null(s);
	assert_int_equal(d.n, 0);
	assert_string_equal(s->facility_name, "さくら内科クリニック");
	assert_int_equal(s->auth, SITE_AUTH_PSK);
	site_free(s);
	site_diags_free(&d);
	assert_int_equal(file_read(path, 65536, &data, &len, NULL), 0);
	assert_null(strstr(data, "TopSecret"));
	free(data);
	wiz_free(w);

	/* read back: the values come from the file, unknown keys are kept */
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs("\n[paths]\nstate_dir = /tmp/state\n", f);
	fclose(f);
	w = wiz_new(path);
	assert_string_equal(w->values[wiz_field_find("ipsec", "peer")], "203.0.113.1");
	int *lines;
	size_t n;
	char *text = wiz_text(w, &lines, &n);
	assert_non_null(strstr(text, "[paths]\nstate_dir = /tmp/state\n"));
	free(text);
	free(lines);
	wiz_free(w);

	free(path);
	free(psk_path);
	char *rm = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
}

/* Collect the lines of a job, joined by |. */
static void collect(void *ctx, const char *line)
{
	char *buf = ctx;

	snprintf(buf + strlen(buf), 256 - strlen(buf), "%s%s", *buf ? "|" : "", line);
}

/* The wizard's fields are the table's keys that have a page, with the
 * table's labels, choices and defaults; a file it opens keeps the keys it
 * does not ask for, bad values included, and a comment does not stick. */
static void test_wizard_from_table(void **state)
{
	char dir[] = "/tmp/oqtuiXXXXXX";
	size_t keys = 0;

	(void)state;
	for (size_t i = 0; i < site_key_count(); i++) {
		struct site_key k;
		site_key_get(i, &k);
		int f = wiz_field_find(k.section, k.key);
		if (k.page == SITE_PAGE_NONE) {
			assert_int_equal(f, -1);
			continue;
		}
		keys++;
		assert_true(f >= 0);
		assert_string_equal(wiz_fields[f].label.ja, k.label.ja);
		assert_ptr_equal(wiz_fields[f].choices, k.choices);
		assert_int_equal(wiz_fields[f].page, (unsigned)k.page - 1);
	}
	assert_true(keys > 30);
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/site.conf", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("[uplink]\nmtu = many ; a comment\ncarrier = 例示通信\n[monitor]\nhistory_days = 7\n", f);
	fclose(f);
	struct wiz *w = wiz_new(path);
	struct site_key seg;
	site_key_get((size_t)site_key_find("terminal", "segment"), &seg);
	assert_string_equal(w->values[wiz_field_find("terminal", "segment")], seg.def);
	assert_string_equal(w->values[wiz_field_find("uplink", "mtu")], "many");
	int *lines;
	size_t n;
	char *text = wiz_text(w, &lines, &n);
	assert_non_null(strstr(text, "[uplink]\ntype = ipsec\ninterface = wan0\naddress = \naddress6 = none\n"
				     "mtu = many\n"
				     "carrier = 例示通信\n"));
	assert_non_null(strstr(text, "\n[monitor]\nhistory_days = 7\n"));
	assert_int_equal(wiz_validate(w, false) > 0, true);
	assert_non_null(w->problems[wiz_field_find("uplink", "mtu")]);
	free(lines);
	free(text);
	wiz_free(w);
	unlink(path);
	rmdir(dir);
	free(path);
}

static void test_jobs(void **state)
{
	static const struct {
		const char *script;
		const char *lines;
		int status;
	} cases[] = {
		{ "echo one; echo two", "one|two", 0 },
		{ "printf 'no newline'", "no newline", 0 },
		{ "echo out; echo err >&2; exit 3", "out|err", 3 },
		{ "read x; echo \"stdin:$x\"", "stdin:", 0 },	/* stdin is /dev/null */
		{ "", "", 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *argv[] = { "/bin/sh", "-c", cases[i].script, NULL };
		char buf[256] = "", *cause = NULL;
		struct ui_job *j = ui_job_start(argv, &cause);
		assert_non_null(j);
		int64_t t0 = now_ms();
		while (ui_job_poll(j, collect, buf) && now_ms() - t0 < 5000 * test_slow())
			usleep(10000);
		assert_string_equal(buf, cases[i].lines);
		assert_int_equal(j->status, cases[i].status);
		ui_job_free(j);
	}

	/* cancel: a long job ends at once, with the signal in its status:
	 * SIGTERM, or the SIGKILL that follows it after 2 s when the TERM
	 * came before the child's exec and was lost (seen under valgrind) */
	const char *argv[] = { "/bin/sleep", "30", NULL };
	char buf[256] = "";
	struct ui_job *j = ui_job_start(argv, NULL);
	assert_non_null(j);
	int64_t t0 = now_ms();
	ui_job_cancel(j);
	while (ui_job_poll(j, collect, buf) && now_ms() - t0 < 5000 * test_slow())
		usleep(10000);
	assert_true(now_ms() - t0 < 3000 * test_slow());
	assert_true(j->cancelled);
	assert_true(j->status == 128 + 15 || j->status == 128 + 9);
	ui_job_free(j);

	/* a program that does not exist: exit 127, no hang */
	const char *none[] = { "/nonexistent/program", NULL };
	j = ui_job_start(none, NULL);
	assert_non_null(j);
	while (ui_job_poll(j, collect, buf))
		usleep(10000);
	assert_int_equal(j->status, 127);
	ui_job_free(j);
	ui_job_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_line_editor),
		cmocka_unit_test(test_wizard_validate),
		cmocka_unit_test(test_wizard_ipvpn),
		cmocka_unit_test(test_wizard_save),
		cmocka_unit_test(test_wizard_from_table),
		cmocka_unit_test(test_jobs),
	};

	i18n_init();
	i18n_set_lang(OQ_LANG_EN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
