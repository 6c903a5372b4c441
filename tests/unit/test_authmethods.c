/* Unit tests for shared/server/authmethods.c (AuthenticationMethods). */
#include <string.h>

#include "authmethods.h"
#include "t.h"

static int all_enabled(const void *ctx, const char *method)
{
	return 1;
}
static int no_kbd(const void *ctx, const char *method)
{
	return strcmp(method, "keyboard-interactive") != 0;
}

TEST(parse)
{
	struct authmethods m;
	char why[128];
	CHECK_EQ_INT(authmethods_parse(&m, NULL, why, sizeof why), 0);
	CHECK_EQ_INT(m.active, 0);
	CHECK_EQ_INT(authmethods_parse(&m, "any", why, sizeof why), 0);
	CHECK_EQ_INT(m.active, 0);
	CHECK_EQ_INT(
	    authmethods_parse(&m, "publickey,password publickey,keyboard-interactive", why, sizeof why), 0);
	CHECK_EQ_INT(m.active, 1);
	CHECK_EQ_INT(m.n_lists, 2);
	CHECK_EQ_INT(authmethods_parse(&m, "publickey,gssapi-with-mic", why, sizeof why), -1);
	CHECK_EQ_INT(authmethods_parse(&m, "publickey,", why, sizeof why), -1);
	CHECK_EQ_INT(authmethods_parse(&m, ",publickey", why, sizeof why), -1);
	CHECK_EQ_INT(authmethods_parse(&m, "publickey any", why, sizeof why), -1);
	CHECK_EQ_INT(authmethods_parse(&m, "  ", why, sizeof why), -1);
	CHECK_EQ_INT(
	    authmethods_parse(&m,
			      "password,password,password,password,password,password,password,password,"
			      "password",
			      why, sizeof why),
	    -1);
	char many[400] = "";
	for (int i = 0; i < 17; i++)
		strcat(many, "password ");
	CHECK_EQ_INT(authmethods_parse(&m, many, why, sizeof why), -1);
}

TEST(flow)
{
	struct authmethods m;
	char why[128], next[128];
	CHECK_EQ_INT(
	    authmethods_parse(&m, "publickey,password publickey,keyboard-interactive", why, sizeof why), 0);
	authmethods_next(&m, all_enabled, NULL, next, sizeof next);
	CHECK_STR(next, "publickey");
	CHECK_EQ_INT(authmethods_allowed(&m, "password"), 0);
	CHECK_EQ_INT(authmethods_allowed(&m, "publickey"), 1);
	CHECK_EQ_INT(authmethods_success(&m, "publickey"), 0); /* partial */
	authmethods_next(&m, all_enabled, NULL, next, sizeof next);
	CHECK_STR(next, "password,keyboard-interactive");
	authmethods_next(&m, no_kbd, NULL, next, sizeof next);
	CHECK_STR(next, "password");
	CHECK_EQ_INT(authmethods_allowed(&m, "publickey"), 0);
	CHECK_EQ_INT(authmethods_success(&m, "password"), 1); /* complete */
	/* inactive: any single method completes */
	CHECK_EQ_INT(authmethods_parse(&m, "any", why, sizeof why), 0);
	CHECK_EQ_INT(authmethods_success(&m, "password"), 1);
	authmethods_next(&m, no_kbd, NULL, next, sizeof next);
	CHECK_STR(next, "publickey,password");
	/* the same method twice in a list (two keys) */
	CHECK_EQ_INT(authmethods_parse(&m, "publickey,publickey", why, sizeof why), 0);
	CHECK_EQ_INT(authmethods_success(&m, "publickey"), 0);
	CHECK_EQ_INT(authmethods_success(&m, "publickey"), 1);
}

int main(void)
{
	RUN(parse);
	RUN(flow);
	return t_done();
}
