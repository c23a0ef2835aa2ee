/* The VICI codec and client: round trips, a corpus of malformed messages,
 * builder misuse, packets, and the client against a scripted server. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "core/i18n.h"
#include "core/util.h"
#include "ipsec/vici.h"

/* One builder step: S section, E end of section, K key=value, L list,
 * I item, X end of list; 0 ends the script. */
struct op {
	char kind;
	const char *name;
	const char *value;
};

static void run_ops(struct vici_builder *b, const struct op *ops)
{
	for (; ops->kind; ops++) {
		switch (ops->kind) {
		case 'S': vici_add_section(b, ops->name); break;
		case 'E': vici_end_section(b); break;
		case 'K': vici_add_kv(b, ops->name, ops->value); break;
		case 'L': vici_add_list(b, ops->name); break;
		case 'I': vici_add_item(b, ops->value); break;
		case 'X': vici_end_list(b); break;
		default: fail();
		}
	}
}

static const struct {
	const char *what;
	struct op ops[16];
	const char *text;		/* vici_node_format of the decoded tree */
} round_trips[] = {
	{ "empty message", { { 0 } }, "{}" },
	{ "one key", { { 'K', "a", "b" } }, "{a=b}" },
	{ "empty value", { { 'K', "key", "" } }, "{key=}" },
	{ "empty list", { { 'L', "l" }, { 'X' } }, "{l []}" },
	{ "empty section", { { 'S', "s" }, { 'E' } }, "{s {}}" },
	{ "README example",
	  { { 'K', "key1", "value1" }, { 'S', "section1" }, { 'S', "sub-section" },
	    { 'K', "key2", "value2" }, { 'E' }, { 'L', "list1" }, { 'I', NULL, "item1" },
	    { 'I', NULL, "item2" }, { 'X' }, { 'E' } },
	  "{key1=value1 section1 {sub-section {key2=value2} list1 [item1 item2]}}" },
	{ "initiate request",
	  { { 'K', "child", "oqlink" }, { 'K', "ike", "oqlink" }, { 'K', "timeout", "30000" },
	    { 'K', "loglevel", "1" } },
	  "{child=oqlink ike=oqlink timeout=30000 loglevel=1}" },
	{ "nested sections",
	  { { 'S', "a" }, { 'S', "b" }, { 'S', "c" }, { 'K', "k", "v" }, { 'E' }, { 'E' },
	    { 'K', "after", "x" }, { 'E' } },
	  "{a {b {c {k=v}} after=x}}" },
	{ "same name in different sections",
	  { { 'S', "a" }, { 'K', "k", "1" }, { 'E' }, { 'S', "b" }, { 'K', "k", "2" }, { 'E' },
	    { 'K', "k", "3" } },
	  "{a {k=1} b {k=2} k=3}" },
	{ "UTF-8 value", { { 'K', "name", "さくら内科" } }, "{name=さくら内科}" },
};

/* Build, decode, check the text, encode again and compare the bytes. */
static void test_round_trips(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(round_trips); i++) {
		struct vici_builder b, b2;
		struct vici_node *n = NULL;
		char *cause = NULL, *text;

		vici_builder_init(&b);
		run_ops(&b, round_trips[i].ops);
		if (vici_builder_finish(&b, &cause) != 0)
			fail_msg("%s: %s", round_trips[i].what, cause);
		if (vici_decode(b.buf, b.len, &n, &cause) != 0)
			fail_msg("%s: %s", round_trips[i].what, cause);
		text = vici_node_format(n);
		if (strcmp(text, round_trips[i].text) != 0)
			fail_msg("%s: got %s", round_trips[i].what, text);
		vici_builder_init(&b2);
		vici_encode_node(&b2, n);
		assert_int_equal(vici_builder_finish(&b2, NULL), 0);
		assert_int_equal(b2.len, b.len);
		assert_memory_equal(b2.buf, b.buf, b.len);
		free(text);
		vici_node_free(n);
		vici_builder_clear(&b);
		vici_builder_clear(&b2);
	}
}

