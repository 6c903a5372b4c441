#!/usr/bin/env bash
# Builds the static (musl) dependencies of sshbox from Debian source packages.
#
# Output: a prefix with include/, lib/ and src/ under the cache directory, keyed by
# the source package versions, so a valid cache is reused and never rebuilt:
#   ${SSHBOX_CACHE:-$HOME/.cache/sshbox}/deps-<key>
# Prints that prefix on stdout (last line). Logs go to <prefix>.log.
#
# Not built, on purpose (see README "Flavours"):
#  - libpam: a static musl program cannot dlopen PAM modules, so a static
#    libpam cannot run any module. PAM lives in the dynamic `system` flavour.
#  - libsepol: bookworm's libselinux/libsepol source packages are not served;
#    libselinux comes from trixie's upstream tarball (build/trixie-src.sh)
#    without its policy-loading part, the only user of libsepol.
set -euo pipefail

PKGS=(zlib libsodium bearssl nettle libxcrypt audit openssh pcre2)
# From Debian trixie (build/trixie-src.sh), pinned to these upstream
# versions, which are part of the cache key through the recipe hash.
TRIXIE_PKGS=(mlkem libselinux)
MLKEM_OPENSSH_V=10.0p1
LIBSELINUX_V=3.8.1
CACHE=${SSHBOX_CACHE:-$HOME/.cache/sshbox}
HERE=$(cd "$(dirname "$0")" && pwd)
JOBS=${JOBS:-$(nproc)}
mkdir -p "$CACHE"
# Fast path: the prefix resolved last time, valid while Debian's package
# lists (what the version key is computed from) have not changed since.
# (and while this recipe is the one that built it).
RECIPE="recipe-$(cat "$0" "$HERE/trixie-src.sh" | sha256sum | cut -c1-16)"
if [ -f "$CACHE/current" ] && [ "$CACHE/current" -nt /var/lib/apt/lists ]; then
  prev=$(cat "$CACHE/current")
  if [ -f "$prev/.complete" ] && grep -qs "$RECIPE" "$prev/versions.txt" && command -v musl-gcc >/dev/null; then
    echo "$prev"
    exit 0
  fi
fi
# The Makefile calls this script while parsing, before any make target could
# install packages: make sure the toolchain (musl-tools, autotools) is there.
"$(dirname "$0")/apt-packages.sh" >&2

ensure_deb_src() {
  if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null; then
    cat > /etc/apt/sources.list.d/sshbox-deb-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt-get update -qq >&2
  fi
}

# Version of a source package as the registry serves it (first candidate).
src_version() {
  apt-cache showsrc "$1" 2>/dev/null | awk '/^Version:/ {print $2; exit}'
}

ensure_deb_src
# shellcheck source=build/trixie-src.sh
. "$HERE/trixie-src.sh"
key=""
for p in "${PKGS[@]}"; do
  v=$(src_version "$p")
  [ -n "$v" ] || { echo "deps: no source version for $p (apt-get update?)" >&2; exit 1; }
  key+="${p}-${v}_"
done
musl_v=$(dpkg-query -W -f='${Version}' musl-tools)
key+="musl-${musl_v}_"
# The recipe is part of the key: changed flags or options rebuild the cache.
key+="$RECIPE"
hash=$(printf '%s' "$key" | sha256sum | cut -c1-16)
PREFIX="$CACHE/deps-$hash"
if [ -f "$PREFIX/.complete" ]; then
  echo "$PREFIX" > "$CACHE/current"
  echo "$PREFIX"
  exit 0
fi

# One builder at a time; whoever waited finds the finished cache.
exec 9>"$CACHE/.lock"
flock 9
if [ -f "$PREFIX/.complete" ]; then
  echo "$PREFIX"
  exit 0
