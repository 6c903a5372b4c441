/* strlist: a growable, NULL-terminated list of heap strings.
 *
 * A list has three states that callers (the config) tell apart:
 *   v == NULL          unset (never touched)
 *   v != NULL, n == 0  explicitly set to nothing (e.g. "none")
 *   n > 0              entries v[0..n-1], v[n] == NULL
 * Every function leaves the list valid on failure (what was added stays,
 * strlist_free releases it). No SSH knowledge. */
#ifndef SSHBOX_STRLIST_H
#define SSHBOX_STRLIST_H

#include <stddef.h>

struct strlist {
	char **v;
	size_t n;
};

/* Frees every entry and the vector; the list becomes unset. NULL-safe on v. */
void strlist_free(struct strlist *l);
/* Marks the list as set (allocates an empty vector) if it is unset.
 * 0, or -1 out of memory. */
int strlist_touch(struct strlist *l);
/* Appends a copy of s. -1 if the list already holds max entries or out of
 * memory. */
int strlist_add(struct strlist *l, const char *s, size_t max);
/* dst becomes a deep copy of src (unset stays unset). dst's old contents
 * are not freed. -1 out of memory (dst is then partly filled: free it). */
int strlist_copy(struct strlist *dst, const struct strlist *src);

#endif
