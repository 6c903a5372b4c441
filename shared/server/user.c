/* user: looking users up, and OpenSSH's admission policy for them
 * (AllowUsers/DenyUsers/AllowGroups/DenyGroups, PermitRootLogin, shell,
 * locked or expired accounts, ChrootDirectory checks). See user.h. */
#include "user.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "passwd.h"
#include "util.h"

/* users */

void user_info_free(struct user_info *ui)
{
	if (!ui)
		return;
	free(ui->name);
	free(ui->home);
	free(ui->shell);
	free(ui->gecos);
	free(ui->gids);
	if (ui->group_names) {
		for (size_t i = 0; i < ui->n_groups; i++)
			free(ui->group_names[i]);
		free(ui->group_names);
	}
	memset(ui, 0, sizeof(*ui));
}

int user_lookup(const char *name, struct user_info *ui)
{
	memset(ui, 0, sizeof(*ui));
	if (!name || !*name || strlen(name) > 256)
		return -1;
	struct passwd *pw = getpwnam(name);
	if (!pw)
		return -1;
	ui->name = strdup(pw->pw_name);
	ui->uid = pw->pw_uid;
	ui->gid = pw->pw_gid;
	ui->home = strdup(pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
	ui->shell = strdup(pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
	ui->gecos = strdup(pw->pw_gecos ? pw->pw_gecos : "");
	if (!ui->name || !ui->home || !ui->shell || !ui->gecos)
		goto fail;
	int ng = 32;
	gid_t *g = NULL;
	for (int tries = 0; tries < 5; tries++) {
		gid_t *ng2 = realloc(g, (size_t)ng * sizeof(gid_t));
		if (!ng2)
			goto fail_g;
		g = ng2;
		int cnt = ng;
		if (getgrouplist(ui->name, ui->gid, g, &cnt) >= 0) {
			ng = cnt;
			break;
		}
		if (cnt <= ng || cnt > 65536) {
			/* cannot size it: primary group only */
			g[0] = ui->gid;
			ng = 1;
			break;
		}
		ng = cnt;
	}
	ui->gids = g;
	ui->n_groups = (size_t)ng;
	ui->group_names = calloc((size_t)ng + 1, sizeof(char *));
	if (!ui->group_names)
		goto fail;
	for (int i = 0; i < ng; i++) {
		struct group *gr = getgrgid(g[i]);
		char num[32];
		snprintf(num, sizeof(num), "%lu", (unsigned long)g[i]);
		ui->group_names[i] = strdup(gr && gr->gr_name ? gr->gr_name : num);
		if (!ui->group_names[i])
			goto fail;
	}
	return 0;
fail_g:
	free(g);
fail:
	user_info_free(ui);
	return -1;
}

static int groups_match(const struct user_info *ui, const struct strlist *pats)
{
	for (size_t i = 0; i < ui->n_groups; i++)
		for (size_t j = 0; j < pats->n; j++)
			if (match_pattern(ui->group_names[i], pats->v[j]))
				return 1;
	return 0;
}

int user_allowed(const struct sshd_config *cfg, const struct user_info *ui, const char *client_host,
		 const char *client_addr, const char **why)
{
	static const char *dummy;
	if (!why)
		why = &dummy;
	*why = NULL;
	if (!cfg || !ui || !ui->name) {
		*why = "no such user";
		return 0;
	}
	/* a daemon that is not root can only log in its own user */
	if (geteuid() != 0 && ui->uid != geteuid()) {
		*why = "daemon is not running as root: only its own user may log in";
		return 0;
	}
	if (ui->uid == 0 && cfg->permit_root_login == PERMIT_ROOT_NO) {
		*why = "root login refused (PermitRootLogin no)";
		return 0;
	}
	/* shadow: locked ('!' prefix; '*' means "no password" and still allows
	 * keys, as in OpenSSH) and account expiry. Skipped under PAM, whose
	 * account stack decides. */
	if (cfg->use_pam != 1 && passwd_shadow_refuses(ui->name, why))
		return 0;
	/* the shell must exist and be executable, unless chrooted */
	if (!cfg->chroot_directory) {
		struct stat st;
		const char *sh = ui->shell && *ui->shell ? ui->shell : "/bin/sh";
		/* *why is logged by the caller: name the path (one connection
		 * process checks one user at a time, so a static buffer is enough). */
		static char shell_why[96 + PATH_MAX];
		if (stat(sh, &st) < 0) {
			snprintf(shell_why, sizeof(shell_why), "shell %.*s does not exist", PATH_MAX, sh);
			*why = shell_why;
			return 0;
		}
		if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
			snprintf(shell_why, sizeof(shell_why), "shell %.*s is not executable", PATH_MAX, sh);
			*why = shell_why;
			return 0;
		}
	}
	for (size_t i = 0; i < cfg->deny_users.n; i++) {
		if (match_user_pattern(ui->name, client_host, client_addr, cfg->deny_users.v[i])) {
			*why = "listed in DenyUsers";
			return 0;
		}
	}
	if (cfg->allow_users.n) {
		int ok = 0;
		for (size_t i = 0; i < cfg->allow_users.n && !ok; i++)
			ok = match_user_pattern(ui->name, client_host, client_addr, cfg->allow_users.v[i]);
		if (!ok) {
			*why = "not listed in AllowUsers";
			return 0;
		}
	}
	if (cfg->deny_groups.n && groups_match(ui, &cfg->deny_groups)) {
		*why = "a group is listed in DenyGroups";
		return 0;
	}
	if (cfg->allow_groups.n && !groups_match(ui, &cfg->allow_groups)) {
		*why = "none of the user's groups are listed in AllowGroups";
		return 0;
	}
	return 1;
}

int user_root_method_allowed(const struct sshd_config *cfg, uid_t uid, const char *method, int forced_command)
{
	if (uid != 0)
		return 1;
	if (!cfg || !method)
		return 0;
	int pk = strcmp(method, "publickey") == 0;
	switch (cfg->permit_root_login) {
	case PERMIT_ROOT_YES:
		return 1;
	case PERMIT_ROOT_PROHIBIT_PASSWORD:
		return pk;
	case PERMIT_ROOT_FORCED_COMMANDS_ONLY:
		return pk && forced_command;
	default:
		return 0;
	}
}

int chroot_path_secure(const char *path, char *why, size_t whylen)
{
	char buf[PATH_MAX];
	if (!path || path[0] != '/') {
		snprintf(why, whylen, "chroot path does not begin at root");
		return -1;
	}
	size_t n = strlen(path);
	if (n >= sizeof(buf)) {
		snprintf(why, whylen, "chroot path too long");
		return -1;
	}
	/* check "/", then every prefix that ends a component */
	for (size_t j = 0; j <= n; j++) {
		size_t len;
		if (j == 0)
			len = 1;
		else if ((j == n || path[j] == '/') && path[j - 1] != '/')
			len = j;
		else
			continue;
		memcpy(buf, path, len);
		buf[len] = '\0';
		struct stat st;
		if (stat(buf, &st) != 0) {
			snprintf(why, whylen, "stat(\"%s\"): %s", buf, strerror(errno));
			return -1;
		}
		const char *comp = (j == n) ? "" : "component ";
		if (st.st_uid != 0 || (st.st_mode & 022) != 0) {
			snprintf(why, whylen, "bad ownership or modes for chroot directory %s\"%s\"", comp,
				 buf);
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, whylen, "chroot path %s\"%s\" is not a directory", comp, buf);
			return -1;
		}
	}
	return 0;
}
