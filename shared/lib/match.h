/* match: OpenSSH-style patterns and address lists (sshd_config Match,
 * AllowUsers/DenyUsers, authorized_keys from=, algorithm lists). Pure
 * string functions, no SSH knowledge; every input may be hostile (bounded
 * work: the glob never backtracks more than once per star).
 *
 * match_pattern: * and ? wildcards, case-sensitive; 1 match, 0 not.
 * match_pattern_list: comma-separated patterns, "!" negates; 1 on a
 *   positive match, -1 if a negated pattern matched, 0 no match.
 *   dolower: compare case-insensitively (host names). Entries of 1024
 *   bytes or more never match.
 * match_addr_list: an address against addresses/CIDRs/wildcards with "!":
 *   same return convention; -2 if the list is malformed (bad CIDR, empty
 *   or overlong entry). addr NULL: only validates the list (0 or -2).
 * match_addr_list_valid: 1 if match_addr_list would not return -2.
 * match_user_pattern: "user" or "user@host" pattern (the host part matches
 *   the host name or the address, CIDR allowed). 1/0.
 *
 * Comma-separated lists, walked without copying:
 *   const char *cur = list, *item; size_t len;
 *   while (commalist_next(&cur, &item, &len)) ...
 * yields each entry in order (an empty one, as in "a,,b", too; a trailing
 * comma ends the list) and returns 0 when none is left.
 * commalist_copy: the entry as a C string into dst; -1 (dst untouched) if
 *   it does not fit (len >= cap). */
#ifndef SSHBOX_MATCH_H
#define SSHBOX_MATCH_H

int match_pattern(const char *s, const char *pattern);
int match_pattern_list(const char *s, const char *list, int dolower);
int match_addr_list(const char *addr, const char *list);
int match_addr_list_valid(const char *list);
int match_user_pattern(const char *user, const char *host, const char *addr, const char *pattern);

#include <stddef.h>
int commalist_next(const char **cursor, const char **item, size_t *len);
int commalist_copy(char *dst, size_t cap, const char *item, size_t len);

#endif
