#include "buildinfo.h"

#include <stdio.h>

#include "config.h"

#ifndef SSHBOX_VERSION
#define SSHBOX_VERSION "unknown"
#endif

#define YN(x) ((x) ? "yes" : "no")

const char *sshbox_features_summary(void)
{
	static char line[384];
	snprintf(line, sizeof(line),
		 "sshbox %s flavour=%s pam=%s selinux=%s audit=%s zlib=%s debug-service=%s shadow-crypt=%s "
		 "nss=%s%s",
		 SSHBOX_VERSION, SSHBOX_FLAVOR, YN(CONFIG_PAM), YN(CONFIG_SELINUX), YN(CONFIG_AUDIT),
		 YN(CONFIG_ZLIB), YN(CONFIG_DEBUG_SERVICE), YN(CONFIG_SHADOW_CRYPT), YN(!SSHBOX_STATIC),
		 SSHBOX_STATIC ? " (static musl: PAM unavailable, users from /etc/passwd only;"
				 " use make FLAVOR=system for them)"
			       : "");
	return line;
}

void sshbox_features_print(FILE *out)
{
	fprintf(out, "sshbox %s, %s flavour\n", SSHBOX_VERSION, SSHBOX_FLAVOR);
	fprintf(out, "linking: %s\n",
		SSHBOX_STATIC ? "static-pie, musl libc" : "dynamic, glibc and the distribution's libraries");
	fprintf(out, "compiled-in features (config/%s.config):\n", SSHBOX_STATIC ? "static" : "system");
	fprintf(out, "  CONFIG_PAM=%s\n", CONFIG_PAM ? "y" : "n");
	fprintf(out, "  CONFIG_SELINUX=%s\n", CONFIG_SELINUX ? "y" : "n");
	fprintf(out, "  CONFIG_AUDIT=%s\n", CONFIG_AUDIT ? "y" : "n");
	fprintf(out, "  CONFIG_ZLIB=%s\n", CONFIG_ZLIB ? "y" : "n");
	fprintf(out, "  CONFIG_DEBUG_SERVICE=%s\n", CONFIG_DEBUG_SERVICE ? "y" : "n");
	fprintf(out, "  CONFIG_SHADOW_CRYPT=%s\n", CONFIG_SHADOW_CRYPT ? "y" : "n");
	if (SSHBOX_STATIC) {
		fputs("limitations of the static flavour:\n"
		      "  PAM: not available. A static musl binary cannot dlopen PAM modules\n"
		      "    (pam_unix.so, pam_systemd.so, ...), so there is no PAM account/session\n"
		      "    stack: no pam_limits, pam_env, loginuid, logind sessions or XDG_RUNTIME_DIR.\n"
		      "    Passwords are checked against /etc/shadow with crypt()"
#if CONFIG_SHADOW_CRYPT
		      " (enabled)"
#else
		      " (disabled in this build)"
#endif
		      ".\n"
		      "  Users: musl's getpwnam reads /etc/passwd and /etc/group only; there is no\n"
		      "    NSS, so LDAP/SSSD/systemd-homed users are not found.\n"
		      "  For PAM and NSS build the dynamic glibc flavour: make FLAVOR=system\n",
		      out);
		fprintf(out,
			"SELinux: %s (libselinux 3.8.1 linked in statically: the user's default exec\n"
			"  context for sessions, as in the system flavour; skipped with one log line\n"
			"  where the kernel has no SELinux).\n",
			CONFIG_SELINUX ? "yes" : "no");
	} else {
		fprintf(out, "PAM runs the host's modules: %s; SELinux: %s; users via NSS (getpwnam).\n",
			YN(CONFIG_PAM), YN(CONFIG_SELINUX));
	}
}
