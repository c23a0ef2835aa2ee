/* VICI, the control protocol of strongSwan's charon: the wire codec and a
 * small synchronous client. Internal to ipsec/: nothing outside this folder
 * includes it (ipsec/ipsec.h is the module's public face).
 *
 * Wire format (strongSwan src/libcharon/plugins/vici/README.md): each segment
 * is a 32-bit big-endian length and that many bytes; a segment holds one
 * packet: a type byte, for named types an 8-bit length and the name, then a
 * message. A message is a sequence of elements (section start and end,
 * key-value, list start, list item, list end); names have an 8-bit length,
 * values a 16-bit big-endian length.
 *
 * The decoder takes bytes from the other side and trusts none of them: every
 * length is checked against what is left, nesting and the number of
 * elements are bounded, and a bad message is an error with a reason. */
#ifndef OQ_VICI_H
#define OQ_VICI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits. charon itself refuses segments above 512 KiB. */
#define VICI_MAX_SEGMENT (512u * 1024u)
#define VICI_MAX_DEPTH 16		/* nested sections */
#define VICI_MAX_ELEMENTS 65536		/* elements in one message */
#define VICI_MAX_CHILDREN 1024		/* named entries in one section */
#define VICI_MAX_NAME 255
#define VICI_MAX_VALUE 65535

/* Packet types. */
enum vici_packet_type {
	VICI_CMD_REQUEST = 0,
	VICI_CMD_RESPONSE = 1,
	VICI_CMD_UNKNOWN = 2,
	VICI_EVENT_REGISTER = 3,
	VICI_EVENT_UNREGISTER = 4,
	VICI_EVENT_CONFIRM = 5,
	VICI_EVENT_UNKNOWN = 6,
	VICI_EVENT = 7,
};

/* Message element types. */
enum vici_element {
	VICI_SECTION_START = 1,
	VICI_SECTION_END = 2,
	VICI_KEY_VALUE = 3,
	VICI_LIST_START = 4,
	VICI_LIST_ITEM = 5,
	VICI_LIST_END = 6,
};

/* ---- decoded messages: a tree ---- */

enum vici_node_type { VICI_NODE_SECTION, VICI_NODE_VALUE, VICI_NODE_LIST };

/* One node of a decoded message. A section has children (sections, values,
 * lists); a list has children of type VALUE without a name; a value has a
 * blob. name and value are NUL-terminated copies (value may also contain NUL
 * bytes: len is exact). The root is an unnamed section. */
struct vici_node {
	enum vici_node_type type;
	char *name;			/* NULL for the root and list items */
	char *value;			/* VALUE only */
	size_t len;			/* length of value */
	struct vici_node *child;	/* first child */
	struct vici_node *last;		/* last child */
	struct vici_node *next;		/* next sibling */
	size_t n;			/* number of children */
};

/* Decode a message (the part of a packet after the name). Returns 0 and a
 * new tree in *out (free with vici_node_free), or -EBADMSG / -E2BIG with a
 * reason in *cause. */
int vici_decode(const uint8_t *buf, size_t len, struct vici_node **out, char **cause);
void vici_node_free(struct vici_node *n);

/* The child of a section with this name, or NULL. */
const struct vici_node *vici_get(const struct vici_node *sec, const char *name);
/* The string value of a key of a section, or NULL when absent or not a
 * value. Points into the tree. */
const char *vici_str(const struct vici_node *sec, const char *name);
/* A key of a section that is a value "yes" (true) or anything else. */
bool vici_yes(const struct vici_node *sec, const char *name);
/* A decimal number; false (and *out unchanged) when absent or malformed. */
bool vici_u64(const struct vici_node *sec, const char *name, uint64_t *out);

/* Print a tree in the form of `swanctl --raw` (for logs and tests); the
 * caller frees the result. */
char *vici_node_format(const struct vici_node *n);

/* ---- building messages ---- */

/* An encoder writing elements into a growing buffer. Mistakes (a name over
 * 255 bytes, a value over 65535, a key-value inside a list, unbalanced
 * ends, nesting too deep, a message over the segment limit) are sticky:
 * every later call does nothing and vici_builder_finish reports the first. */
