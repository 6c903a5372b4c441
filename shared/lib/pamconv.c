/* pamconv: one PAM conversation function (see pamconv.h). */
#include "pamconv.h"

#include <stdlib.h>

#include "util.h"

static const char *confdir; /* tests only */

void pamconv_set_confdir(const char *dir)
{
	confdir = dir;
}

#if CONFIG_PAM
static int is_prompt(int style)
{
	return style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON;
}

int pamconv_fn(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata_ptr)
{
	const struct pamconv_ops *ops = appdata_ptr;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	/* every style known before anything is shown or asked */
	int prompts = 0;
	for (int i = 0; i < n; i++) {
		int st = msg[i]->msg_style;
		if (is_prompt(st))
			prompts++;
		else if (st != PAM_TEXT_INFO && st != PAM_ERROR_MSG)
			return PAM_CONV_ERR;
	}
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	char **answers = calloc((size_t)n, sizeof(*answers));
	if (!r || !answers) {
		free(r);
		free(answers);
		return PAM_BUF_ERR;
	}
	for (int i = 0; i < n; i++)
		if (!is_prompt(msg[i]->msg_style) && ops->info)
			ops->info(ops->ctx, msg[i]->msg_style, msg[i]->msg ? msg[i]->msg : "");
	int ok = prompts == 0 || (ops->prompts && ops->prompts(ops->ctx, msg, n, answers) == 0);
	for (int i = 0; i < n; i++) {
		if (ok)
			r[i].resp = answers[i];
		else
			free_secret_str(answers[i]);
	}
	free(answers);
	if (!ok) {
		free(r);
		return PAM_CONV_ERR;
	}
	*resp = r;
	return PAM_SUCCESS;
}

int pamconv_start(const char *service, const char *user, const struct pam_conv *conv, pam_handle_t **h)
{
	if (confdir)
		return pam_start_confdir(service, user, conv, confdir, h);
	return pam_start(service, user, conv, h);
}
#endif
