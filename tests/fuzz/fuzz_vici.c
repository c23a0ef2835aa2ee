/* libFuzzer target for the VICI decoder: a whole segment (packet type,
 * name, message) as charon would send it. Whatever the bytes, decoding must
 * end with a tree or an error, never a crash, an over-read or a leak; a
 * tree that decodes must encode again to the same message bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipsec/vici.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vici_packet p;
	struct vici_node *n;
	struct vici_builder b;
	char *cause = NULL;

	if (vici_packet_decode(data, size, &p, &cause) < 0) {
		free(cause);
		return 0;
	}
	if (vici_decode(p.msg, p.msg_len, &n, &cause) < 0) {
		free(cause);
		return 0;
	}
	vici_builder_init(&b);
	vici_encode_node(&b, n);
	if (vici_builder_finish(&b, &cause) == 0 &&
	    (b.len != p.msg_len || (b.len && memcmp(b.buf, p.msg, b.len) != 0)))
		abort();
	free(cause);
	free(vici_node_format(n));
	vici_builder_clear(&b);
	vici_node_free(n);
	return 0;
}