/* The byte example of the protocol description decodes as documented. */
static void test_readme_bytes(void **state)
{
	static const uint8_t msg[] = {
		3, 4, 'k', 'e', 'y', '1', 0, 6, 'v', 'a', 'l', 'u', 'e', '1',
		1, 8, 's', 'e', 'c', 't', 'i', 'o', 'n', '1',
		1, 11, 's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n',
		3, 4, 'k', 'e', 'y', '2', 0, 6, 'v', 'a', 'l', 'u', 'e', '2',
		2,
		4, 5, 'l', 'i', 's', 't', '1',
		5, 0, 5, 'i', 't', 'e', 'm', '1',
		5, 0, 5, 'i', 't', 'e', 'm', '2',
		6,
		2,
	};
	struct vici_node *n;
	const struct vici_node *s;
	uint64_t x = 7;

	assert_int_equal(vici_decode(msg, sizeof(msg), &n, NULL), 0);
	assert_string_equal(vici_str(n, "key1"), "value1");
	s = vici_get(n, "section1");
	assert_non_null(s);
	assert_string_equal(vici_str(vici_get(s, "sub-section"), "key2"), "value2");
	assert_int_equal(vici_get(s, "list1")->n, 2);
	assert_null(vici_str(n, "section1"));	/* a section is not a value */
	assert_null(vici_get(n, "missing"));
	assert_false(vici_u64(n, "key1", &x));
	assert_int_equal(x, 7);
	vici_node_free(n);
}

#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

/* Malformed and hostile messages: each is refused with a reason. */
static const struct {
	const char *what;
	const uint8_t *buf;
	size_t len;
	int err;
	const char *reason;		/* part of the cause */
} malformed[] = {
	{ "unknown element 0", B(0), -EBADMSG, "unknown element type 0" },
	{ "unknown element 7", B(7, 1, 'a'), -EBADMSG, "unknown element type 7" },
	{ "unknown element 255", B(255), -EBADMSG, "unknown element type 255" },
	{ "name length past end", B(3, 5, 'a'), -EBADMSG, "truncated name" },
	{ "missing name length", B(1), -EBADMSG, "truncated name" },
	{ "empty name", B(3, 0, 0, 0), -EBADMSG, "empty name" },
	{ "NUL in name", B(3, 2, 'a', 0, 0, 0), -EBADMSG, "NUL byte in name" },
	{ "value length past end", B(3, 1, 'k', 0, 9, 'x'), -EBADMSG, "truncated value" },
	{ "value length cut", B(3, 1, 'k', 0), -EBADMSG, "truncated value" },
	{ "value one byte short", B(3, 1, 'k', 0, 2, 'x'), -EBADMSG, "truncated value" },
	{ "name one byte short", B(3, 2, 'k'), -EBADMSG, "truncated name" },
	{ "value length 65535, no data", B(3, 1, 'k', 0xff, 0xff), -EBADMSG, "truncated value" },
	{ "section end at root", B(2), -EBADMSG, "section end without a section" },
	{ "section not closed", B(1, 1, 's'), -EBADMSG, "section 's' not closed" },
	{ "list not closed", B(4, 1, 'l', 5, 0, 0), -EBADMSG, "list 'l' not closed" },
	{ "item outside list", B(5, 0, 1, 'x'), -EBADMSG, "list item outside a list" },
	{ "list end without list", B(6), -EBADMSG, "list end without a list" },
	{ "key-value in list", B(4, 1, 'l', 3, 1, 'k', 0, 0, 6), -EBADMSG, "inside list" },
	{ "section in list", B(4, 1, 'l', 1, 1, 's', 2, 6), -EBADMSG, "inside list" },
	{ "nested list", B(4, 1, 'l', 4, 1, 'm', 6, 6), -EBADMSG, "inside list" },
	{ "section end in list", B(1, 1, 's', 4, 1, 'l', 2, 6), -EBADMSG, "inside list" },
	{ "duplicate key", B(3, 1, 'k', 0, 0, 3, 1, 'k', 0, 0), -EBADMSG, "duplicate name 'k'" },
	{ "key and section of same name", B(3, 1, 'k', 0, 0, 1, 1, 'k', 2), -EBADMSG,
	  "duplicate name" },
	{ "too deep",
	  B(1, 1, 'a', 1, 1, 'a', 1, 1, 'a', 1, 1, 'a', 1, 1, 'a', 1, 1, 'a', 1, 1, 'a',
	    1, 1, 'a', 1, 1, 'a', 1, 1, 'a', 1, 1, 'a', 1, 1, 'a', 1, 1, 'a', 1, 1, 'a',
	    1, 1, 'a', 1, 1, 'a', 1, 1, 'a'),
	  -E2BIG, "nested deeper than 16" },
};

