/* libFuzzer target for the VICI client's side of the stream: the input is
 * whatever charon might send on the socket (length-prefixed segments,
 * events, responses, garbage, cut anywhere). The client must answer a call
 * with a reply or an error, dispatch only well-formed events, and never
 * crash, over-read or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipsec/vici.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_event(void *ctx, const char *event, const struct vici_node *msg)
{
	char *text = vici_node_format(msg);

	(*(size_t *)ctx) += strlen(text) + strlen(event);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	struct vici_conn *c;
	struct vici_node *reply = NULL;
	char *cause = NULL;
	size_t seen = 0;

	if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	/* the first byte picks the command; the rest is charon's side */
	if (size && write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1)) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	c = vici_conn_from_fd(sv[0], "fuzz");
	/* the registration is answered by the first packet of the input */
	if (vici_register(c, "log", on_event, &seen, 50, &cause) == 0) {
		if (size && data[0] & 1)
			vici_call(c, "list-sas", NULL, 50, &reply, &cause);
		else
			vici_dispatch(c, 0, &cause);
	}
	vici_node_free(reply);
	free(cause);
	vici_close(c);
	close(sv[1]);
	return 0;
}
