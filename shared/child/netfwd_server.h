/* netfwd_server: the `networking` child's server (linked into the helper;
 * never includes ssh/ or server/ code). Protocol: shared/ipc/netfwd.h. */
#ifndef SSHBOX_NETFWD_SERVER_H
#define SSHBOX_NETFWD_SERVER_H

/* The networking child's whole life: reads HELLO from ctl, drops
 * privileges if root and the user is not root, changes to the user's
 * home, calls enter_sandbox (when not NULL; a negative return ends with
 * 255 before any request is read), then serves requests until EOF on ctl;
 * removes the sockets it created and returns the exit status (0 clean,
 * 255 failure). Used by applets/networking.c (which passes the seccomp
 * sandbox) and the unit tests. */
int netfwd_serve(int ctl, int (*enter_sandbox)(void));

#endif
