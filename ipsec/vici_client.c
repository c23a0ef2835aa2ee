/* A synchronous VICI client on poll(): one command in flight, events
 * dispatched while it waits, a deadline on every wait. It fits a
 * single-threaded loop: vici_fd() can join the caller's poll set. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/util.h"
#include "ipsec/vici.h"

#define MAX_HANDLERS 16

struct handler {
	char name[VICI_MAX_NAME + 1];
	vici_event_fn *fn;
	void *ctx;
};

struct vici_conn {
	int fd;
	char *path;
	bool broken;			/* a timeout or protocol error: stop using it */
	uint8_t *rbuf;			/* bytes received, not yet a whole segment */
	size_t rlen, rcap;
	struct handler handlers[MAX_HANDLERS];
	size_t n_handlers;
};

int vici_connect(const char *path, struct vici_conn **out, char **cause)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct vici_conn *c;
	int fd, err;

	*out = NULL;
	if (strlen(path) >= sizeof(sun.sun_path))
		return cause_set(cause, ENAMETOOLONG, _("VICI ソケットのパスが長すぎます: %s",
							"the VICI socket path is too long: %s"), path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cause_set(cause, errno, "socket: %s", i18n_strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = errno;
		close(fd);
		if (err == ENOENT || err == ECONNREFUSED || err == ENOTSOCK)
			return cause_set(cause, err,
					 _("charon が %s で動いていません (%s)。strongSwan の charon を起動してください",
					   "charon is not running at %s (%s); start strongSwan's charon"),
					 path, i18n_strerror(err));
		return cause_set(cause, err, _("%s に接続できません: %s",
					       "cannot connect to %s: %s"), path, i18n_strerror(err));
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->path = xstrdup(path);
	*out = c;
	return 0;
}

struct vici_conn *vici_conn_from_fd(int fd, const char *name)
{
	struct vici_conn *c = xcalloc(1, sizeof(*c));

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->fd = fd;
	c->path = xstrdup(name);
	return c;
}

void vici_close(struct vici_conn *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->path);
	free(c->rbuf);
	free(c);
}

int vici_fd(const struct vici_conn *c)
{
	return c->fd;
}

/* Milliseconds left until deadline (never negative); -1 means forever. */
static int left_ms(int64_t deadline)
{
	int64_t l;

	if (deadline < 0)
		return -1;
	l = deadline - now_ms();
	return l < 0 ? 0 : l > 0x7fffffff ? 0x7fffffff : (int)l;
}

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

static int timed_out(struct vici_conn *c, char **cause)
{
	c->broken = true;
	return cause_set(cause, ETIMEDOUT, _("charon (%s) が時間内に応答しませんでした",
					     "charon (%s) did not answer in time"), c->path);
}

/* Write all of buf before the deadline. */
static int send_all(struct vici_conn *c, const uint8_t *buf, size_t len, int64_t deadline,
		    char **cause)
{
	while (len > 0) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n, len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			c->broken = true;
			return cause_set(cause, errno, _("charon への送信に失敗しました: %s",
							 "sending to charon failed: %s"),
					 i18n_strerror(errno));
		}
		struct pollfd p = { c->fd, POLLOUT, 0 };
		int r = poll(&p, 1, left_ms(deadline));
		if (r == 0)
			return timed_out(c, cause);
		if (r < 0 && errno != EINTR)
			return cause_set(cause, errno, "poll: %s", i18n_strerror(errno));
	}
	return 0;
}

static int send_packet(struct vici_conn *c, enum vici_packet_type type, const char *name,
		       const uint8_t *msg, size_t len, int64_t deadline, char **cause)
{
	uint8_t *buf;
	size_t blen;
	int r;

	r = vici_packet_encode(type, name, msg, len, &buf, &blen, cause);
	if (r == 0) {
		r = send_all(c, buf, blen, deadline, cause);
		explicit_bzero(buf, blen);
	}
	free(buf);
	return r;
}

/* The length of the first whole segment in rbuf, 0 when incomplete, or
 * -EBADMSG for a length charon would never send. */
static int64_t whole_segment(struct vici_conn *c, char **cause)
{
	uint32_t len;

	if (c->rlen < 4)
		return 0;
	len = (uint32_t)c->rbuf[0] << 24 | (uint32_t)c->rbuf[1] << 16 |
	      (uint32_t)c->rbuf[2] << 8 | c->rbuf[3];
	if (len == 0 || len > VICI_MAX_SEGMENT) {
		c->broken = true;
		return cause_set(cause, EBADMSG, _("charon から不正な長さ %u のパケットを受け取りました",
						   "received a packet of bad length %u from charon"),
				 len);
	}
	return c->rlen - 4 >= len ? (int64_t)len : 0;
}

