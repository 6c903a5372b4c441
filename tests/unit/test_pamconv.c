/* pamconv: the one PAM conversation (info text to a callback, prompts
 * answered by a callback, bad counts and styles refused). Needs PAM
 * headers: runs in the system flavour (make FLAVOR=system unit); the
 * static flavour prints SKIP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pamconv.h"
#include "t.h"

#if CONFIG_PAM
struct seen {
	char info[256];
	int prompt_calls;
};

static void on_info(void *ctx, int style, const char *msg)
{
	struct seen *s = ctx;
	size_t l = strlen(s->info);
	snprintf(s->info + l, sizeof(s->info) - l, "%c%s;", style == PAM_ERROR_MSG ? 'E' : 'I', msg);
}

static int answer(void *ctx, const struct pam_message **msg, int n, char **answers)
{
	struct seen *s = ctx;
	s->prompt_calls++;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			answers[i] = strdup(msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ? "secret" : "visible");
	return 0;
}

static int refuse(void *ctx, const struct pam_message **msg, int n, char **answers)
{
	answers[0] = strdup("half-done"); /* must be freed by the conversation */
	return -1;
}

static void free_resp(struct pam_response *r, int n)
{
	for (int i = 0; i < n; i++)
		free(r[i].resp);
	free(r);
}

TEST(info_and_prompts)
{
	struct seen s = {0};
	struct pamconv_ops ops = {.info = on_info, .prompts = answer, .ctx = &s};
	struct pam_message m[3] = {
	    {PAM_TEXT_INFO, "hello"}, {PAM_PROMPT_ECHO_OFF, "Password: "}, {PAM_PROMPT_ECHO_ON, "Name: "}};
	const struct pam_message *mp[3] = {&m[0], &m[1], &m[2]};
	struct pam_response *r = NULL;
	CHECK_EQ_INT(pamconv_fn(3, mp, &r, &ops), PAM_SUCCESS);
	CHECK_STR(s.info, "Ihello;");
	CHECK_EQ_INT(s.prompt_calls, 1);
	CHECK(r && r[0].resp == NULL);
	CHECK_STR(r ? r[1].resp : NULL, "secret");
	CHECK_STR(r ? r[2].resp : NULL, "visible");
	free_resp(r, 3);
}

TEST(info_only_needs_no_prompt_callback)
{
	struct seen s = {0};
	struct pamconv_ops ops = {.info = on_info, .ctx = &s};
	struct pam_message m = {PAM_ERROR_MSG, "bad"};
	const struct pam_message *mp[1] = {&m};
	struct pam_response *r = NULL;
	CHECK_EQ_INT(pamconv_fn(1, mp, &r, &ops), PAM_SUCCESS);
	CHECK_STR(s.info, "Ebad;");
	free_resp(r, 1);
}

TEST(refusals)
{
	struct seen s = {0};
	struct pam_message p = {PAM_PROMPT_ECHO_OFF, "Password: "}, odd = {99, "?"};
	const struct pam_message *mp[1] = {&p}, *mo[1] = {&odd};
	struct pam_response *r = NULL;
	struct pamconv_ops no_prompts = {.info = on_info, .ctx = &s};
	CHECK_EQ_INT(pamconv_fn(1, mp, &r, &no_prompts), PAM_CONV_ERR); /* a session asks nothing */
	struct pamconv_ops refusing = {.prompts = refuse, .ctx = &s};
	CHECK_EQ_INT(pamconv_fn(1, mp, &r, &refusing), PAM_CONV_ERR);
	struct pamconv_ops ok = {.prompts = answer, .ctx = &s};
	CHECK_EQ_INT(pamconv_fn(1, mo, &r, &ok), PAM_CONV_ERR); /* unknown style */
	CHECK_EQ_INT(pamconv_fn(0, mp, &r, &ok), PAM_CONV_ERR);
	CHECK_EQ_INT(pamconv_fn(PAM_MAX_NUM_MSG + 1, mp, &r, &ok), PAM_CONV_ERR);
	CHECK_EQ_INT(s.prompt_calls, 0);
}
#endif

int main(void)
{
#if CONFIG_PAM
	RUN(info_and_prompts);
	RUN(info_only_needs_no_prompt_callback);
	RUN(refusals);
#else
	(void)t_pass;
	(void)t_failed_now;
	printf("SKIP: %s:pamconv (built without CONFIG_PAM; runs in make FLAVOR=system unit)\n", __FILE__);
#endif
	return t_done();
}
