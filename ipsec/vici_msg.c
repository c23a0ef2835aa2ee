/* The VICI wire codec: messages (element trees) and packets. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "ipsec/vici.h"

/* ---- decoding ---- */

/* A reader over untrusted bytes: every take checks what is left. */
struct reader {
	const uint8_t *p;
	size_t left;
	size_t off;		/* for error messages */
};

static bool take_u8(struct reader *r, uint8_t *v)
{
	if (r->left < 1)
		return false;
	*v = r->p[0];
	r->p++, r->left--, r->off++;
	return true;
}

static bool take_u16(struct reader *r, uint16_t *v)
{
	if (r->left < 2)
		return false;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2, r->left -= 2, r->off += 2;
	return true;
}

static bool take_bytes(struct reader *r, size_t n, const uint8_t **v)
{
	if (r->left < n)
		return false;
	*v = r->p;
	r->p += n, r->left -= n, r->off += n;
	return true;
}

static struct vici_node *node_new(enum vici_node_type type)
{
	struct vici_node *n = xcalloc(1, sizeof(*n));

	n->type = type;
	return n;
}

static void node_append(struct vici_node *parent, struct vici_node *n)
{
	if (parent->last)
		parent->last->next = n;
	else
		parent->child = n;
	parent->last = n;
	parent->n++;
}

void vici_node_free(struct vici_node *n)
{
	while (n != NULL) {
		struct vici_node *next = n->next;
		vici_node_free(n->child);
		free(n->name);
		free(n->value);
		free(n);
		n = next;
	}
}

/* Read an element name: 8-bit length, bytes without NUL. */
static int read_name(struct reader *r, char **name, char **cause)
{
	uint8_t len;
	const uint8_t *s;
	size_t at = r->off;

	if (!take_u8(r, &len) || !take_bytes(r, len, &s))
		return cause_set(cause, EBADMSG, "truncated name at offset %zu", at);
	if (len == 0)
		return cause_set(cause, EBADMSG, "empty name at offset %zu", at);
	if (memchr(s, '\0', len) != NULL)
		return cause_set(cause, EBADMSG, "NUL byte in name at offset %zu", at);
	*name = xstrndup((const char *)s, len);
	return 0;
}

/* Read a value: 16-bit length and a blob, kept NUL-terminated. */
static int read_value(struct reader *r, struct vici_node *n, char **cause)
{
	uint16_t len;
	const uint8_t *s;
	size_t at = r->off;

	if (!take_u16(r, &len) || !take_bytes(r, len, &s))
		return cause_set(cause, EBADMSG, "truncated value at offset %zu", at);
	n->value = xmalloc((size_t)len + 1);
	memcpy(n->value, s, len);
	n->value[len] = '\0';
	n->len = len;
	return 0;
}

/* True when a section already has a child of this name: names must be
 * unique in a section. Linear: the entries of a section are bounded. */
static bool has_child(const struct vici_node *sec, const char *name)
{
	return vici_get(sec, name) != NULL;
}

/* The state of decoding one message: the open sections and the open list. */
struct decoder {
	struct reader r;
	struct vici_node *stack[VICI_MAX_DEPTH + 1];	/* stack[0] is the root */
	unsigned depth;
	struct vici_node *list;
	unsigned count;
};

/* A named element (section start, key-value, list start) at offset at. */
static int decode_named(struct decoder *d, uint8_t type, size_t at, char **cause)
{
	struct vici_node *sec = d->stack[d->depth], *n;
	int err;

	n = node_new(type == VICI_SECTION_START ? VICI_NODE_SECTION :
		     type == VICI_KEY_VALUE ? VICI_NODE_VALUE : VICI_NODE_LIST);
	err = read_name(&d->r, &n->name, cause);
	if (err == 0 && type == VICI_KEY_VALUE)
		err = read_value(&d->r, n, cause);
	if (err == 0 && sec->n >= VICI_MAX_CHILDREN)
		err = cause_set(cause, E2BIG, "more than %u entries in a section at offset %zu",
				VICI_MAX_CHILDREN, at);
	if (err == 0 && has_child(sec, n->name))
		err = cause_set(cause, EBADMSG, "duplicate name '%s' at offset %zu", n->name, at);
	if (err == 0 && type == VICI_SECTION_START && d->depth >= VICI_MAX_DEPTH)
		err = cause_set(cause, E2BIG, "sections nested deeper than %u at offset %zu",
				VICI_MAX_DEPTH, at);
	if (err) {
		vici_node_free(n);
		return err;
	}
	node_append(sec, n);
	if (type == VICI_SECTION_START)
		d->stack[++d->depth] = n;
	else if (type == VICI_LIST_START)
		d->list = n;
	return 0;
}

