/* err: one error space. Every code has its own name, the modules' names
 * for their codes are the same values, and their *_strerror agree. */
#include <string.h>

#include "buf.h"
#include "cipher.h"
#include "err.h"
#include "passwd.h"
#include "privdrop.h"
#include "t.h"

static const int all[] = {
    SB_ERR_SHORT,      SB_ERR_LIMIT,	     SB_ERR_NOMEM,	 SB_ERR_FORMAT,	       SB_ERR_MAC,
    SB_ERR_CIPHER,     SB_ERR_PACKET_LENGTH, SB_ERR_PRIV_ARGS,	 SB_ERR_SETGROUPS,     SB_ERR_SETGID,
    SB_ERR_SETUID,     SB_ERR_PRIV_VERIFY,   SB_ERR_PRIV_REGAIN, SB_ERR_PRIV_NOT_ROOT, SB_ERR_PW_WRONG,
    SB_ERR_PW_LOCKED,  SB_ERR_PW_EXPIRED,    SB_ERR_PW_EMPTY,	 SB_ERR_PW_INTERNAL,   SB_ERR_PROTOCOL,
    SB_ERR_AUTH_LIMIT, SB_ERR_KEX,	     SB_ERR_IO,		 SB_ERR_AGAIN,	       SB_ERR_CLOSED,
    SB_ERR_COMPRESS,   SB_ERR_VERSION,
};

TEST(every_code_named_once)
{
	size_t n = sizeof(all) / sizeof(all[0]);
	for (size_t i = 0; i < n; i++) {
		CHECK(all[i] < 0);
		CHECK(strcmp(sb_strerror(all[i]), "unknown error") != 0);
		for (size_t j = 0; j < i; j++) {
			CHECK(all[i] != all[j]);
			CHECK(strcmp(sb_strerror(all[i]), sb_strerror(all[j])) != 0);
		}
	}
	CHECK_STR(sb_strerror(SB_OK), "ok");
	CHECK_STR(sb_strerror(-9999), "unknown error");
	CHECK_STR(sb_strerror(1), "unknown error");
}

TEST(module_names_are_the_same_codes)
{
	/* historical values kept where callers saw them */
	CHECK_EQ_INT(BUF_ERR_SHORT, -1);
	CHECK_EQ_INT(BUF_ERR_FORMAT, -4);
	CHECK_EQ_INT(CIPHER_ERR_MAC, -20);
	CHECK_EQ_INT(CIPHER_ERR_LENGTH, SB_ERR_PACKET_LENGTH);
	CHECK_EQ_INT(PRIVDROP_ERR_SETUID, SB_ERR_SETUID);
	CHECK_EQ_INT(PASSWD_FAIL, SB_ERR_PW_WRONG);
	/* no overlap between modules any more (privdrop and passwd were -1..-7) */
	CHECK((int)PRIVDROP_ERR_ARGS != (int)BUF_ERR_SHORT);
	CHECK((int)PASSWD_FAIL != (int)BUF_ERR_SHORT);
	CHECK_STR(buf_strerror(BUF_ERR_LIMIT), "length over limit");
	CHECK_STR(privdrop_strerror(PRIVDROP_ERR_SETGID), "setgid failed");
	CHECK_STR(privdrop_strerror(PRIVDROP_SKIPPED), "not root: privilege change skipped");
	CHECK_STR(passwd_result_name(PASSWD_EXPIRED), "account or password expired");
	CHECK_STR(passwd_result_name(PASSWD_FAIL), "wrong password");
}

int main(void)
{
	RUN(every_code_named_once);
	RUN(module_names_are_the_same_codes);
	return t_done();
}
