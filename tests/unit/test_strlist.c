/* strlist: the unset / set-empty / entries states, the entry cap, copies. */
#include <stdlib.h>
#include <string.h>

#include "strlist.h"
#include "t.h"

TEST(unset_touched_and_entries)
{
	struct strlist l = {0};
	CHECK(l.v == NULL);
	CHECK_EQ_INT(strlist_touch(&l), 0);
	CHECK(l.v != NULL);
	CHECK_EQ_INT(l.n, 0);
	CHECK(l.v[0] == NULL);
	CHECK_EQ_INT(strlist_add(&l, "a", 10), 0);
	CHECK_EQ_INT(strlist_add(&l, "bb", 10), 0);
	CHECK_EQ_INT(l.n, 2);
	CHECK_STR(l.v[0], "a");
	CHECK_STR(l.v[1], "bb");
	CHECK(l.v[2] == NULL); /* NULL-terminated for execve-style users */
	/* touching a set list keeps its entries */
	CHECK_EQ_INT(strlist_touch(&l), 0);
	CHECK_EQ_INT(l.n, 2);
	strlist_free(&l);
	CHECK(l.v == NULL);
	CHECK_EQ_INT(l.n, 0);
	strlist_free(&l); /* twice is harmless */
}

TEST(cap_is_enforced)
{
	struct strlist l = {0};
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(strlist_add(&l, "x", 3), 0);
	CHECK_EQ_INT(strlist_add(&l, "x", 3), -1);
	CHECK_EQ_INT(l.n, 3);
	strlist_free(&l);
}

TEST(copy_keeps_state)
{
	struct strlist src = {0}, dst;
	CHECK_EQ_INT(strlist_copy(&dst, &src), 0);
	CHECK(dst.v == NULL); /* unset stays unset */
	CHECK_EQ_INT(strlist_touch(&src), 0);
	CHECK_EQ_INT(strlist_copy(&dst, &src), 0);
	CHECK(dst.v != NULL); /* set-empty stays set */
	CHECK_EQ_INT(dst.n, 0);
	strlist_free(&dst);
	CHECK_EQ_INT(strlist_add(&src, "one", 5), 0);
	CHECK_EQ_INT(strlist_add(&src, "two", 5), 0);
	CHECK_EQ_INT(strlist_copy(&dst, &src), 0);
	CHECK_EQ_INT(dst.n, 2);
	CHECK_STR(dst.v[1], "two");
	CHECK(dst.v[0] != src.v[0]); /* deep */
	CHECK(dst.v[2] == NULL);
	strlist_free(&dst);
	strlist_free(&src);
}

int main(void)
{
	RUN(unset_touched_and_entries);
	RUN(cap_is_enforced);
	RUN(copy_keeps_state);
	return t_done();
}
