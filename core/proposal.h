/* strongSwan algorithm proposals ("aes256-sha256-modp2048"), checked the way
 * charon would check them before it is ever asked. */
#ifndef OQ_PROPOSAL_H
#define OQ_PROPOSAL_H

#include <stdbool.h>

/* Check a comma separated list of proposals for IKE (ike = true) or ESP.
 * On a problem returns false with *cause (caller frees) naming the bad
 * keyword and, where one is close, the keyword meant. */
bool proposals_check(const char *list, bool ike, char **cause);

#endif
