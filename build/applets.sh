#!/usr/bin/env bash
# Prints the applets of one side (HELPER or DAEMON) from applets/applets.def
# that the build configuration enables: the Makefile's applet lists.
# Usage: build/applets.sh SIDE CONFIG_FILE
set -euo pipefail
side=$1 cfg=$2
sed -n "s/^APPLET(\([a-z_]*\), *$side, *\([A-Za-z0-9_]*\),.*/\1 \2/p" "$(dirname "$0")/../applets/applets.def" |
while read -r name cond; do
  case "$cond" in
    1) echo "$name" ;;
    CONFIG_*) if grep -qx "$cond=y" "$cfg"; then echo "$name"; fi ;;
    *) echo "applets.sh: $name: condition must be 1 or a CONFIG_ flag" >&2; exit 1 ;;
  esac
done
