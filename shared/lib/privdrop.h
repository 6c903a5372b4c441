/* privdrop: the one privilege drop used by every child that acts as the user
 * (exec, checkhomedir via spawn child_setup, networking, sftp).
 *
 * Order: setgroups(groups) -> setresgid(gid) -> setresuid(uid), then verify:
 * real/effective/saved ids are exactly uid/gid, and (unless the target is
 * root) setuid(0)/setgid(0) fail, i.e. root cannot be regained.
 *
 * Non-root caller: the process can only "become" itself. If uid/gid are the
 * current ids, setgroups/setgid/setuid are skipped (PRIVDROP_SKIPPED_NOT_ROOT
 * result flag, log at debug level in privdrop()); any other target is an
 * error (a non-root daemon logs in only its own user).
 */
#ifndef SSHBOX_PRIVDROP_H
#define SSHBOX_PRIVDROP_H

#include "err.h"

#include <stddef.h>
#include <sys/types.h>

#define PRIVDROP_MAX_GROUPS 1024

enum privdrop_err {
	PRIVDROP_OK = 0,
	PRIVDROP_SKIPPED = 1,          /* non-root caller, target == self: nothing done */
	/* errors: codes of the one error space (err.h) */
	PRIVDROP_ERR_ARGS = SB_ERR_PRIV_ARGS, /* too many groups */
	PRIVDROP_ERR_SETGROUPS = SB_ERR_SETGROUPS,
	PRIVDROP_ERR_SETGID = SB_ERR_SETGID,
	PRIVDROP_ERR_SETUID = SB_ERR_SETUID,
	PRIVDROP_ERR_VERIFY = SB_ERR_PRIV_VERIFY,      /* ids not as requested after the calls */
	PRIVDROP_ERR_REGAIN = SB_ERR_PRIV_REGAIN,      /* setuid(0)/setgid(0) succeeded afterwards */
	PRIVDROP_ERR_NOT_ROOT = SB_ERR_PRIV_NOT_ROOT,    /* non-root caller asked for another user */
};

/* Async-signal-safe (no allocation, no logging): usable in a spawn
 * child_setup hook after fork. groups may be NULL when ngroups == 0 (then
 * the supplementary list becomes just {gid}). Returns PRIVDROP_OK,
 * PRIVDROP_SKIPPED, or a negative enum privdrop_err with errno preserved
 * from the failing call. */
int privdrop_raw(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups);

/* privdrop_raw + logging (debug when skipped, error on failure). 0 on
 * success (including the non-root skip), -1 on failure. */
int privdrop(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups);

const char *privdrop_strerror(int err);

#endif