/* Read whatever is available (waiting until deadline for the first byte).
 * Returns 0 when something was read, -ETIMEDOUT (not broken: the caller
 * decides) or -errno. */
static int read_some(struct vici_conn *c, int64_t deadline, char **cause)
{
	for (;;) {
		if (c->rcap - c->rlen < 4096) {
			c->rcap = c->rcap ? c->rcap * 2 : 8192;
			if (c->rcap > VICI_MAX_SEGMENT + 8192)
				c->rcap = VICI_MAX_SEGMENT + 8192;
			c->rbuf = xrealloc(c->rbuf, c->rcap);
		}
		ssize_t n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
		if (n > 0) {
			c->rlen += (size_t)n;
			return 0;
		}
		if (n == 0) {
			c->broken = true;
			return cause_set(cause, EPIPE, _("charon が接続を閉じました (%s)",
							 "charon closed the connection (%s)"), c->path);
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return cause_set(cause, errno, "recv: %s", i18n_strerror(errno));
		struct pollfd p = { c->fd, POLLIN, 0 };
		int r = poll(&p, 1, left_ms(deadline));
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0 && errno != EINTR)
			return cause_set(cause, errno, "poll: %s", i18n_strerror(errno));
	}
}

/* Receive the next packet before the deadline into *p; the message it
 * points to is valid until the next receive (*seg is the segment, which the
 * caller frees). */
static int recv_packet(struct vici_conn *c, int64_t deadline, struct vici_packet *p,
		       uint8_t **seg, char **cause)
{
	int64_t len;
	int r;

	*seg = NULL;
	while ((len = whole_segment(c, cause)) == 0) {
		r = read_some(c, deadline, cause);
		if (r < 0)
			return r;
	}
	if (len < 0)
		return (int)len;
	*seg = xmalloc((size_t)len);
	memcpy(*seg, c->rbuf + 4, (size_t)len);
	memmove(c->rbuf, c->rbuf + 4 + len, c->rlen - 4 - (size_t)len);
	c->rlen -= 4 + (size_t)len;
	r = vici_packet_decode(*seg, (size_t)len, p, cause);
	if (r < 0) {
		c->broken = true;
		free(*seg);
		*seg = NULL;
	}
	return r;
}

static struct handler *find_handler(struct vici_conn *c, const char *name)
{
	for (size_t i = 0; i < c->n_handlers; i++)
		if (strcmp(c->handlers[i].name, name) == 0)
			return &c->handlers[i];
	return NULL;
}

/* Hand an event packet to its handler; events nobody registered for and
 * events that do not decode are dropped (they do not break the stream). */
static void dispatch_event(struct vici_conn *c, const struct vici_packet *p)
{
	struct handler *h = find_handler(c, p->name);
	struct vici_node *msg;

	if (h == NULL || h->fn == NULL)
		return;
	if (vici_decode(p->msg, p->msg_len, &msg, NULL) < 0)
		return;
	h->fn(h->ctx, p->name, msg);
	vici_node_free(msg);
}

/* Wait for a packet that is not an event, dispatching events meanwhile. */
static int await_reply(struct vici_conn *c, int64_t deadline, struct vici_packet *p,
		       uint8_t **seg, char **cause)
{
	for (;;) {
		int r = recv_packet(c, deadline, p, seg, cause);
		if (r == -ETIMEDOUT)
			return timed_out(c, cause);
		if (r < 0)
			return r;
		if (p->type != VICI_EVENT)
			return 0;
		dispatch_event(c, p);
		free(*seg);
		*seg = NULL;
	}
}

static int check_usable(struct vici_conn *c, char **cause)
{
	if (c->broken)
		return cause_set(cause, EPIPE, _("charon との接続は使えない状態です (%s)",
						 "the connection to charon is no longer usable (%s)"),
				 c->path);
	return 0;
}