/* One element of any type at offset at. */
static int decode_element(struct decoder *d, uint8_t type, size_t at, char **cause)
{
	struct vici_node *n;
	int err;

	if (d->list != NULL && type != VICI_LIST_ITEM && type != VICI_LIST_END)
		return cause_set(cause, EBADMSG, "element type %u inside list '%s' at offset %zu",
				 type, d->list->name, at);
	switch (type) {
	case VICI_SECTION_START:
	case VICI_KEY_VALUE:
	case VICI_LIST_START:
		return decode_named(d, type, at, cause);
	case VICI_SECTION_END:
		if (d->depth == 0)
			return cause_set(cause, EBADMSG,
					 "section end without a section at offset %zu", at);
		d->depth--;
		return 0;
	case VICI_LIST_ITEM:
		if (d->list == NULL)
			return cause_set(cause, EBADMSG, "list item outside a list at offset %zu",
					 at);
		n = node_new(VICI_NODE_VALUE);
		err = read_value(&d->r, n, cause);
		if (err) {
			vici_node_free(n);
			return err;
		}
		node_append(d->list, n);
		return 0;
	case VICI_LIST_END:
		if (d->list == NULL)
			return cause_set(cause, EBADMSG, "list end without a list at offset %zu",
					 at);
		d->list = NULL;
		return 0;
	default:
		return cause_set(cause, EBADMSG, "unknown element type %u at offset %zu", type,
				 at);
	}
}

int vici_decode(const uint8_t *buf, size_t len, struct vici_node **out, char **cause)
{
	struct decoder d = { .r = { buf, len, 0 } };
	int err = 0;

	*out = NULL;
	if (len > VICI_MAX_SEGMENT)
		return cause_set(cause, E2BIG, "message of %zu bytes is over the limit of %u",
				 len, VICI_MAX_SEGMENT);
	d.stack[0] = node_new(VICI_NODE_SECTION);
	while (err == 0 && d.r.left > 0) {
		size_t at = d.r.off;
		uint8_t type;

		take_u8(&d.r, &type);
		if (++d.count > VICI_MAX_ELEMENTS)
			err = cause_set(cause, E2BIG, "more than %u elements", VICI_MAX_ELEMENTS);
		else
			err = decode_element(&d, type, at, cause);
	}
	if (err == 0 && d.list != NULL)
		err = cause_set(cause, EBADMSG, "list '%s' not closed", d.list->name);
	else if (err == 0 && d.depth != 0)
		err = cause_set(cause, EBADMSG, "section '%s' not closed", d.stack[d.depth]->name);
	if (err) {
		vici_node_free(d.stack[0]);
		return err;
	}
	*out = d.stack[0];
	return 0;
}

const struct vici_node *vici_get(const struct vici_node *sec, const char *name)
{
	if (sec == NULL || sec->type != VICI_NODE_SECTION)
		return NULL;
	for (const struct vici_node *c = sec->child; c; c = c->next)
		if (c->name && strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const char *vici_str(const struct vici_node *sec, const char *name)
{
	const struct vici_node *n = vici_get(sec, name);

	return n && n->type == VICI_NODE_VALUE ? n->value : NULL;
}

bool vici_yes(const struct vici_node *sec, const char *name)
{
	const char *v = vici_str(sec, name);

	return v && strcmp(v, "yes") == 0;
}

bool vici_u64(const struct vici_node *sec, const char *name, uint64_t *out)
{
	const char *v = vici_str(sec, name);
	uint64_t x = 0;

	if (v == NULL || *v == '\0' || strlen(v) > 20)
		return false;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		uint64_t d = (uint64_t)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = x;
	return true;
}

/* A growing string for vici_node_format. */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Values print as text; bytes that are not printable as \xHH. */
static void sb_value(struct sbuf *b, const char *v, size_t len)
{
	char hex[8];

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c >= 0x20 && c != 0x7f) {
			sb_add(b, v + i, 1);
		} else {
			snprintf(hex, sizeof(hex), "\\x%02x", c);
			sb_str(b, hex);
		}
	}
}

