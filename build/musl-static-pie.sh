#!/usr/bin/env bash
# Prints a gcc specs file derived from Debian's musl-gcc.specs that also
# supports -static-pie. musl-gcc's own specs replace gcc's link spec with
# one that always asks for /lib/ld-musl-*.so.1, so -static-pie binaries come
# out "dynamically linked" with an interpreter. Here -static-pie selects
# musl's rcrt1.o (self-relocating start file) and --no-dynamic-linker.
set -euo pipefail
src=$(dirname "$(readlink -f "$(command -v musl-gcc)")")/../lib/$(gcc -dumpmachine | sed 's/-gnu$/-musl/')/musl-gcc.specs
[ -f "$src" ] || src=$(ls /usr/lib/*-linux-musl/musl-gcc.specs | head -n1)
src=$(readlink -f "$src")
libdir=$(dirname "$src")
sed -e "s#^%{!shared: $libdir/Scrt1.o}#%{static-pie:$libdir/rcrt1.o;!shared:$libdir/Scrt1.o}#" \
    -e "s#^-dynamic-linker \([^ ]*\) -nostdlib#%{static-pie:-static -pie --no-dynamic-linker -z text;:-dynamic-linker \1} -nostdlib#" \
    "$src"
