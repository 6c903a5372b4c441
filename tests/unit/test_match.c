/* match: glob patterns, pattern lists with negation, CIDR address lists. */
#include <string.h>

#include "match.h"
#include "t.h"

TEST(glob)
{
	CHECK_EQ_INT(match_pattern("alice", "alice"), 1);
	CHECK_EQ_INT(match_pattern("alice", "al*"), 1);
	CHECK_EQ_INT(match_pattern("alice", "*e"), 1);
	CHECK_EQ_INT(match_pattern("alice", "?lice"), 1);
	CHECK_EQ_INT(match_pattern("alice", "Alice"), 0); /* case-sensitive */
	CHECK_EQ_INT(match_pattern("alice", "alic"), 0);
	CHECK_EQ_INT(match_pattern("", ""), 1);
	CHECK_EQ_INT(match_pattern("a", ""), 0);
	/* hostile pattern: linear, not exponential */
	char s[4097], p[4097];
	memset(s, 'a', 4096);
	s[4096] = '\0';
	for (int i = 0; i < 4096; i += 2) {
		p[i] = '*';
		p[i + 1] = 'a';
	}
	p[4096] = '\0';
	p[4095] = 'b';
	CHECK_EQ_INT(match_pattern(s, p), 0);
}

TEST(pattern_lists)
{
	CHECK_EQ_INT(match_pattern_list("bob", "alice,bob", 0), 1);
	CHECK_EQ_INT(match_pattern_list("eve", "alice,bob", 0), 0);
	CHECK_EQ_INT(match_pattern_list("bob", "!bob,*", 0), -1); /* negation wins wherever it is */
	CHECK_EQ_INT(match_pattern_list("bob", "*,!bob", 0), -1);
	CHECK_EQ_INT(match_pattern_list("Host.EXAMPLE.org", "*.example.org", 1), 1);
	CHECK_EQ_INT(match_pattern_list("Host.EXAMPLE.org", "*.example.org", 0), 0);
	CHECK_EQ_INT(match_pattern_list("a", ",,a,", 0), 1); /* empty entries skipped */
	CHECK_EQ_INT(match_pattern_list(NULL, "a", 0), 0);
	CHECK_EQ_INT(match_pattern_list("a", NULL, 0), 0);
}

TEST(address_lists)
{
	CHECK_EQ_INT(match_addr_list("192.0.2.7", "192.0.2.0/24"), 1);
	CHECK_EQ_INT(match_addr_list("192.0.3.7", "192.0.2.0/24"), 0);
	CHECK_EQ_INT(match_addr_list("192.0.2.7", "192.0.2.0/25,!192.0.2.7"), -1);
	CHECK_EQ_INT(match_addr_list("::ffff:192.0.2.7", "192.0.2.0/24"), 1); /* v4-mapped */
	CHECK_EQ_INT(match_addr_list("2001:db8::1", "2001:db8::/33"), 1);
	CHECK_EQ_INT(match_addr_list("2001:db8:8000::1", "2001:db8::/33"), 0);
	CHECK_EQ_INT(match_addr_list("10.0.0.1", "10.0.0.*"), 1);
	CHECK_EQ_INT(match_addr_list("10.0.0.1", "0.0.0.0/0"), 1);
	/* malformed lists */
	CHECK_EQ_INT(match_addr_list("10.0.0.1", "10.0.0.1/8"), -2); /* host bits set */
	CHECK_EQ_INT(match_addr_list("10.0.0.1", "10.0.0.0/33"), -2);
	CHECK_EQ_INT(match_addr_list("10.0.0.1", "a,,b"), -2);
	CHECK_EQ_INT(match_addr_list("10.0.0.1", "x/8"), -2);
	CHECK_EQ_INT(match_addr_list_valid("10.0.0.0/8,!10.1.0.0/16,*.example.org"), 1);
	CHECK_EQ_INT(match_addr_list_valid("10.0.0.0/99"), 0);
	CHECK_EQ_INT(match_addr_list(NULL, "10.0.0.0/8"), 0);
}

TEST(user_patterns)
{
	CHECK_EQ_INT(match_user_pattern("alice", NULL, NULL, "al*"), 1);
	CHECK_EQ_INT(match_user_pattern(NULL, NULL, NULL, "al*"), 0);
	CHECK_EQ_INT(match_user_pattern("alice", "h.example.org", "192.0.2.1", "alice@*.EXAMPLE.org"), 1);
	CHECK_EQ_INT(match_user_pattern("alice", "h.example.org", "192.0.2.1", "alice@192.0.2.0/24"), 1);
	CHECK_EQ_INT(match_user_pattern("alice", "h.example.org", "198.51.100.1", "alice@192.0.2.0/24"), 0);
	CHECK_EQ_INT(match_user_pattern("bob", "h.example.org", "192.0.2.1", "alice@*"), 0);
	CHECK_EQ_INT(match_user_pattern("alice", NULL, NULL, "alice@*"), 0); /* no host known */
}

int main(void)
{
	RUN(glob);
	RUN(pattern_lists);
	RUN(address_lists);
	RUN(user_patterns);
	return t_done();
}