static void test_malformed(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(malformed); i++) {
		struct vici_node *n = (struct vici_node *)&n;
		char *cause = NULL;
		int r = vici_decode(malformed[i].buf, malformed[i].len, &n, &cause);

		if (r != malformed[i].err)
			fail_msg("%s: got %d (%s)", malformed[i].what, r, cause ? cause : "");
		assert_null(n);
		if (cause == NULL || strstr(cause, malformed[i].reason) == NULL)
			fail_msg("%s: reason '%s'", malformed[i].what, cause ? cause : "(none)");
		free(cause);
	}
}

/* Exactly the limits: 16 levels pass, many elements are refused. */
static void test_limits(void **state)
{
	struct vici_builder b;
	struct vici_node *n;
	char *cause = NULL;
	uint8_t *big;
	size_t len = 0;

	vici_builder_init(&b);
	for (int i = 0; i < VICI_MAX_DEPTH; i++)
		vici_add_section(&b, "d");
	for (int i = 0; i < VICI_MAX_DEPTH; i++)
		vici_end_section(&b);
	assert_int_equal(vici_builder_finish(&b, NULL), 0);
	assert_int_equal(vici_decode(b.buf, b.len, &n, NULL), 0);
	vici_node_free(n);
	vici_builder_clear(&b);

	/* one list with more items than allowed elements: refused, bounded */
	big = xmalloc(4 + 3 * (VICI_MAX_ELEMENTS + 1) + 1);
	big[len++] = 4, big[len++] = 1, big[len++] = 'l';
	for (int i = 0; i <= VICI_MAX_ELEMENTS; i++)
		big[len++] = 5, big[len++] = 0, big[len++] = 0;
	big[len++] = 6;
	assert_int_equal(vici_decode(big, len, &n, &cause), -E2BIG);
	assert_non_null(strstr(cause, "elements"));
	free(cause);
	cause = NULL;

	/* a section with too many entries */
	len = 0;
	for (int i = 0; i <= VICI_MAX_CHILDREN; i++) {
		big[len++] = 3, big[len++] = 2;
		big[len++] = (uint8_t)('A' + i / 64), big[len++] = (uint8_t)('A' + i % 64);
		big[len++] = 0, big[len++] = 0;
	}
	assert_int_equal(vici_decode(big, len, &n, &cause), -E2BIG);
	assert_non_null(strstr(cause, "entries"));
	free(cause);
	cause = NULL;

	/* over the segment size */
	assert_int_equal(vici_decode(big, VICI_MAX_SEGMENT + 1, &n, &cause), -E2BIG);
	free(cause);
	free(big);
}

/* A message of exactly the segment size decodes; one byte more is refused
 * for its size, before anything in it is read. */
static void test_segment_size(void **state)
{
	uint8_t *buf = xcalloc(VICI_MAX_SEGMENT + 1, 1);
	size_t len = 0, left = VICI_MAX_SEGMENT;
	struct vici_node *n;
	char *cause = NULL;

	(void)state;
	/* key-values "a", "b", ... whose values fill the segment exactly */
	for (char name = 'a'; left > 0; name++) {
		size_t v = left - 5 > VICI_MAX_VALUE ? VICI_MAX_VALUE : left - 5;
		buf[len++] = 3, buf[len++] = 1, buf[len++] = (uint8_t)name;
		buf[len++] = (uint8_t)(v >> 8), buf[len++] = (uint8_t)v;
		memset(buf + len, 'x', v);
		len += v;
		left -= 5 + v;
	}
	assert_int_equal(len, VICI_MAX_SEGMENT);
	assert_int_equal(vici_decode(buf, len, &n, &cause), 0);
	assert_int_equal(vici_get(n, "a") != NULL, 1);
	vici_node_free(n);
	buf[len++] = 2;		/* a section end at the root: malformed, if it were read */
	assert_int_equal(vici_decode(buf, len, &n, &cause), -E2BIG);
	assert_non_null(strstr(cause, "over the limit"));
	free(cause);
	free(buf);
}

