#!/usr/bin/env bash
# Turns a CONFIG_X=y|n file into a C header: y -> #define CONFIG_X 1, n -> 0.
# Usage: genconfig.sh CONFIG_FILE FLAVOR > config.h
set -euo pipefail
cfg=$1 flavor=$2
echo "/* Generated from $cfg by build/genconfig.sh; do not edit. */"
echo "#ifndef SSHBOX_CONFIG_H"
echo "#define SSHBOX_CONFIG_H"
echo "#define SSHBOX_FLAVOR \"$flavor\""
if [ "$flavor" = static ]; then echo "#define SSHBOX_STATIC 1"; else echo "#define SSHBOX_STATIC 0"; fi
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  name=${line%%=*} val=${line#*=}
  [[ "$name" =~ ^CONFIG_[A-Z0-9_]+$ ]] || { echo "genconfig: bad line: $line" >&2; exit 1; }
  case "$val" in y) echo "#define $name 1" ;; n) echo "#define $name 0" ;;
    *) echo "genconfig: $name must be y or n" >&2; exit 1 ;; esac
done < "$cfg"
# Impossible combinations fail every compile, not only the Makefile's check.
echo "#if SSHBOX_STATIC && CONFIG_PAM"
echo "#error \"CONFIG_PAM=y needs the system flavour: a static musl binary cannot dlopen PAM modules\""
echo "#endif"
echo "#endif"
