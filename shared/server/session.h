/* session: the "session" channel type (RFC 4254 s6) on the connection side.
 *
 * conn.c serves the channel type with session_open. Requests handled: pty-req, env, shell, exec,
 * subsystem, window-change, signal, break, auth-agent-req@openssh.com
 * (through agentfwd_request), x11-req (refused).
 *
 * Starting a session (shell/exec/subsystem) builds a session spec
 * (shared/sessionspec.h) and spawns the `exec` child applet from the helper
 * (shared/spawn.h) with:
 *   child fd 0/1 = stdin/stdout pipes (or the pty slave), fd 2 = our stderr
 *   (the daemon log), fd 3 = the spec (a pipe filled before the spawn, so
 *   we never block), fd 4 = control pipe (signal bytes; EOF = hang up),
 *   fd 5 = stderr pipe (or the pty slave).
 * The channel gets the pipe ends (or the pty master twice, no stderr);
 * hold_close is set until exit-status / exit-signal has been sent.
 *
 * Policy applied here: ForceCommand, then authorized_keys command=
 * (SSH_ORIGINAL_COMMAND carries the client's command), PermitTTY and
 * no-pty, AcceptEnv (fnmatch patterns; default TERM LANG LC_*),
 * authorized_keys environment= (already filtered by PermitUserEnvironment),
 * Subsystem (internal-sftp runs the helper's sftp applet as the user),
 * ChrootDirectory, PrintMotd, UsePAM/PAMServiceName (system flavour, root).
 */
#ifndef SSHBOX_SESSION_H
#define SSHBOX_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sessionspec.h"

struct buf;
struct channel;

/* Open handler of the "session" channel type (channel_open_fn; owner is
 * the struct conn). Refuses after "no-more-sessions@openssh.com" and
 * beyond MaxSessions (ADMINISTRATIVELY_PROHIBITED). */
int session_open(void *owner, struct channel *ch, struct buf *data, uint32_t *reason, char *desc,
		 size_t desclen);

/* The fds of a started exec child, as the connection process keeps them. */
struct session_proc {
	pid_t pid;
	int fd_in;   /* to the child's stdin (pty master when pty) */
	int fd_out;  /* from its stdout (pty master when pty) */
	int fd_err;  /* from its stderr (-1 when pty) */
	int ctl;     /* control pipe write end (non-blocking) */
};

/* Spawns the exec applet for spec. pty_master/pty_slave: a pair from
 * pty_open when spec->pty (the slave is not closed here), else -1.
 * Returns 0 with *p filled, or -1 (logged). Used by session.c and tests. */
int session_spawn(const struct session_spec *spec, int pty_master, int pty_slave, struct session_proc *p);

/* Writes a signal request into the control pipe (never blocks). 0 or -1. */
int session_signal(int ctl, int sig);

/* SSH signal names ("INT", "TERM", ...) <-> numbers. 0 / NULL if unknown. */
int session_signal_number(const char *name);
const char *session_signal_name(int sig);

#endif
