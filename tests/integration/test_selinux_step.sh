#!/usr/bin/env bash
# The exec child's SELinux step in the static flavour (libselinux 3.8.1
# linked statically, CONFIG_SELINUX=y): the startup log says selinux=yes;
# on a kernel without SELinux each session logs exactly one line saying the
# step is skipped (written by the libselinux path, is_selinux_enabled(), not
# the "not built" one) and the login works; on a kernel with SELinux the
# session gets the user's default exec context instead (no skip line).
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root
make_user selxuser1
KEY=$(make_key selxuser1 ed25519)
start_sshd || finish
check selinux_built_in log_has 'flavour=static .*selinux=yes'
out=$(sshc selxuser1 "$KEY" 'echo one')
check selinux_session_one_login eval '[ "$out" = one ]'
out=$(sshc selxuser1 "$KEY" 'echo two')
check selinux_session_two_login eval '[ "$out" = two ]'
sleep 0.3
skipped=$(grep -c 'exec: SELinux not enabled: no exec context' "$SSHD_LOG")
if [ -d /sys/fs/selinux ] && grep -qs 1 /sys/fs/selinux/enforce; then
	check selinux_enabled_no_skip_line eval '[ "$skipped" -eq 0 ]'
else
	check selinux_absent_one_skip_line_per_session eval '[ "$skipped" -eq 2 ]'
	check selinux_step_not_the_unbuilt_one eval '! grep -q "SELinux not built" "$SSHD_LOG"'
fi
finish
