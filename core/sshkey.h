/* OpenSSH public keys as the management login takes them ([lan] ssh_keys):
 * one key a line, "TYPE BASE64 [COMMENT]", of an accepted type and size,
 * with no options in front. The blob is decoded (libresolv's b64_pton) and
 * its wire form (RFC 4253 6.6, RFC 5656 3.1, RFC 8709) read far enough to
 * know its type and size; nothing here is cryptography. No library types. */
#ifndef OQ_CORE_SSHKEY_H
#define OQ_CORE_SSHKEY_H

#include <stdbool.h>
#include <stddef.h>

#define SSHKEY_RSA_MIN_BITS 3072
#define SSHKEY_FILE_MAX (256 * 1024)	/* the most a key file may hold */

/* What a key line holds. */
struct sshkey_info {
	char type[32];		/* "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa" */
	unsigned bits;		/* 256 for ed25519, the curve's size, the modulus's */
	size_t b64_off, b64_len;	/* where its base64 is in the line */
};

/* Read one line of a key file. Returns 1 for a blank line or a comment
 * ("#..."), 0 for a key of an accepted type (ssh-ed25519,
 * ecdsa-sha2-nistp256/384/521, ssh-rsa of SSHKEY_RSA_MIN_BITS bits or
 * more) with *out filled, -EPERM with a sentence in *cause (the caller
 * frees it) for a line of a private key (the rest of such a file is no
 * use), or -EINVAL with a sentence for anything else: options before the
 * key, a type that is not accepted, a blob that is not the key its type
 * says, a short RSA key. */
int sshkey_parse_line(const char *line, struct sshkey_info *out, char **cause);

#endif
