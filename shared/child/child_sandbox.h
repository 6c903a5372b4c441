/* child_sandbox: the seccomp allow-lists of the sftp and networking child
 * applets (built on shared/lib/sandbox). Each child installs its list
 * once its setup is done (options parsed, log open, privileges dropped,
 * working directory set) and before it reads the first request; from then
 * on it can make only the calls its job needs. What each list allows and
 * why: docs/design.md, "Child sandboxes". */
#ifndef SSHBOX_CHILD_SANDBOX_H
#define SSHBOX_CHILD_SANDBOX_H

#include "sandbox.h"

enum child_sandbox_kind { CHILD_SANDBOX_SFTP, CHILD_SANDBOX_NETWORKING };

/* Fills *p with the kind's policy (static lists; valid for the program's
 * life). Denied calls trap: one line "sandbox <name>: forbidden system
 * call N" on fd 2, then death by SIGSYS. */
void child_sandbox_policy(enum child_sandbox_kind kind, struct sandbox_policy *p);

/* Prepares libc for the sandbox (loads name-service modules, the time
 * zone) and installs the kind's policy. Returns 0 when installed; 1 when
 * this architecture or kernel has no seccomp filters (logged once: the
 * child then runs unsandboxed); -1 on any other failure (logged; the
 * caller must exit rather than serve unsandboxed). */
int child_sandbox_enter(enum child_sandbox_kind kind);

#endif
