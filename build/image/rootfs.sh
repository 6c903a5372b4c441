#!/usr/bin/env bash
# rootfs.sh SSHBOX DIR: lays out the container image's root filesystem in DIR
# (created; must not exist). Nothing but sshbox and its data: no shell, no
# libc, no /dev, no /proc (the runtime provides those in a container; the
# daemon needs neither, see README "Distroless / containers").
#
#   /usr/sbin/sshbox                the static binary
#   /usr/sbin/sshd, nologin, sftp-server   links to it (multicall)
#   /etc/passwd, /etc/group         root (shell /usr/sbin/nologin) and nobody
#   /etc/sshbox/sshd_config         the image's configuration
#   /etc/sshbox/authorized_keys/    mount a root-owned file "root" here
#   /var/lib/sshbox                 DataDirectory: host key on first start (a volume)
#   /root                           root's home (0700)
set -euo pipefail
SSHBOX=$1 DIR=$2
[ -x "$SSHBOX" ] || { echo "rootfs.sh: $SSHBOX is not an executable" >&2; exit 1; }
[ ! -e "$DIR" ] || { echo "rootfs.sh: $DIR exists" >&2; exit 1; }
umask 022
mkdir -p "$DIR"/usr/sbin "$DIR"/etc/sshbox/authorized_keys "$DIR"/var/lib/sshbox "$DIR"/root
chmod 700 "$DIR"/root "$DIR"/var/lib/sshbox
install -m 0755 "$SSHBOX" "$DIR"/usr/sbin/sshbox
for l in sshd nologin sftp-server; do ln -s sshbox "$DIR/usr/sbin/$l"; done
cat > "$DIR"/etc/passwd <<'P'
root:x:0:0:root:/root:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
P
cat > "$DIR"/etc/group <<'G'
root:x:0:
nogroup:x:65534:
G
cat > "$DIR"/etc/sshbox/sshd_config <<'C'
# sshbox container image. No shell in the image: root's shell is
# /usr/sbin/nologin (a link to sshbox), so shell and command sessions end
# at once while sftp, scp (the built-in applet) and forwarding work.
DataDirectory /var/lib/sshbox
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
# Keys: ~/.ssh/authorized_keys, a file mounted at
# /etc/sshbox/authorized_keys/root, or the SSHBOX_AUTHORIZED_KEYS environment
# variable (written to /var/lib/sshbox/authorized_keys/root at start).
AuthorizedKeysFile .ssh/authorized_keys /etc/sshbox/authorized_keys/%u /var/lib/sshbox/authorized_keys/%u
Subsystem sftp internal-sftp
C