static void format_children(struct sbuf *b, const struct vici_node *sec)
{
	for (const struct vici_node *c = sec->child; c; c = c->next) {
		if (c != sec->child)
			sb_str(b, " ");
		sb_str(b, c->name ? c->name : "");
		switch (c->type) {
		case VICI_NODE_VALUE:
			sb_str(b, "=");
			sb_value(b, c->value, c->len);
			break;
		case VICI_NODE_LIST:
			sb_str(b, " [");
			for (const struct vici_node *i = c->child; i; i = i->next) {
				sb_str(b, i == c->child ? "" : " ");
				sb_value(b, i->value, i->len);
			}
			sb_str(b, "]");
			break;
		case VICI_NODE_SECTION:
			sb_str(b, " {");
			format_children(b, c);
			sb_str(b, "}");
			break;
		}
	}
}

char *vici_node_format(const struct vici_node *n)
{
	struct sbuf b = { 0 };

	sb_str(&b, "{");
	if (n)
		format_children(&b, n);
	sb_str(&b, "}");
	return b.s;
}

/* ---- building ---- */

void vici_builder_init(struct vici_builder *b)
{
	memset(b, 0, sizeof(*b));
}

void vici_builder_clear(struct vici_builder *b)
{
	/* messages carry keys and PSKs: leave nothing behind */
	if (b->buf)
		explicit_bzero(b->buf, b->cap);
	free(b->buf);
	free(b->error);
	memset(b, 0, sizeof(*b));
}

static void b_fail(struct vici_builder *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void b_fail(struct vici_builder *b, const char *fmt, ...)
{
	va_list ap;

	if (b->error)
		return;
	va_start(ap, fmt);
	cause_vset(&b->error, EINVAL, fmt, ap);
	va_end(ap);
}

static void b_put(struct vici_builder *b, const void *p, size_t n)
{
	if (b->error)
		return;
	if (b->len + n > VICI_MAX_SEGMENT - 1 - VICI_MAX_NAME - 2 - 4) {
		b_fail(b, "message over the limit of %u bytes", VICI_MAX_SEGMENT);
		return;
	}
	if (b->len + n > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		while (b->cap < b->len + n)
			b->cap *= 2;
		uint8_t *grown = xmalloc(b->cap);
		if (b->len)
			memcpy(grown, b->buf, b->len);
		if (b->buf)
			explicit_bzero(b->buf, b->len);
		free(b->buf);
		b->buf = grown;
	}
	if (n)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void b_u8(struct vici_builder *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	b_put(b, &x, 1);
}

static void b_name(struct vici_builder *b, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > VICI_MAX_NAME) {
		b_fail(b, "name '%.40s' must have 1 to %u bytes", name ? name : "",
		       VICI_MAX_NAME);
		return;
	}
	b_u8(b, (unsigned)n);
	b_put(b, name, n);
}

static void b_value(struct vici_builder *b, const void *v, size_t n)
{
	uint8_t len[2] = { (uint8_t)(n >> 8), (uint8_t)n };

	if (n > VICI_MAX_VALUE) {
		b_fail(b, "value of %zu bytes is over %u", n, VICI_MAX_VALUE);
		return;
	}
	b_put(b, len, 2);
	b_put(b, v, n);
}

/* Elements that carry a name may not appear inside a list. */
static bool b_not_in_list(struct vici_builder *b, const char *name)
{
	if (b->in_list)
		b_fail(b, "'%s' inside a list", name ? name : "");
	return b->error == NULL;
}

void vici_add_section(struct vici_builder *b, const char *name)
{
	if (!b_not_in_list(b, name))
		return;
	if (b->depth >= VICI_MAX_DEPTH) {
		b_fail(b, "sections nested deeper than %u", VICI_MAX_DEPTH);
		return;
	}
	b_u8(b, VICI_SECTION_START);
	b_name(b, name);
	b->depth++;
}

void vici_end_section(struct vici_builder *b)
{
	if (!b_not_in_list(b, "section end"))
		return;
	if (b->depth == 0) {
		b_fail(b, "section end without a section");
		return;
	}
	b_u8(b, VICI_SECTION_END);
	b->depth--;
}

void vici_add_kvb(struct vici_builder *b, const char *name, const void *value, size_t len)
{
	if (!b_not_in_list(b, name))
		return;
	b_u8(b, VICI_KEY_VALUE);
	b_name(b, name);
	b_value(b, value, len);
}

void vici_add_kv(struct vici_builder *b, const char *name, const char *value)
{
	vici_add_kvb(b, name, value, strlen(value));
}

void vici_add_kvf(struct vici_builder *b, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b_fail(b, "out of memory");
		return;
	}
	vici_add_kvb(b, name, s, (size_t)n);
	free(s);
}

void vici_add_list(struct vici_builder *b, const char *name)
{
	if (!b_not_in_list(b, name))
		return;
	b_u8(b, VICI_LIST_START);
	b_name(b, name);
	b->in_list = true;
}