struct vici_builder {
	uint8_t *buf;
	size_t len, cap;
	unsigned depth;
	bool in_list;
	char *error;			/* first mistake, or NULL */
};

void vici_builder_init(struct vici_builder *b);
void vici_builder_clear(struct vici_builder *b);
void vici_add_section(struct vici_builder *b, const char *name);
void vici_end_section(struct vici_builder *b);
void vici_add_kv(struct vici_builder *b, const char *name, const char *value);
void vici_add_kvb(struct vici_builder *b, const char *name, const void *value, size_t len);
void vici_add_kvf(struct vici_builder *b, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vici_add_list(struct vici_builder *b, const char *name);
void vici_add_item(struct vici_builder *b, const char *value);
void vici_add_itemb(struct vici_builder *b, const void *value, size_t len);
void vici_end_list(struct vici_builder *b);
/* Check that the message is complete; 0, or -EINVAL with the first mistake
 * in *cause. The message stays in b->buf / b->len (owned by b). */
int vici_builder_finish(struct vici_builder *b, char **cause);
/* Encode a decoded tree again (round trips). */
void vici_encode_node(struct vici_builder *b, const struct vici_node *n);

/* ---- packets ---- */

/* A decoded packet. name and msg point into the segment it came from. */
struct vici_packet {
	enum vici_packet_type type;
	char name[VICI_MAX_NAME + 1];	/* empty for unnamed types */
	const uint8_t *msg;
	size_t msg_len;
};

/* True for packet types that carry a name. */
bool vici_packet_named(enum vici_packet_type t);
/* Decode one segment (without its 4-byte length). Returns 0 or -EBADMSG
 * with the reason. */
int vici_packet_decode(const uint8_t *seg, size_t len, struct vici_packet *p, char **cause);
/* Encode a whole segment, length prefix included, into a new buffer the
 * caller frees. Returns 0 or -EINVAL/-E2BIG with the reason. */
int vici_packet_encode(enum vici_packet_type type, const char *name, const uint8_t *msg,
		       size_t msg_len, uint8_t **out, size_t *out_len, char **cause);

/* ---- the client ---- */

struct vici_conn;

/* Called for each event of a registered name while the client waits;
 * msg belongs to the client and lives only during the call. */
typedef void vici_event_fn(void *ctx, const char *event, const struct vici_node *msg);

/* Connect to charon's VICI socket. A missing socket or nobody listening is
 * -ENOENT/-ECONNREFUSED with "charon is not running at PATH". */
int vici_connect(const char *path, struct vici_conn **out, char **cause);
/* A client over a connected stream socket the caller already has (tests,
 * fuzzing); takes ownership of fd. */
struct vici_conn *vici_conn_from_fd(int fd, const char *name);
void vici_close(struct vici_conn *c);
/* The socket, for a caller's own poll() loop (readable: call
 * vici_dispatch with a timeout of 0). */
int vici_fd(const struct vici_conn *c);

/* Send a command and wait for its response at most timeout_ms, dispatching
 * events meanwhile. req may be NULL (empty message). On success *reply gets
 * the response (caller frees). An unknown command is -EOPNOTSUPP, a timeout
 * -ETIMEDOUT (the connection is then unusable: close it). */
int vici_call(struct vici_conn *c, const char *cmd, struct vici_builder *req, int timeout_ms,
	      struct vici_node **reply, char **cause);
/* vici_call, then check "success = yes"; charon's errmsg goes to *cause. */
int vici_call_ok(struct vici_conn *c, const char *cmd, struct vici_builder *req,
		 int timeout_ms, char **cause);
/* vici_call for commands whose answer is empty or has "success": fails only
 * on "success = no" (charon's errmsg in *cause). */
int vici_call_void(struct vici_conn *c, const char *cmd, struct vici_builder *req,
		   int timeout_ms, char **cause);
/* Register for (fn != NULL) or unregister from (fn NULL) an event. */
int vici_register(struct vici_conn *c, const char *event, vici_event_fn *fn, void *ctx,
		  int timeout_ms, char **cause);
/* Wait up to timeout_ms for events and dispatch them; returns the number
 * dispatched (0 on timeout) or -errno (-EPIPE when charon closed). */
int vici_dispatch(struct vici_conn *c, int timeout_ms, char **cause);

#endif