/* Counters: all of 2^64 - 1, nothing above, 20 digits at most. */
static void test_u64_edges(void **state)
{
	static const struct {
		const char *v;
		bool ok;
		uint64_t x;
	} cases[] = {
		{ "18446744073709551615", true, UINT64_MAX },
		{ "18446744073709551616", false, 0 },
		{ "99999999999999999999", false, 0 },
		{ "00000000000000000042", true, 42 },
		{ "000000000000000000042", false, 0 },
		{ "0", true, 0 },
		{ "", false, 0 },
		{ "12a", false, 0 },
		{ "-1", false, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vici_builder b;
		struct vici_node *n;
		uint64_t x = 7;

		vici_builder_init(&b);
		vici_add_kv(&b, "k", cases[i].v);
		assert_int_equal(vici_builder_finish(&b, NULL), 0);
		assert_int_equal(vici_decode(b.buf, b.len, &n, NULL), 0);
		if (vici_u64(n, "k", &x) != cases[i].ok)
			fail_msg("vici_u64(\"%s\") is not %s", cases[i].v, cases[i].ok ? "taken" : "refused");
		assert_true(cases[i].ok ? x == cases[i].x : x == 7);
		vici_node_free(n);
		vici_builder_clear(&b);
	}
}

/* Builder misuse is caught and reported once. */
static const struct {
	const char *what;
	struct op ops[8];
	const char *reason;
} misuse[] = {
	{ "unbalanced end", { { 'E' } }, "section end without a section" },
	{ "open section", { { 'S', "s" } }, "1 sections not closed" },
	{ "open list", { { 'L', "l" } }, "list not closed" },
	{ "key in list", { { 'L', "l" }, { 'K', "k", "v" } }, "'k' inside a list" },
	{ "section in list", { { 'L', "l" }, { 'S', "s" } }, "'s' inside a list" },
	{ "item outside list", { { 'I', NULL, "v" } }, "list item outside a list" },
	{ "list end outside list", { { 'X' } }, "list end without a list" },
	{ "empty name", { { 'K', "", "v" } }, "must have 1 to 255 bytes" },
	{ "first mistake wins", { { 'X' }, { 'E' } }, "list end without a list" },
};

static void test_builder_misuse(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(misuse); i++) {
		struct vici_builder b;
		char *cause = NULL;

		vici_builder_init(&b);
		run_ops(&b, misuse[i].ops);
		assert_int_equal(vici_builder_finish(&b, &cause), -EINVAL);
		if (strstr(cause, misuse[i].reason) == NULL)
			fail_msg("%s: %s", misuse[i].what, cause);
		free(cause);
		vici_builder_clear(&b);
	}
}