void vici_add_itemb(struct vici_builder *b, const void *value, size_t len)
{
	if (!b->in_list) {
		b_fail(b, "list item outside a list");
		return;
	}
	b_u8(b, VICI_LIST_ITEM);
	b_value(b, value, len);
}

void vici_add_item(struct vici_builder *b, const char *value)
{
	vici_add_itemb(b, value, strlen(value));
}

void vici_end_list(struct vici_builder *b)
{
	if (!b->in_list) {
		b_fail(b, "list end without a list");
		return;
	}
	b_u8(b, VICI_LIST_END);
	b->in_list = false;
}

int vici_builder_finish(struct vici_builder *b, char **cause)
{
	if (b->error == NULL && b->in_list)
		b_fail(b, "list not closed");
	if (b->error == NULL && b->depth)
		b_fail(b, "%u sections not closed", b->depth);
	if (b->error)
		return cause_set(cause, EINVAL, "%s", b->error);
	return 0;
}

void vici_encode_node(struct vici_builder *b, const struct vici_node *sec)
{
	for (const struct vici_node *c = sec->child; c; c = c->next) {
		switch (c->type) {
		case VICI_NODE_VALUE:
			vici_add_kvb(b, c->name, c->value, c->len);
			break;
		case VICI_NODE_LIST:
			vici_add_list(b, c->name);
			for (const struct vici_node *i = c->child; i; i = i->next)
				vici_add_itemb(b, i->value, i->len);
			vici_end_list(b);
			break;
		case VICI_NODE_SECTION:
			vici_add_section(b, c->name);
			vici_encode_node(b, c);
			vici_end_section(b);
			break;
		}
	}
}

/* ---- packets ---- */

bool vici_packet_named(enum vici_packet_type t)
{
	return t == VICI_CMD_REQUEST || t == VICI_EVENT_REGISTER ||
	       t == VICI_EVENT_UNREGISTER || t == VICI_EVENT;
}

int vici_packet_decode(const uint8_t *seg, size_t len, struct vici_packet *p, char **cause)
{
	struct reader r = { seg, len, 0 };
	uint8_t type, nlen;
	const uint8_t *name;

	memset(p, 0, sizeof(*p));
	if (len > VICI_MAX_SEGMENT)
		return cause_set(cause, EBADMSG, "packet of %zu bytes is over the limit", len);
	if (!take_u8(&r, &type))
		return cause_set(cause, EBADMSG, "empty packet");
	if (type > VICI_EVENT)
		return cause_set(cause, EBADMSG, "unknown packet type %u", type);
	p->type = type;
	if (vici_packet_named(p->type)) {
		if (!take_u8(&r, &nlen) || !take_bytes(&r, nlen, &name))
			return cause_set(cause, EBADMSG, "packet of type %u: truncated name", type);
		if (nlen == 0 || memchr(name, '\0', nlen) != NULL)
			return cause_set(cause, EBADMSG, "packet of type %u: bad name", type);
		memcpy(p->name, name, nlen);
		p->name[nlen] = '\0';
	}
	p->msg = r.p;
	p->msg_len = r.left;
	return 0;
}

int vici_packet_encode(enum vici_packet_type type, const char *name, const uint8_t *msg,
		       size_t msg_len, uint8_t **out, size_t *out_len, char **cause)
{
	size_t nlen = vici_packet_named(type) ? strlen(name ? name : "") : 0;
	size_t body, off = 0;
	uint8_t *buf;

	*out = NULL;
	if (vici_packet_named(type) && (nlen == 0 || nlen > VICI_MAX_NAME))
		return cause_set(cause, EINVAL, "packet name must have 1 to %u bytes",
				 VICI_MAX_NAME);
	body = 1 + (vici_packet_named(type) ? 1 + nlen : 0) + msg_len;
	if (body > VICI_MAX_SEGMENT)
		return cause_set(cause, E2BIG, "packet of %zu bytes is over the limit of %u",
				 body, VICI_MAX_SEGMENT);
	buf = xmalloc(4 + body);
	buf[off++] = (uint8_t)(body >> 24);
	buf[off++] = (uint8_t)(body >> 16);
	buf[off++] = (uint8_t)(body >> 8);
	buf[off++] = (uint8_t)body;
	buf[off++] = (uint8_t)type;
	if (vici_packet_named(type)) {
		buf[off++] = (uint8_t)nlen;
		memcpy(buf + off, name, nlen);
		off += nlen;
	}
	if (msg_len)
		memcpy(buf + off, msg, msg_len);
	*out = buf;
	*out_len = 4 + body;
	return 0;
}
