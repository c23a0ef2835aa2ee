/* libFuzzer target: everything a probe parses from the outside. The first
 * byte picks the parser: recorded probe JSON (read, written, read again:
 * the two writes must agree), an ICMP packet (ICMPv4 with its IP header, an
 * ICMPv6 message, a router advertisement), a captured IPv4 packet, an SNTP
 * reply, an ARP reply, an HTTP status line or URL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/util.h"
#include "probes/capture.h"
#include "probes/clock.h"
#include "probes/ipv6.h"
#include "probes/net.h"
#include "probes/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_json(const char *text)
{
	struct json_object *o = json_tokener_parse(text), *o2, *o3;
	struct probe_run run, back;
	char *cause = NULL;

	if (o == NULL)
		return;
	if (probe_run_from_json(o, &run, &cause) == 0) {
		o2 = probe_run_to_json(&run);
		if (probe_run_from_json(o2, &back, NULL) != 0)
			abort();	/* what we write we must read back */
		o3 = probe_run_to_json(&back);
		if (strcmp(json_object_to_json_string(o2), json_object_to_json_string(o3)) != 0)
			abort();
		json_object_put(o2);
		json_object_put(o3);
		probe_run_free(&back);
		probe_run_free(&run);
	}
	free(cause);
	json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	struct icmp_parsed ip;
	struct ra_info ra;
	struct cap_counts c = { 0 };
	struct sntp_reply rep;
	const char *why;
	uint8_t mac[6], own[6] = { 0 };
	int code;
	char *host, *path;
	unsigned port;

	if (size < 1)
		return 0;
	text = xmalloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0:
		fuzz_json(text);
		break;
	case 1:
		icmp4_parse(data + 1, size - 1, &ip);
		icmp6_parse(data + 1, size - 1, &ip);
		ra_parse(data + 1, size - 1, &ra);
		break;
	case 2:
		cap_count(data + 1, size - 1, 0x0100a8c0, &c);
		break;
	case 3:
		sntp_parse(data + 1, size - 1, 0, &rep, &why);
		break;
	case 4:
		arp_parse_reply(data + 1, size - 1, 0, own, mac);
		break;
	default:
		http_status_parse(text, &code);
		if (http_url_parse(text, &host, &port, &path)) {
			free(host);
			free(path);
		}
		break;
	}
	free(text);
	return 0;
}
