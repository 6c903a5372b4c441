/* netfwd_server: the `networking` child's server (linked into the helper;
 * never includes ssh/ or server/ code). Protocol: shared/ipc/netfwd.h. */
#ifndef SSHBOX_NETFWD_SERVER_H
#define SSHBOX_NETFWD_SERVER_H

/* The networking child's whole life: reads HELLO from ctl, drops
 * privileges if root and the user is not root, then serves requests until
 * EOF on ctl; removes the sockets it created and returns the exit status
 * (0 clean, 255 failure). Used by applets/networking.c and the unit tests. */
int netfwd_serve(int ctl);

#endif
