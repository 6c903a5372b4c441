/* privdrop: see privdrop.h. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int privdrop_raw(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	if (ngroups > PRIVDROP_MAX_GROUPS || (ngroups && !groups)) {
		errno = EINVAL;
		return PRIVDROP_ERR_ARGS;
	}
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (geteuid() != 0) {
		if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
			return PRIVDROP_ERR_VERIFY;
		if (eu != uid || ru != uid) {
			errno = EPERM;
			return PRIVDROP_ERR_NOT_ROOT;
		}
		/* Make saved ids match too (allowed for an unprivileged
		 * process: the new value is its real id). */
		if ((su != uid && setresuid(uid, uid, uid) != 0))
			return PRIVDROP_ERR_SETUID;
		if (eg != gid && rg != gid && sg != gid) {
			errno = EPERM;
			return PRIVDROP_ERR_NOT_ROOT;
		}
		if ((rg != gid || eg != gid || sg != gid) && setresgid(gid, gid, gid) != 0)
			return PRIVDROP_ERR_SETGID;
		return PRIVDROP_SKIPPED;
	}
	if (ngroups) {
		if (setgroups(ngroups, groups) != 0)
			return PRIVDROP_ERR_SETGROUPS;
	} else if (setgroups(1, &gid) != 0) {
		return PRIVDROP_ERR_SETGROUPS;
	}
	if (setresgid(gid, gid, gid) != 0)
		return PRIVDROP_ERR_SETGID;
	if (setresuid(uid, uid, uid) != 0)
		return PRIVDROP_ERR_SETUID;
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return PRIVDROP_ERR_VERIFY;
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
		errno = EPERM;
		return PRIVDROP_ERR_VERIFY;
	}
	if (uid != 0) {
		int e = errno;
		if (setuid(0) == 0 || seteuid(0) == 0) {
			errno = EPERM;
			return PRIVDROP_ERR_REGAIN;
		}
		if (gid != 0 && (setgid(0) == 0 || setegid(0) == 0)) {
			errno = EPERM;
			return PRIVDROP_ERR_REGAIN;
		}
		errno = e;
	}
	return PRIVDROP_OK;
}

const char *privdrop_strerror(int err)
{
	if (err == PRIVDROP_SKIPPED)
		return "not root: privilege change skipped";
	return sb_strerror(err);
}

int privdrop(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	int r = privdrop_raw(uid, gid, groups, ngroups);
	if (r == PRIVDROP_SKIPPED) {
		log_debug("privdrop: running as uid %ld, not root: skipping setgroups/setgid/setuid",
			  (long)getuid());
		return 0;
	}
	if (r == PRIVDROP_OK)
		return 0;
	int e = errno;
	log_error("privdrop to uid %ld gid %ld: %s: %s", (long)uid, (long)gid, privdrop_strerror(r),
		  strerror(e));
	errno = e;
	return -1;
}
