/* core/sshkey: which lines of a key file the management login takes. The
 * keys were made with ssh-keygen (OpenSSH 9.2); the broken ones are those
 * keys with a byte cut, added or changed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/i18n.h"
#include "core/sshkey.h"
#include "core/util.h"

static const struct {
	const char *line;
	int want;		/* 1 blank, 0 key, -1 EPERM, -22 EINVAL */
	const char *type;	/* of a key read whole */
	unsigned bits;
	const char *what;
} cases[] = {
	{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIovoHtvAu/BWXj2vplwqGAUZ/lqFBdMNjjL"
		  "rh9iOOVr engineer@laptop",
	  0, "ssh-ed25519", 256, "an ed25519 key with a comment" },
	{ "  ssh-ed25519	AAAAC3NzaC1lZDI1NTE5AAAAIIovoHtvAu/BWXj2vplwqGAUZ/lqFBdMNj"
		  "jLrh9iOOVr",
	  0, "ssh-ed25519", 256, "white space around, no comment" },
	{ "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABB"
		  "BEp4jMwSbXap4M0L+5m/Osw+bFeyTY8xiKkB2ocV477wwIBltucU074T/uRaToTbOWlmSwAw"
		  "FvK+3UJFuN+SJjk=",
	  0, "ecdsa-sha2-nistp256", 256, "ecdsa p-256" },
	{ "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABh"
		  "BGBRwss4pyetJRoslmIrjOxEIkWIHbnnofyrSnkX4xVQF3a5IENO5q9A7tsT73ryDFALZ7mB"
		  "Vj4oKTwniI7Ry5lCW2HOGJBDnDWM2fkSCvvqnImZ3YxYBTAMbKvk1zwVZQ==",
	  0, "ecdsa-sha2-nistp384", 384, "ecdsa p-384" },
	{ "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACF"
		  "BAH4K+xRmWLt3Xi5BLBynE+YKW2RwKZ3OyvXVAGdMyCki/uHqNA7hvY1h7lDfehVczBdp81u"
		  "YBKXK0Y2brr69+Np7QFDDMv2ZBCIQi0ZvXgeW4ra0JqKwRB9UWFcBTZOjaO8uXITnSolqBuE"
		  "VI9Ain7PIt/lbgCKfpFjhcNG4nuD9tkM2Q== x",
	  0, "ecdsa-sha2-nistp521", 521, "ecdsa p-521" },
	{ "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCns8OH8il2aYtNRcqQ0WI082aqw0N7SE5R"
		  "7rJiyPlIhMucoT36KI90DWfJHdlmHtR35UGIxyWBsh+9fb7VKG0ldDTmMwcLMJWTqnKCfqtX"
		  "p2TNnQXZCX3AlYPhdbnRP5eV0wVtA1bM+j5hajqfIsmtBP1BwNVAJXclNDEuvbIaruGXhsdg"
		  "yK0HWkIQ9dElJ5w28WCCKzKUl/YKtc+fAvG2SoO4WZJBgJQNucipYu99CzVxaEQwQu5tqbZb"
		  "BDn9XjtcUlBuf9aOeSFQ/Yx8mJmqkirNTn+wW6o1QEbfmJJl40c4EuC1oqEgiVW/HyVTTnPk"
		  "of45nl97sQ2ig0DTj+qjqkk0NS5hxqoPz1wVcpEJ2tok835hdafmTsj6pBJ+pAhizAinlHST"
		  "uk3DxmS5/e30u5niL4BRkmHED+mCEs22HQAQhIuEN+M6m15UIbEYYJX5vx8TC2AWSX9C2vd1"
		  "6m0VX0csqRuPdtIG+bS5cBGACnmUIjtVmRtux5gRwHt2W9k= rsa",
	  0, "ssh-rsa", 3072, "rsa of 3072 bits" },
	{ "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7XLXt4DWlQgVFIxw0Cnoi0L9/pgOFa/pn"
		  "IqeXrHvaQO36DhbK9IKHVh8a8I4dDHrbVBe/H1QUlwwAxbbKClgOZEForXEirMSO4eOtsDOw"
		  "+oZnBloo3IhvtDHdAJ6MqJI1x/EfMkYOtOhSCLNmZ2Pkdbw7J2fzIasVQA8KFs1PQEHoApK/"
		  "2ODkzFWa9ovT+e1utRaVmWsp8u/2zQrwwILBzye01bA2/veW7y2SitI/wa2tZGhQdMmtz9U2"
		  "rpVmYywcxMflw3BUNV5ZLWSHrGpTUjzb1PDqxO7g0g+Iehpqr/LO7b41zB9E3/WYqypmUVRx"
		  "Uh+aTlfjhVByuZtnWCD5 rsa",
	  -22, "ssh-rsa", 2048, "rsa of 2048 bits is too short" },
	{ "",
	  1, "", 0, "blank" },
	{ "   # a comment",
	  1, "", 0, "comment" },
	{ "-----BEGIN OPENSSH PRIVATE KEY-----",
	  -1, "", 0, "a private key" },
	{ "-----BEGIN RSA PRIVATE KEY-----",
	  -1, "", 0, "a PEM private key" },
	{ "---- BEGIN SSH2 PUBLIC KEY ----",
	  -22, "", 0, "RFC 4716 form" },
	{ "from=\"192.168.10.0/24\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIovoHtvAu/BW"
		  "Xj2vplwqGAUZ/lqFBdMNjjLrh9iOOVr",
	  -22, "", 0, "options in front" },
	{ "no-pty,command=\"/bin/sh\" ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHA"
		  "yNTYAAAAIbmlzdHAyNTYAAABBBEp4jMwSbXap4M0L+5m/Osw+bFeyTY8xiKkB2ocV477wwIB"
		  "ltucU074T/uRaToTbOWlmSwAwFvK+3UJFuN+SJjk=",
	  -22, "", 0, "options in front, ecdsa" },
	{ "ssh-dss AAAAB3NzaC1kc3M=",
	  -22, "", 0, "dsa" },
	{ "ssh-ed25519-cert-v01@openssh.com AAAA",
	  -22, "", 0, "a certificate" },
	{ "sk-ssh-ed25519@openssh.com AAAA",
	  -22, "", 0, "a security-key type" },
	{ "hello world",
	  -22, "", 0, "not a key" },
	{ "ssh-ed25519",
	  -22, "", 0, "no base64" },
	{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIovoHtvAu/BWXj2vplwqGAUZ/lqFBdMNjjL"
		  "rh9!!!!=",
	  -22, "", 0, "bad base64" },
	{ "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIIovoHtvAu/BWXj2vplwqGAUZ/lqFBdMNjjLrh9i"
		  "OOVr",
	  -22, "", 0, "blob of another type" },
	{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIovoHtvAu/BWXj2vplwqGAUZ/lqFBdMNjjL"
		  "rh9iOOU=",
	  -22, "", 0, "blob one byte short" },
	{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIovoHtvAu/BWXj2vplwqGAUZ/lqFBdMNjjL"
		  "rh9iOOVrAA==",
	  -22, "", 0, "blob with a byte too many" },
	{ "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAzODQAAABB"
		  "BEp4jMwSbXap4M0L+5m/Osw+bFeyTY8xiKkB2ocV477wwIBltucU074T/uRaToTbOWlmSwAw"
		  "FvK+3UJFuN+SJjk=",
	  -22, "", 0, "curve of the blob not its type's" },
	{ "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABB"
		  "BEp4jMwSbXap4M0L+5m/Osw+bFeyTY8xiKkB2ocV477wwIBltucU074T/uRaToTbOWlmSwAw"
		  "FvK+3UJFuN+SJjk=",
	  -22, "", 0, "p-256 blob as p-384" },
};

