/* strongSwan algorithm proposals ("aes256-sha256-modp2048"), checked the way
 * charon would check them before it is ever asked. The keywords are one
 * table (strongSwan 5.9's, the charon of Debian 12, plus those strongSwan 6
 * added, which are refused with that reason); the rules are charon's. */
#ifndef OQ_PROPOSAL_H
#define OQ_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>

/* The transform type a keyword names. */
enum proposal_type { P_ENCR, P_INTEG, P_PRF, P_KE, P_ESN };

/* Keyword flags. */
#define PK_AEAD 0x1		/* combined-mode cipher: needs no integrity algorithm */
#define PK_GIVES_PRF 0x2	/* an IKE proposal without a PRF takes the matching one */
#define PK_NONE 0x4		/* "no key exchange": does not count as a DH group in IKE */
#define PK_V6 0x8		/* strongSwan 6.0 or later only */

struct proposal_keyword {
	const char *name;	/* as written in a proposal */
	enum proposal_type type;
	const char *algorithm;	/* strongSwan's name of the transform ("ENCR_AES_CBC") */
	unsigned key_size;	/* bits, 0 when fixed by the algorithm */
	unsigned flags;		/* PK_* */
};

/* The keyword table, sorted by name. Points to static data. */
size_t proposal_keyword_count(void);
const struct proposal_keyword *proposal_keyword_at(size_t i);
/* The keyword called name (exact, as charon matches it) or NULL. */
const struct proposal_keyword *proposal_keyword_find(const char *name);
/* "ENCR", "INTEG", "PRF", "KE", "ESN". */
const char *proposal_type_name(enum proposal_type t);

/* Check one proposal ("aes256-sha256-modp2048" or "default") for IKE
 * (ike = true) or ESP. On a problem returns false with *cause (caller
 * frees) naming the bad keyword and, where one is close, the keyword
 * meant. */
bool proposal_check(const char *proposal, bool ike, char **cause);

/* proposal_check(), and then oqlink's own rules: no 'null' encryption, and
 * no classic cipher without an integrity algorithm (ESP without integrity
 * is valid to charon, but tampering would go unnoticed). */
bool proposal_allowed(const char *proposal, bool ike, char **cause);

/* Check a comma separated list of proposals, each as proposal_allowed(). */
bool proposals_check(const char *list, bool ike, char **cause);

#endif
