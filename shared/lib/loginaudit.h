/* loginaudit: one audit record about a login session, for a process that
 * did not open the session itself (libaudit; root and kernel audit
 * enabled, else nothing). The exec applet keeps its own audit descriptor
 * for USER_LOGIN / USER_END; the connection process uses this to end the
 * session when the exec child died without doing so. */
#ifndef SSHBOX_LOGINAUDIT_H
#define SSHBOX_LOGINAUDIT_H

#include <sys/types.h>

/* Logs AUDIT_USER_END "session_close" for user/uid from addr on tty (NULL:
 * "ssh"). 1 logged, 0 audit not available (not root, not built, kernel
 * audit off), -1 error (logged at debug level). */
int loginaudit_session_end(const char *user, uid_t uid, const char *addr, const char *tty);

#endif
