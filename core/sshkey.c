/* OpenSSH public key lines: type and size from the decoded blob. */
#include "core/sshkey.h"

#include <errno.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/util.h"

#define SSHKEY_MAX_B64 16384	/* an RSA key of 16384 bits is under 3000 */

/* The types a line may start with: those taken, and what each is. */
static const struct {
	const char *type;
	const char *curve;	/* ecdsa: the curve name in the blob */
	unsigned bits;		/* 0: read from the blob (RSA) */
	size_t point;		/* ed25519: key length; ecdsa: point length */
} accepted[] = {
	{ "ecdsa-sha2-nistp256", "nistp256", 256, 65 },
	{ "ecdsa-sha2-nistp384", "nistp384", 384, 97 },
	{ "ecdsa-sha2-nistp521", "nistp521", 521, 133 },
	{ "ssh-ed25519", NULL, 256, 32 },
	{ "ssh-rsa", NULL, 0, 0 },
};

/* Types OpenSSH knows that the management login does not take. */
static bool known_refused(const char *w, size_t n)
{
	static const char *const refused[] = {
		"ssh-dss", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
	};
	static const char cert[] = "-cert-v01@openssh.com";

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		if (strlen(refused[i]) == n && memcmp(refused[i], w, n) == 0)
			return true;
	return n > sizeof(cert) - 1 && memcmp(w + n - (sizeof(cert) - 1), cert, sizeof(cert) - 1) == 0;
}

/* The index in accepted[] of the word w (n bytes), or -1. */
static int accepted_index(const char *w, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(accepted); i++)
		if (strlen(accepted[i].type) == n && memcmp(accepted[i].type, w, n) == 0)
			return (int)i;
	return -1;
}

/* The blob, read as SSH wire strings (uint32 length, then the bytes). */
struct wire {
	const unsigned char *p;
	size_t n;
};

static bool wire_string(struct wire *w, const unsigned char **s, size_t *len)
{
	uint32_t l;

	if (w->n < 4)
		return false;
	memcpy(&l, w->p, 4);
	l = ntohl(l);
	if (l > w->n - 4)
		return false;
	*s = w->p + 4;
	*len = l;
	w->p += 4 + l;
	w->n -= 4 + l;
	return true;
}

static bool wire_is(const unsigned char *s, size_t len, const char *text)
{
	return len == strlen(text) && memcmp(s, text, len) == 0;
}

/* The bits of an RSA blob's modulus (after its type), 0 when it is not a
 * positive mpint e followed by a positive mpint n and nothing else. */
static unsigned rsa_bits(struct wire *w)
{
	const unsigned char *e, *n;
	size_t el, nl;
	unsigned bits;

	if (!wire_string(w, &e, &el) || !wire_string(w, &n, &nl) || w->n != 0 || el == 0 ||
	    (e[0] & 0x80) || nl == 0 || (n[0] & 0x80))
		return 0;
	while (nl > 0 && n[0] == 0) {
		n++;
		nl--;
	}
	if (nl == 0 || nl > 8192)
		return 0;
	bits = (unsigned)(nl - 1) * 8;
	for (unsigned b = n[0]; b; b >>= 1)
		bits++;
	return bits;
}

/* Does the blob hold a key of accepted[k]? Sets *bits. */
static bool blob_ok(const unsigned char *blob, size_t len, int k, unsigned *bits)
{
	struct wire w = { blob, len };
	const unsigned char *s, *q;
	size_t sl, ql;

	if (!wire_string(&w, &s, &sl) || !wire_is(s, sl, accepted[k].type))
		return false;
	if (accepted[k].bits == 0) {
		*bits = rsa_bits(&w);
		return *bits > 0;
	}
	*bits = accepted[k].bits;
	if (accepted[k].curve && (!wire_string(&w, &s, &sl) || !wire_is(s, sl, accepted[k].curve)))
		return false;
	if (!wire_string(&w, &q, &ql) || ql != accepted[k].point || w.n != 0)
		return false;
	return accepted[k].curve == NULL || q[0] == 0x04;	/* an uncompressed point */
}

