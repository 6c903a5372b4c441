#!/usr/bin/env bash
# Builds today's SSH peers, newer than Debian 12's packages, from Debian
# trixie's source packages (upstream tarballs, Debian patches not applied;
# Debian's compiler flags),
# for the integration tests and the benchmarks:
#   OpenSSH 10.0p1   bin/ssh sftp scp ssh-keygen, sbin/sshd,
#                    libexec/sshd-session sshd-auth sftp-server
#   PuTTY 0.83       bin/plink pscp psftp puttygen (no GTK)
#   Dropbear 2025.89 bin/dbclient dropbearkey, sbin/dropbear
#
# Output: ${SSHBOX_CACHE:-$HOME/.cache/sshbox}/peers-<key>, the key being
# the upstream versions and this recipe, so a valid cache is reused with no
# network access. Prints that prefix on stdout (last line); logs go to
# <prefix>.log. Build time cold: a few minutes on 2 cores.
#
# The OpenSSH programs read their configuration from <prefix>/etc (an empty
# ssh_config: the system's Debian 12 one names options this build lacks);
# sshd's privilege separation directory is <prefix>/empty and its
# unprivileged user is the system's `sshd` (openssh-server).
set -euo pipefail

OPENSSH_V=10.0p1
PUTTY_V=0.83
DROPBEAR_V=2025.89
CACHE=${SSHBOX_CACHE:-$HOME/.cache/sshbox}
JOBS=${JOBS:-$(nproc)}
HERE=$(cd "$(dirname "$0")" && pwd)
RECIPE=$(cat "$0" "$HERE/trixie-src.sh" | sha256sum | cut -c1-16)
KEY=$(printf 'openssh-%s_putty-%s_dropbear-%s_%s' "$OPENSSH_V" "$PUTTY_V" "$DROPBEAR_V" "$RECIPE" | sha256sum | cut -c1-16)
PREFIX="$CACHE/peers-$KEY"
if [ -f "$PREFIX/.complete" ]; then
  echo "$PREFIX"
  exit 0
fi

mkdir -p "$CACHE"
# One builder at a time; whoever waited finds the finished cache.
exec 9>"$CACHE/.peers.lock"
flock 9
if [ -f "$PREFIX/.complete" ]; then
  echo "$PREFIX"
  exit 0
fi
"$HERE/apt-packages.sh" >&2
# shellcheck source=build/trixie-src.sh
. "$HERE/trixie-src.sh"
trixie_apt_update

# Compiled with Debian's own flags (dpkg-buildflags: -O2, hardening), as
# Debian's packages are, so benchmarks compare like with like.
CFLAGS=$(dpkg-buildflags --get CFLAGS)
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
export CFLAGS LDFLAGS
LOG="$PREFIX.log"
WORK=$(mktemp -d "$CACHE/peers-work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
rm -rf "$PREFIX"
mkdir -p "$PREFIX/bin" "$PREFIX/sbin" "$PREFIX/libexec" "$PREFIX/etc" "$PREFIX/empty"
chmod 755 "$PREFIX/empty"
: > "$LOG"

build_openssh() {
  local s
  s=$(trixie_fetch openssh "$OPENSSH_V" "$WORK/openssh" 2>>"$LOG")
  (cd "$s" && ./configure --prefix="$PREFIX" --sysconfdir="$PREFIX/etc" --libexecdir="$PREFIX/libexec" \
      --with-privsep-path="$PREFIX/empty" --with-pid-dir="$PREFIX" --without-pam --without-selinux \
      --without-kerberos5 --without-libedit \
      && make -j"$JOBS" ssh sftp scp ssh-keygen sshd sshd-session sshd-auth sftp-server) >>"$LOG" 2>&1
  install -m 755 "$s"/{ssh,sftp,scp,ssh-keygen} "$PREFIX/bin/"
  install -m 755 "$s/sshd" "$PREFIX/sbin/"
  install -m 755 "$s"/{sshd-session,sshd-auth,sftp-server} "$PREFIX/libexec/"
  : > "$PREFIX/etc/ssh_config"
}

build_putty() {
  local s
  s=$(trixie_fetch putty "$PUTTY_V" "$WORK/putty" 2>>"$LOG")
  (cd "$s" && cmake -S . -B build -DPUTTY_GTK_VERSION=NONE -DCMAKE_BUILD_TYPE=None \
      && cmake --build build -j"$JOBS" --target plink pscp psftp puttygen) >>"$LOG" 2>&1
  install -m 755 "$s"/build/{plink,pscp,psftp,puttygen} "$PREFIX/bin/"
}

build_dropbear() {
  local s
  s=$(trixie_fetch dropbear "$DROPBEAR_V" "$WORK/dropbear" 2>>"$LOG")
  (cd "$s" && ./configure --prefix="$PREFIX" --disable-pam \
      && make -j"$JOBS" PROGRAMS="dropbear dbclient dropbearkey") >>"$LOG" 2>&1
  install -m 755 "$s"/{dbclient,dropbearkey} "$PREFIX/bin/"
  install -m 755 "$s/dropbear" "$PREFIX/sbin/"
}

for p in openssh putty dropbear; do
  echo "peers: building $p" >&2
  t0=$(date +%s)
  if ! "build_$p"; then
    echo "peers: $p failed; last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  echo "peers: $p done in $(($(date +%s) - t0))s" >&2
done
printf 'openssh %s\nputty %s\ndropbear %s\nrecipe %s\n' "$OPENSSH_V" "$PUTTY_V" "$DROPBEAR_V" "$RECIPE" > "$PREFIX/versions.txt"
touch "$PREFIX/.complete"
echo "$PREFIX"
