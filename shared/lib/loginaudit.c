/* loginaudit: see loginaudit.h. */
#include "loginaudit.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#if CONFIG_AUDIT
#include <libaudit.h>
#endif

int loginaudit_session_end(const char *user, uid_t uid, const char *addr, const char *tty)
{
#if CONFIG_AUDIT
	if (geteuid() != 0)
		return 0;
	int fd = audit_open();
	if (fd < 0)
		return 0;
	int rc = 0;
	if (audit_is_enabled(fd) > 0) {
		rc = audit_log_acct_message(fd, AUDIT_USER_END, NULL, "session_close", user,
					    (unsigned int)uid, NULL, addr, tty ? tty : "ssh", 1) > 0
			 ? 1
			 : -1;
		if (rc < 0)
			log_debug("audit session_close for %s: %s", user, strerror(errno));
	}
	audit_close(fd);
	return rc;
#else
	(void)user;
	(void)uid;
	(void)addr;
	(void)tty;
	return 0;
#endif
}