int vici_call(struct vici_conn *c, const char *cmd, struct vici_builder *req, int timeout_ms,
	      struct vici_node **reply, char **cause)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct vici_packet p;
	uint8_t *seg = NULL;
	int r;

	*reply = NULL;
	if ((r = check_usable(c, cause)) < 0)
		return r;
	if (req && (r = vici_builder_finish(req, cause)) < 0)
		return r;
	r = send_packet(c, VICI_CMD_REQUEST, cmd, req ? req->buf : NULL, req ? req->len : 0,
			deadline, cause);
	if (r == 0)
		r = await_reply(c, deadline, &p, &seg, cause);
	if (r < 0)
		goto out;
	switch (p.type) {
	case VICI_CMD_RESPONSE:
		r = vici_decode(p.msg, p.msg_len, reply, cause);
		if (r < 0)
			c->broken = true;
		break;
	case VICI_CMD_UNKNOWN:
		r = cause_set(cause, EOPNOTSUPP, _("charon はコマンド '%s' を知りません",
						   "charon does not know the command '%s'"), cmd);
		break;
	default:
		c->broken = true;
		r = cause_set(cause, EBADMSG, _("予期しない種類 %u のパケットを '%s' への応答として受け取りました",
						"unexpected packet of type %u in answer to '%s'"),
			      p.type, cmd);
		break;
	}
out:
	free(seg);
	return r;
}

int vici_call_ok(struct vici_conn *c, const char *cmd, struct vici_builder *req,
		 int timeout_ms, char **cause)
{
	struct vici_node *reply;
	int r = vici_call(c, cmd, req, timeout_ms, &reply, cause);

	if (r < 0)
		return r;
	if (!vici_yes(reply, "success")) {
		const char *e = vici_str(reply, "errmsg");
		r = cause_set(cause, EIO, _("charon が '%s' を拒否しました: %s",
					    "charon refused '%s': %s"), cmd, e ? e : "?");
	}
	vici_node_free(reply);
	return r;
}

int vici_call_void(struct vici_conn *c, const char *cmd, struct vici_builder *req,
		   int timeout_ms, char **cause)
{
	struct vici_node *reply;
	int r = vici_call(c, cmd, req, timeout_ms, &reply, cause);

	if (r < 0)
		return r;
	if (vici_str(reply, "success") && !vici_yes(reply, "success")) {
		const char *e = vici_str(reply, "errmsg");
		r = cause_set(cause, EIO, _("charon が '%s' を拒否しました: %s",
					    "charon refused '%s': %s"), cmd, e ? e : "?");
	}
	vici_node_free(reply);
	return r;
}

int vici_register(struct vici_conn *c, const char *event, vici_event_fn *fn, void *ctx,
		  int timeout_ms, char **cause)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct handler *h = find_handler(c, event);
	struct vici_packet p;
	uint8_t *seg = NULL;
	int r;

	if ((r = check_usable(c, cause)) < 0)
		return r;
	if (fn && h == NULL && c->n_handlers == MAX_HANDLERS)
		return cause_set(cause, ENOSPC, "too many event registrations");
	if (strlen(event) > VICI_MAX_NAME)
		return cause_set(cause, EINVAL, "event name too long");
	r = send_packet(c, fn ? VICI_EVENT_REGISTER : VICI_EVENT_UNREGISTER, event, NULL, 0,
			deadline, cause);
	/* Install the handler first: charon may send the first event right
	 * after its confirmation, or (for unregister) before it. */
	if (r == 0 && fn) {
		if (h == NULL) {
			h = &c->handlers[c->n_handlers++];
			snprintf(h->name, sizeof(h->name), "%s", event);
		}
		h->fn = fn;
		h->ctx = ctx;
	}
	if (r == 0)
		r = await_reply(c, deadline, &p, &seg, cause);
	if (r == 0 && p.type == VICI_EVENT_UNKNOWN)
		r = cause_set(cause, ENOENT, _("charon にはイベント '%s' がありません",
					       "charon has no event '%s'"), event);
	else if (r == 0 && p.type != VICI_EVENT_CONFIRM) {
		c->broken = true;
		r = cause_set(cause, EBADMSG, "unexpected packet of type %u in answer to "
			      "registering '%s'", p.type, event);
	}
	if ((r < 0 && fn) || !fn) {
		h = find_handler(c, event);
		if (h) {
			*h = c->handlers[--c->n_handlers];
		}
	}
	free(seg);
	return r;
}

int vici_dispatch(struct vici_conn *c, int timeout_ms, char **cause)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct vici_packet p;
	uint8_t *seg;
	int r, n = 0;

	if ((r = check_usable(c, cause)) < 0)
		return r;
	for (;;) {
		/* after the first packet, take only what is already here */
		r = recv_packet(c, n ? now_ms() : deadline, &p, &seg, cause);
		if (r == -ETIMEDOUT)
			return n;
		if (r < 0)
			return r;
		if (p.type == VICI_EVENT) {
			dispatch_event(c, &p);
			n++;
		}
		free(seg);
	}
}
