/* user: user lookup and the OpenSSH admission policy. */
#ifndef SSHBOX_USER_H
#define SSHBOX_USER_H

#include <stddef.h>
#include <sys/types.h>

#include "sshd_config.h"

struct user_info {
	char *name;
	uid_t uid;
	gid_t gid;
	char *home;
	char *shell; /* "/bin/sh" if empty in passwd */
	char *gecos;
	gid_t *gids;	    /* all groups incl. primary */
	char **group_names; /* names for gids (numeric string if no name) */
	size_t n_groups;
};

/* getpwnam + getgrouplist, copied. 0, or -1 if no such user / error. */
int user_lookup(const char *name, struct user_info *ui);
void user_info_free(struct user_info *ui);

/* OpenSSH allowed_user(): shell must exist and be executable; account not
 * locked/expired in shadow (when readable); DenyUsers, AllowUsers,
 * DenyGroups, AllowGroups in that order (user@host patterns match
 * client_host or client_addr, with CIDR). Root: PermitRootLogin "no"
 * refuses here; the other PermitRootLogin values depend on the method:
 * use user_root_method_allowed. Returns 1 allowed, 0 refused with *why
 * (static string suitable for the log line). */
int user_allowed(const struct sshd_config *cfg, const struct user_info *ui, const char *client_host,
		 const char *client_addr, const char **why);

/* PermitRootLogin for a method: method is "publickey", "password",
 * "keyboard-interactive"; forced_command: the key had command= (or a
 * ForceCommand applies). For non-root users always 1. */
int user_root_method_allowed(const struct sshd_config *cfg, uid_t uid, const char *method,
			     int forced_command);

/* OpenSSH's ChrootDirectory checks (before chroot(2), as root): path
 * must be absolute and every component from / down to it a directory
 * owned by root and not writable by group or others. 0 ok, or -1 with
 * why set, e.g. "bad ownership or modes for chroot directory /srv". */
int chroot_path_secure(const char *path, char *why, size_t whylen);

#endif