static void test_builder_sizes(void **state)
{
	struct vici_builder b;
	char name[300], *value = xmalloc(VICI_MAX_VALUE + 2), *cause = NULL;

	memset(name, 'n', sizeof(name));
	name[VICI_MAX_NAME] = '\0';
	memset(value, 'v', VICI_MAX_VALUE + 1);
	value[VICI_MAX_VALUE] = '\0';
	vici_builder_init(&b);
	vici_add_kv(&b, name, value);	/* exactly the maxima */
	assert_int_equal(vici_builder_finish(&b, NULL), 0);
	name[VICI_MAX_NAME] = 'n';
	name[VICI_MAX_NAME + 1] = '\0';
	vici_add_kv(&b, name, "x");
	assert_int_equal(vici_builder_finish(&b, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	vici_builder_clear(&b);
	value[VICI_MAX_VALUE] = 'v';
	value[VICI_MAX_VALUE + 1] = '\0';
	vici_add_kv(&b, "k", value);
	assert_int_equal(vici_builder_finish(&b, &cause), -EINVAL);
	assert_non_null(strstr(cause, "65536 bytes is over"));
	free(cause);
	cause = NULL;
	vici_builder_clear(&b);
	/* a message that grows past the segment limit stops growing */
	value[VICI_MAX_VALUE] = '\0';
	for (int i = 0; i < 20; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", i);
		vici_add_kv(&b, k, value);
	}
	assert_true(b.len < VICI_MAX_SEGMENT);
	assert_int_equal(vici_builder_finish(&b, &cause), -EINVAL);
	assert_non_null(strstr(cause, "over the limit"));
	free(cause);
	vici_builder_clear(&b);
	free(value);
}

/* Packets: named and unnamed types, and bad ones. */
static void test_packets(void **state)
{
	const struct {
		const char *what;
		const uint8_t *buf;
		size_t len;
		int err;
		int type;
		const char *name;
		size_t msg_len;
	} cases[] = {
		{ "response", B(1, 3, 1, 'k', 0, 0), 0, VICI_CMD_RESPONSE, "", 5 },
		{ "unknown command", B(2), 0, VICI_CMD_UNKNOWN, "", 0 },
		{ "event", B(7, 3, 'l', 'o', 'g'), 0, VICI_EVENT, "log", 0 },
		{ "confirm", B(5), 0, VICI_EVENT_CONFIRM, "", 0 },
		{ "empty", B(0), -EBADMSG, 0, NULL, 0 },
		{ "type 8", B(8), -EBADMSG, 0, NULL, 0 },
		{ "event without name", B(7), -EBADMSG, 0, NULL, 0 },
		{ "event with empty name", B(7, 0), -EBADMSG, 0, NULL, 0 },
		{ "event name cut", B(7, 9, 'l'), -EBADMSG, 0, NULL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vici_packet p;
		char *cause = NULL;
		/* "empty" is one byte of 0 in the table; decode zero bytes */
		size_t len = strcmp(cases[i].what, "empty") == 0 ? 0 : cases[i].len;
		int r = vici_packet_decode(cases[i].buf, len, &p, &cause);

		if (r != cases[i].err)
			fail_msg("%s: %d %s", cases[i].what, r, cause ? cause : "");
		if (r == 0) {
			assert_int_equal(p.type, cases[i].type);
			assert_string_equal(p.name, cases[i].name);
			assert_int_equal(p.msg_len, cases[i].msg_len);
		} else {
			assert_non_null(cause);
		}
		free(cause);
	}
}

static void test_packet_encode(void **state)
{
	static const uint8_t want[] = { 0, 0, 0, 10, 0, 7, 'v', 'e', 'r', 's', 'i', 'o', 'n', 9 };
	uint8_t msg = 9, *out;
	size_t len;
	struct vici_packet p;
	char *cause = NULL;

	assert_int_equal(vici_packet_encode(VICI_CMD_REQUEST, "version", &msg, 1, &out, &len,
					    NULL), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(out, want, len);
	assert_int_equal(vici_packet_decode(out + 4, len - 4, &p, NULL), 0);
	assert_string_equal(p.name, "version");
	assert_int_equal(p.msg_len, 1);
	free(out);
	assert_int_equal(vici_packet_encode(VICI_CMD_REQUEST, "", NULL, 0, &out, &len, &cause),
			 -EINVAL);
	free(cause);
	cause = NULL;
	assert_int_equal(vici_packet_encode(VICI_CMD_RESPONSE, NULL, NULL, VICI_MAX_SEGMENT,
					    &out, &len, &cause), -E2BIG);
	free(cause);
}

/* ---- the client against a scripted server ---- */

static char sock_path[108];

/* Send one packet from the fake server. */
static void srv_send(int fd, enum vici_packet_type t, const char *name, const struct op *ops)
{
	struct vici_builder b;
	uint8_t *out;
	size_t len;

	vici_builder_init(&b);
	if (ops)
		run_ops(&b, ops);
	if (vici_packet_encode(t, name, b.buf, b.len, &out, &len, NULL) == 0) {
		if (write(fd, out, len) != (ssize_t)len)
			_exit(9);
		free(out);
	}
	vici_builder_clear(&b);
}

/* Read one packet on the fake server; returns its type and name. */
static int srv_recv(int fd, char *name)
{
	uint8_t hdr[4], *seg;
	uint32_t len;
	struct vici_packet p;
	int type;

	if (read(fd, hdr, 4) != 4)
		return -1;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	seg = xmalloc(len);
	for (size_t got = 0; got < len;) {
		ssize_t n = read(fd, seg + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	if (vici_packet_decode(seg, len, &p, NULL) < 0)
		return -1;
	strcpy(name, p.name);
	type = p.type;
	free(seg);
	return type;
}

/* The fake charon: answers commands in a way each test expects. */
static void serve(int lfd)
{
	static const struct op ok[] = { { 'K', "success", "yes" }, { 0 } };
	static const struct op fail_ops[] = { { 'K', "success", "no" },
					      { 'K', "errmsg", "no such thing" }, { 0 } };
	static const struct op ver[] = { { 'K', "daemon", "charon" },
					 { 'K', "version", "5.9.8" }, { 0 } };
	static const struct op logmsg[] = { { 'K', "group", "IKE" }, { 'K', "level", "1" },
					    { 'K', "msg", "initiating" }, { 0 } };
	char name[256];
	int fd = accept(lfd, NULL, NULL), t;

	if (fd < 0)
		_exit(1);
	while ((t = srv_recv(fd, name)) >= 0) {
		if (t == VICI_EVENT_REGISTER || t == VICI_EVENT_UNREGISTER) {
			srv_send(fd, strcmp(name, "nope") ? VICI_EVENT_CONFIRM : VICI_EVENT_UNKNOWN,
				 NULL, NULL);
		} else if (strcmp(name, "version") == 0) {
			srv_send(fd, VICI_CMD_RESPONSE, NULL, ver);
		} else if (strcmp(name, "initiate") == 0) {
			/* two events while the command runs, one unregistered */
			srv_send(fd, VICI_EVENT, "control-log", logmsg);
			srv_send(fd, VICI_EVENT, "other", logmsg);
			srv_send(fd, VICI_EVENT, "control-log", logmsg);
			srv_send(fd, VICI_CMD_RESPONSE, NULL, ok);
		} else if (strcmp(name, "refuse") == 0) {
			srv_send(fd, VICI_CMD_RESPONSE, NULL, fail_ops);
		} else if (strcmp(name, "garbage") == 0) {
			static const uint8_t bad[] = { 0, 0, 0, 3, 1, 2, 2 };
			if (write(fd, bad, sizeof(bad)) < 0)
				_exit(9);
		} else if (strcmp(name, "huge") == 0) {
			static const uint8_t bad[] = { 0x7f, 0, 0, 0, 1 };
			if (write(fd, bad, sizeof(bad)) < 0)
				_exit(9);
		} else if (strcmp(name, "slow") == 0) {
			sleep(2);
		} else if (strcmp(name, "events") == 0) {
			srv_send(fd, VICI_CMD_RESPONSE, NULL, ok);
			srv_send(fd, VICI_EVENT, "log", logmsg);
			srv_send(fd, VICI_EVENT, "log", logmsg);
		} else {
			srv_send(fd, VICI_CMD_UNKNOWN, NULL, NULL);
		}
	}
	_exit(0);
}

static pid_t server_start(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	snprintf(sock_path, sizeof(sock_path), "/tmp/oqlink-test-vici.%d", (int)getpid());
	unlink(sock_path);
	strcpy(sun.sun_path, sock_path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	pid = fork();
	if (pid == 0)
		serve(lfd);
	close(lfd);
	return pid;
}

static void server_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(sock_path);
}

struct seen {
	int n;
	char last[64];
};

static void on_event(void *ctx, const char *event, const struct vici_node *msg)
{
	struct seen *s = ctx;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s:%s", event, vici_str(msg, "msg"));
}

static void test_client(void **state)
{
	pid_t pid = server_start();
	struct vici_conn *c;
	struct vici_node *reply;
	struct seen seen = { 0 };
	char *cause = NULL;

	assert_int_equal(vici_connect(sock_path, &c, &cause), 0);
	assert_int_equal(vici_call(c, "version", NULL, 2000, &reply, &cause), 0);
	assert_string_equal(vici_str(reply, "version"), "5.9.8");
	vici_node_free(reply);

	/* events arrive during the command and go to the handler */
	assert_int_equal(vici_register(c, "control-log", on_event, &seen, 2000, &cause), 0);
	assert_int_equal(vici_call_ok(c, "initiate", NULL, 2000, &cause), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.last, "control-log:initiating");
	assert_int_equal(vici_register(c, "control-log", NULL, NULL, 2000, &cause), 0);

	/* refused and unknown commands, unknown events */
	assert_int_equal(vici_call_ok(c, "refuse", NULL, 2000, &cause), -EIO);
	assert_non_null(strstr(cause, "no such thing"));
	assert_int_equal(vici_call(c, "what", NULL, 2000, &reply, &cause), -EOPNOTSUPP);
	assert_non_null(strstr(cause, "what"));
	assert_int_equal(vici_register(c, "nope", on_event, &seen, 2000, &cause), -ENOENT);

	/* events after the response are picked up by vici_dispatch */
	seen.n = 0;
	assert_int_equal(vici_register(c, "log", on_event, &seen, 2000, &cause), 0);
	assert_int_equal(vici_call_ok(c, "events", NULL, 2000, &cause), 0);
	int got = 0;
	for (int i = 0; i < 5 && got < 2; i++) {
		int r = vici_dispatch(c, 500, &cause);
		assert_true(r >= 0);
		got += r;
	}
	assert_int_equal(got, 2);
	assert_int_equal(seen.n, 2);
	assert_int_equal(vici_dispatch(c, 50, &cause), 0);	/* quiet: a timeout, no error */

	/* a command that never answers times out and the connection is dropped */
	int64_t t0 = now_ms();
	assert_int_equal(vici_call(c, "slow", NULL, 300, &reply, &cause), -ETIMEDOUT);
	assert_true(now_ms() - t0 < 1500);
	assert_int_equal(vici_call(c, "version", NULL, 300, &reply, &cause), -EPIPE);
	vici_close(c);
	free(cause);
	server_stop(pid);
}

static void test_client_hostile(void **state)
{
	static const char *cmds[] = { "garbage", "huge" };

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		pid_t pid = server_start();
		struct vici_conn *c;
		struct vici_node *reply;
		char *cause = NULL;

		assert_int_equal(vici_connect(sock_path, &c, &cause), 0);
		assert_int_equal(vici_call(c, cmds[i], NULL, 2000, &reply, &cause), -EBADMSG);
		assert_null(reply);
		vici_close(c);
		free(cause);
		server_stop(pid);
	}
}

static void test_not_running(void **state)
{
	struct vici_conn *c;
	char *cause = NULL;

	i18n_set_lang(OQ_LANG_EN);
	assert_int_equal(vici_connect("/nonexistent/charon.vici", &c, &cause), -ENOENT);
	assert_non_null(strstr(cause, "charon is not running at /nonexistent/charon.vici"));
	i18n_set_lang(OQ_LANG_JA);
	assert_int_equal(vici_connect("/nonexistent/charon.vici", &c, &cause), -ENOENT);
	assert_non_null(strstr(cause, "charon が /nonexistent/charon.vici で動いていません"));
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_readme_bytes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_segment_size),
		cmocka_unit_test(test_u64_edges),
		cmocka_unit_test(test_builder_misuse),
		cmocka_unit_test(test_builder_sizes),
		cmocka_unit_test(test_packets),
		cmocka_unit_test(test_packet_encode),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_client_hostile),
		cmocka_unit_test(test_not_running),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