/* The next word of s (from *pos): its start and length; false at the end. */
static bool next_word(const char *s, size_t *pos, const char **w, size_t *n)
{
	size_t i = *pos + strspn(s + *pos, " \t");

	if (s[i] == '\0' || s[i] == '\n' || s[i] == '\r')
		return false;
	*w = s + i;
	*n = strcspn(s + i, " \t\r\n");
	*pos = i + *n;
	return true;
}

int sshkey_parse_line(const char *line, struct sshkey_info *out, char **cause)
{
	size_t pos = 0, tn, bn;
	const char *t, *b, *w;
	unsigned char *blob;
	char *b64;
	int k, len;

	memset(out, 0, sizeof(*out));
	if (!next_word(line, &pos, &t, &tn) || t[0] == '#')
		return 1;
	if (strncmp(t, "-----BEGIN", 10) == 0 || strncmp(t, "PuTTY-User-Key-File", 19) == 0 ||
	    strncmp(t, "openssh-key-v1", 14) == 0)
		return cause_set(cause, EPERM, "%s",
				 _("秘密鍵です。公開鍵 (.pub のファイルの行) だけを書いてください",
				   "this is a private key: give public keys only (the line of the .pub file)"));
	if (strncmp(t, "----", 4) == 0)
		return cause_set(cause, EINVAL, "%s",
				 _("OpenSSH の形式ではありません (ssh-keygen -i -f で変換してください)",
				   "not in OpenSSH format (convert it with ssh-keygen -i -f)"));
	if ((k = accepted_index(t, tn)) < 0) {
		char *type = xstrndup(t, tn < 64 ? tn : 64), *clean;
		int r;
		size_t p2 = pos;
		bool later = false;
		while (!later && next_word(line, &p2, &w, &bn))
			later = accepted_index(w, bn) >= 0 || known_refused(w, bn);
		clean = str_sanitize(type);
		if (later)
			r = cause_set(cause, EINVAL, "%s",
				      _("鍵の前にオプションは書けません (行は鍵の種類から始めてください)",
					"options before the key are not accepted (start the line with the key type)"));
		else if (known_refused(t, tn))
			r = cause_set(cause, EINVAL,
				      _("鍵の種類 %s は使えません (ssh-ed25519、ecdsa-sha2-nistp256/384/521、%u ビット以上の ssh-rsa)",
					"key type %s is not accepted (ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa of %u bits or more)"),
				      clean, SSHKEY_RSA_MIN_BITS);
		else
			r = cause_set(cause, EINVAL,
				      _("OpenSSH の公開鍵ではありません ('%s' は鍵の種類ではありません)",
					"not an OpenSSH public key ('%s' is not a key type)"), clean);
		free(type);
		free(clean);
		return r;
	}
	if (!next_word(line, &pos, &b, &bn))
		return cause_set(cause, EINVAL, "%s", _("鍵の本体 (base64) がありません",
						       "the key's base64 is missing"));
	if (bn > SSHKEY_MAX_B64)
		return cause_set(cause, EINVAL, "%s", _("鍵が長すぎます", "the key is too long"));
	b64 = xstrndup(b, bn);
	blob = xmalloc(bn);
	len = b64_pton(b64, blob, bn);
	free(b64);
	if (len <= 0 || !blob_ok(blob, (size_t)len, k, &out->bits)) {
		free(blob);
		return cause_set(cause, EINVAL, _("base64 の中身が %s の鍵ではありません",
						  "the base64 is not a key of type %s"), accepted[k].type);
	}
	free(blob);
	snprintf(out->type, sizeof(out->type), "%s", accepted[k].type);
	out->b64_off = (size_t)(b - line);
	out->b64_len = bn;
	if (accepted[k].bits == 0 && out->bits < SSHKEY_RSA_MIN_BITS)
		return cause_set(cause, EINVAL, _("RSA の鍵が %u ビットです (%u ビット以上にしてください)",
						  "the RSA key has %u bits (at least %u are needed)"),
				 out->bits, SSHKEY_RSA_MIN_BITS);
	return 0;
}