static void test_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sshkey_info k;
		char *cause = NULL;
		int want = cases[i].want == -1 ? -EPERM : cases[i].want;
		int r = sshkey_parse_line(cases[i].line, &k, &cause);

		if (r != want)
			fail_msg("%s: got %d (%s), want %d", cases[i].what, r, cause ? cause : "-", want);
		if (r < 0 && (cause == NULL || cause[0] == '\0'))
			fail_msg("%s: refused without a reason", cases[i].what);
		if (r == 0 || (cases[i].bits && strcmp(k.type, cases[i].type) == 0)) {
			assert_string_equal(k.type, cases[i].type);
			assert_int_equal(k.bits, cases[i].bits);
		}
		if (r == 0)
			assert_int_equal(strspn(cases[i].line + k.b64_off, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						"abcdefghijklmnopqrstuvwxyz0123456789+/="), k.b64_len);
		free(cause);
	}
}

/* The reasons name what is wrong, so the user can mend the line. */
static void test_reasons(void **state)
{
	static const struct {
		const char *line, *says;
	} says[] = {
		{ "-----BEGIN OPENSSH PRIVATE KEY-----", "private key" },
		{ "from=\"10.0.0.0/8\" ssh-ed25519 AAAA", "options" },
		{ "ssh-dss AAAA", "ssh-dss" },
		{ "ssh-ed25519-cert-v01@openssh.com AAAA", "not accepted" },
		{ "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIMpTy1n0EbOKXwO2gL2xWGz97GeOXUcDsp2wMv4z+qhB",
		  "not a key of type ssh-rsa" },
	};

	(void)state;
	i18n_set_lang(OQ_LANG_EN);
	for (size_t i = 0; i < ARRAY_SIZE(says); i++) {
		struct sshkey_info k;
		char *cause = NULL;
		assert_true(sshkey_parse_line(says[i].line, &k, &cause) < 0);
		if (strstr(cause, says[i].says) == NULL)
			fail_msg("'%s': '%s' does not say '%s'", says[i].line, cause, says[i].says);
		free(cause);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_reasons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