fi
LOG="$PREFIX.log"
WORK=$(mktemp -d "$CACHE/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
rm -rf "$PREFIX"
mkdir -p "$PREFIX/include" "$PREFIX/lib" "$PREFIX/kinc"
echo "$key" > "$PREFIX/versions.txt"
: > "$LOG"

# musl-gcc does not see kernel headers; give it a folder of links to them.
ln -s /usr/include/linux "$PREFIX/kinc/linux"
ln -s /usr/include/asm-generic "$PREFIX/kinc/asm-generic"
ln -s /usr/include/x86_64-linux-gnu/asm "$PREFIX/kinc/asm"

export CC=musl-gcc
# No unwind tables (as for sshbox's own code, see the Makefile): nothing
# unwinds C frames, and they were 28 KB of sshbox.
export CFLAGS="-Os -fPIE -fstack-protector-strong -ffunction-sections -fdata-sections \
  -fno-asynchronous-unwind-tables -fno-unwind-tables -isystem $PREFIX/kinc"
# The per-packet crypto (ciphers, Poly1305, HMAC) is on the bulk data path:
# -O2 there, not -Os (Poly1305 from libsodium runs 2.5x faster at -O2).
CFLAGS_FAST="${CFLAGS/-Os/-O2}"

# Download a source package and unpack its upstream tarball; prints the dir.
fetch_src() {
  local pkg=$1 dir="$WORK/$1"
  mkdir -p "$dir"
  (cd "$dir" && apt-get source --download-only "$pkg" >>"$LOG" 2>&1)
  local orig
  orig=$(ls "$dir"/*.orig.tar.* | grep -v '\.asc$' | head -n1)
  tar -C "$dir" -xf "$orig"
  find "$dir" -mindepth 1 -maxdepth 1 -type d | head -n1
}

build_zlib() {
  local s; s=$(fetch_src zlib)
  (cd "$s" && ./configure --static --prefix="$PREFIX" && make -j"$JOBS" libz.a && make install) >>"$LOG" 2>&1
}

build_libsodium() {
  local s; s=$(fetch_src libsodium)
  # The Debian source has no configure; autogen.sh wants the network.
  (cd "$s" && autoreconf -fi && CFLAGS="$CFLAGS_FAST" ./configure --prefix="$PREFIX" --disable-shared --enable-static \
      --disable-pie --enable-minimal=no && make -j"$JOBS" && make install) >>"$LOG" 2>&1
}

build_bearssl() {
  local s; s=$(fetch_src bearssl)
  cat > "$s/conf/musl.mk" <<'MK'
include conf/Unix.mk
CC = musl-gcc
CFLAGS = -W -Wall -O2 -fPIE -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables
MK
  (cd "$s" && make CONF=musl -j"$JOBS" lib) >>"$LOG" 2>&1
  cp "$s/build/libbearssl.a" "$PREFIX/lib/"
  cp "$s"/inc/*.h "$PREFIX/include/"
}

# nettle: HMAC-SHA2 for the MACs. Its "fat" build picks the SHA-NI code at
# run time (5x libsodium 1.0.18's portable SHA-256). Only libnettle is built:
# no public-key part (hogweed, which needs GMP), no docs, no tools.
build_nettle() {
  local s; s=$(fetch_src nettle)
  (cd "$s" && CFLAGS="$CFLAGS_FAST" ./configure --prefix="$PREFIX" --libdir="$PREFIX/lib" --disable-shared \
      --enable-static --enable-fat --disable-public-key --disable-documentation --disable-openssl \
      && make -j"$JOBS" libnettle.a && make install-headers install-static) >>"$LOG" 2>&1
}

build_libxcrypt() {
  local s; s=$(fetch_src libxcrypt)
  (cd "$s" && { [ -x configure ] || autoreconf -fi; } && ./configure --prefix="$PREFIX" --disable-shared \
      --enable-static --disable-werror --enable-hashes=strong,glibc --enable-obsolete-api=no \
      && make -j"$JOBS" && make install) >>"$LOG" 2>&1
}

build_audit() {
  local s; s=$(fetch_src audit)
  (cd "$s" && { [ -x configure ] || autoreconf -fi; } && ./configure --prefix="$PREFIX" --disable-shared \
      --enable-static --without-python --without-python3 --without-golang --disable-zos-remote \
      --disable-listener --without-libcap-ng && make -C common -j"$JOBS" && make -C lib -j"$JOBS" \
      && make -C lib install) >>"$LOG" 2>&1
}

# openssh: only its sntrup761 KEM (sntrup761.c, public domain, from
# SUPERCOP; OpenSSH's default kex since 9.0). The source, with Debian's
# patches applied, goes to src/: the Makefile compiles it in every flavour
# (musl, glibc, ASan) against the small shim in build/sntrup761/.
build_openssh() {
  local dir="$WORK/openssh-full"
  mkdir -p "$dir"
  (cd "$dir" && apt-get source openssh) >>"$LOG" 2>&1
  local s
  s=$(find "$dir" -mindepth 1 -maxdepth 1 -type d | head -n1)
  mkdir -p "$PREFIX/src"
  cp "$s/sntrup761.c" "$PREFIX/src/"
}

# mlkem: only libcrux_mlkem768_sha3.h (formally verified ML-KEM-768 from
# Cryspen's libcrux, MIT) out of trixie's openssh 10.0p1, for
# mlkem768x25519-sha256. The Makefile compiles it through the wrapper in
# build/mlkem768/ in every flavour.
build_mlkem() {
  local s
  s=$(trixie_fetch openssh "$MLKEM_OPENSSH_V" "$WORK/openssh-trixie" 2>>"$LOG")
  mkdir -p "$PREFIX/src"
  cp "$s/libcrux_mlkem768_sha3.h" "$PREFIX/src/"
}

# pcre2 (bookworm), for libselinux's file-context regexes: the 8-bit
# library only, no JIT (it would need executable memory at run time).
build_pcre2() {
  local s; s=$(fetch_src pcre2)
  (cd "$s" && ./configure --prefix="$PREFIX" --disable-shared --enable-static --enable-jit=no \
      --disable-pcre2grep-libz --disable-pcre2grep-libbz2 && make -j"$JOBS" libpcre2-8.la \
      && make install-libLTLIBRARIES install-includeHEADERS install-nodist_includeHEADERS) >>"$LOG" 2>&1
}

# libselinux (trixie's upstream tarball; see the top of this file). Left out:
# load_policy.c (needs libsepol; sshbox never loads a policy),
# selinux_restorecon.c (needs fts.h, which musl lacks), the Android backend
# and the Python bindings' audit2why.
build_libselinux() {
  local s srcs
  s=$(trixie_fetch libselinux "$LIBSELINUX_V" "$WORK/libselinux" 2>>"$LOG")
  srcs=$(cd "$s/src" && ls ./*.c | sed 's|^\./||' | grep -v -x -e audit2why.c -e selinux_restorecon.c \
    -e label_backends_android.c -e load_policy.c -e 'selinuxswig.*' | tr '\n' ' ')
  (cd "$s/src" && make -j"$JOBS" CC="$CC" CFLAGS="$CFLAGS" SRCS="$srcs" USE_PCRE2=y PCRE_LDLIBS= \
      PCRE_CFLAGS="-DUSE_PCRE2 -DPCRE2_CODE_UNIT_WIDTH=8 -I$PREFIX/include" libselinux.a) >>"$LOG" 2>&1
  cp "$s/src/libselinux.a" "$PREFIX/lib/"
  cp -r "$s/include/selinux" "$PREFIX/include/"
}

trixie_apt_update
for p in "${PKGS[@]}" "${TRIXIE_PKGS[@]}"; do
  echo "deps: building $p" >&2
  t0=$(date +%s)
  if ! "build_$p"; then
    echo "deps: $p failed; last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  echo "deps: $p done in $(( $(date +%s) - t0 ))s" >&2
done
touch "$PREFIX/.complete"
echo "$PREFIX" > "$CACHE/current"
echo "$PREFIX"
