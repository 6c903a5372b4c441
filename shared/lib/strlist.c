/* strlist: growable list of heap strings (see strlist.h). */
#include "strlist.h"

#include <stdlib.h>
#include <string.h>

void strlist_free(struct strlist *l)
{
	if (l->v) {
		for (size_t i = 0; i < l->n; i++)
			free(l->v[i]);
		free(l->v);
	}
	l->v = NULL;
	l->n = 0;
}

int strlist_touch(struct strlist *l)
{
	if (!l->v) {
		l->v = calloc(1, sizeof(char *));
		if (!l->v)
			return -1;
	}
	return 0;
}

int strlist_add(struct strlist *l, const char *s, size_t max)
{
	if (l->n >= max)
		return -1;
	/* room for the new entry and the terminating NULL */
	char **nv = realloc(l->v, (l->n + 2) * sizeof(char *));
	if (!nv)
		return -1;
	l->v = nv;
	l->v[l->n] = strdup(s);
	if (!l->v[l->n])
		return -1;
	l->n++;
	l->v[l->n] = NULL;
	return 0;
}

int strlist_copy(struct strlist *dst, const struct strlist *src)
{
	dst->v = NULL;
	dst->n = 0;
	if (!src->v)
		return 0;
	if (strlist_touch(dst) < 0)
		return -1;
	for (size_t i = 0; i < src->n; i++)
		if (strlist_add(dst, src->v[i], src->n) < 0)
			return -1;
	return 0;
}
