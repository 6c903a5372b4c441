/* Unit tests for shared/server/keycmd.c: token expansion and the refusals
 * that happen before anything runs (the command itself runs in
 * tests/integration/test_authcmd.sh, through the helper). */
#include <string.h>

#include "keycmd.h"
#include "log.h"
#include "t.h"

static const struct keycmd_tokens tok = {.user = "alice",
					 .uid = 1001,
					 .home = "/home/alice",
					 .key_type = "ssh-ed25519",
					 .key_b64 = "AAAAC3Nz",
					 .key_fp = "SHA256:abc"};

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
	/* certificate tokens: refused without a certificate (AuthorizedKeysCommand) */
	CHECK_EQ_INT(keycmd_expand("%i", &tok, out, sizeof out), -1);
	CHECK_EQ_INT(keycmd_expand("%F", &tok, out, sizeof out), -1);
	CHECK_EQ_INT(keycmd_expand("%C", &tok, out, sizeof out), -1); /* not supported */
}

TEST(expand_cert_tokens)
{
	struct keycmd_tokens c = tok;
	char out[128];
	c.key_id = "id-1";
	c.serial = "42";
	c.ca_type = "ssh-ed25519";
	c.ca_b64 = "AAAACA";
	c.ca_fp = "SHA256:ca";
	CHECK_EQ_INT(keycmd_expand("%i/%s/%T/%K/%F/%u", &c, out, sizeof out), 0);
	CHECK_STR(out, "id-1/42/ssh-ed25519/AAAACA/SHA256:ca/alice");
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
	RUN(expand_cert_tokens);
	RUN(refused_before_running);
	return t_done();
}
