#!/usr/bin/env bash
# Installs every Debian package the build and the test suite need.
# Idempotent: skips apt entirely when all packages are already present.
set -euo pipefail
PKGS=(
  # toolchain for the static (musl) flavour and the dependency builder
  musl-tools musl-dev build-essential autoconf automake libtool libltdl-dev pkg-config
  dpkg-dev xz-utils bzip2 file clang lld llvm m4 cmake
  libclang-rt-14-dev
  # system (glibc, dynamic) flavour; libssl-dev: OpenSSH 10.0 built by build/peers.sh
  libssl-dev libpam0g-dev libselinux1-dev libaudit-dev zlib1g-dev libsodium-dev libbearssl-dev nettle-dev libcrypt-dev
  # real clients and peers used by tests and benchmarks
  openssh-client openssh-server openssh-sftp-server dropbear-bin putty-tools python3-paramiko
  ssh-audit rsync git tmux expect procps psmisc curl protobuf-compiler util-linux hyperfine
  # foundation test: readelf/nm (binutils), python3, iproute2 (ss, used by lib.sh free_port)
  binutils python3 iproute2
  # container image test: unpack the OCI layout (umoci) and run it (runc)
  runc umoci
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# openssh-server's postinst would start a system sshd on port 22; tests run their own.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
apt-get install -y -qq --no-install-recommends "${missing[@]}"
rm -f /usr/sbin/policy-rc.d
