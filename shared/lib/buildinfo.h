/* buildinfo (not "features.h": that name is glibc's): what this build of sshbox can do (from the generated config.h). */
#ifndef SSHBOX_BUILDINFO_H
#define SSHBOX_BUILDINFO_H

#include <stdio.h>

/* One line for the daemon's startup log, e.g.
 * "sshbox 0.1.0 flavour=static pam=no selinux=no audit=yes zlib=yes
 *  debug-service=yes shadow-crypt=yes nss=no (static musl: no PAM modules,
 *  no SELinux, /etc/passwd only; use make FLAVOR=system)". Static storage. */
const char *sshbox_features_summary(void);

/* The long text printed by `sshbox --features`. */
void sshbox_features_print(FILE *out);

#endif
