/* Print the site fuzzer's libFuzzer dictionary (-dict=): every section
 * header and key name, read from the key table itself, and the bytes and
 * words that decide how a line is read. */
#include <stdio.h>
#include <string.h>

#include "core/site.h"

int main(void)
{
	static const char *const extra[] = {
		/* libFuzzer's escapes: \\, \" and \xAB only */
		" = ", "\\x0a", "\\x0a  ", "\\x09", "\\x0d\\x0a", "#", ";", ":", ",", "/", "[",
		"]", ".", "..", "\\\"", "\\\\", "*", "dhcp", "none", "ra", "ipsec", "ipvpn", "psk",
		"pubkey", "separate", "lan", "ipoe", "pd", "yes", "no", "tcp/", "udp/", "http://",
		"https://", "/etc/oqlink/",
		"192.0.2.0/24", "2001:db8::/32", "\\xef\\xbb\\xbf", "\\xff", "\\xc2\\x9b", "\\x9b",
		"\\x1b[", "\\xc0\\xaf", "\\xed\\xa0\\x80",
	};
	const char *last = "";

	for (size_t i = 0; i < site_key_count(); i++) {
		const char *section, *key;
		site_key_at(i, &section, &key);
		if (strcmp(section, last) != 0) {
			printf("\"[%s]\"\n", section);
			if (strcmp(section, "probe.tls") == 0)
				printf("\"[%s.\"\n", section);
			last = section;
		}
		printf("\"%s\"\n", key);
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		printf("\"%s\"\n", extra[i]);
	return 0;
}
