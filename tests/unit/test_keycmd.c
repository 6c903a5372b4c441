/* Unit tests for shared/server/keycmd.c: token expansion and the refusals
 * that happen before anything runs (the command itself runs in
 * tests/integration/test_authcmd.sh, through the helper). */
#include <string.h>

#include "keycmd.h"
#include "log.h"
#include "t.h"

static const struct keycmd_tokens tok = {"alice",	1001,	    "/home/alice",
					 "ssh-ed25519", "AAAAC3Nz", "SHA256:abc"};

TEST(expand)
{
	char out[64];
	CHECK_EQ_INT(keycmd_expand("%u:%U:%h:%t:%k:%f:%%", &tok, out, sizeof out), 0);
	CHECK_STR(out, "alice:1001:/home/alice:ssh-ed25519:AAAAC3Nz:SHA256:abc:%");
	CHECK_EQ_INT(keycmd_expand("plain", &tok, out, sizeof out), 0);
	CHECK_STR(out, "plain");
	CHECK_EQ_INT(keycmd_expand("%x", &tok, out, sizeof out), -1);		/* unknown token */
	CHECK_EQ_INT(keycmd_expand("abc%", &tok, out, sizeof out), -1);		/* dangling % */
	CHECK_EQ_INT(keycmd_expand("%h%h%h%h%h%h", &tok, out, sizeof out), -1); /* too long */
}

TEST(refused_before_running)
{
	char *out;
	size_t n;
	CHECK_EQ_INT(keycmd_run("/bin/true %u", NULL, &tok, 1000, &out, &n), -1); /* no user */
	CHECK_EQ_INT(keycmd_run("/bin/true %u", "no-such-user-sshbox", &tok, 1000, &out, &n), -1);
	CHECK_EQ_INT(keycmd_run("relative/path", "root", &tok, 1000, &out, &n), -1);
	CHECK_EQ_INT(keycmd_run("/bin/true %z", "root", &tok, 1000, &out, &n), -1);
	CHECK_EQ_INT(keycmd_run("/tmp", "root", &tok, 1000, &out, &n), -1); /* not a regular file */
	CHECK_EQ_INT(keycmd_run("   ", "root", &tok, 1000, &out, &n), -1);
}

int main(void)
{
	log_init("test", LOG_ERROR, LOG_TO_STDERR);
	RUN(expand);
	RUN(refused_before_running);
	return t_done();
}
