#!/usr/bin/env bash
# `make run`: serves sshbox on 127.0.0.1:2222 as the current user, in the
# foreground, with its state in ${XDG_STATE_HOME:-$HOME/.local/state}/sshbox
# (the ed25519 host key is created there by sshd on first start). If
# ~/.ssh/authorized_keys holds no key, a client key pair is generated in that
# directory and authorized. Prints the exact ssh command to connect.
# Usage: build/run.sh PATH/TO/sshbox [extra sshd args...]
set -euo pipefail
SSHBOX=${1:?usage: build/run.sh PATH/TO/sshbox [sshd args...]}
shift
SSHBOX=$(readlink -f "$SSHBOX")
PORT=${SSHBOX_PORT:-2222}
DATA=${XDG_STATE_HOME:-$HOME/.local/state}/sshbox
USER_NAME=$(id -un)
mkdir -p "$DATA"
chmod 700 "$DATA"

if ! "$SSHBOX" --list | grep -qx sshd; then
  echo "run.sh: $SSHBOX has no sshd applet; its applets are:" >&2
  "$SSHBOX" --list >&2
  exit 1
fi

# A client key the server accepts.
AK=$HOME/.ssh/authorized_keys
KEY=""
if [ -s "$AK" ] && grep -Eq '^[^#]*(ssh-ed25519|ssh-rsa|ecdsa-sha2-|sk-ssh-ed25519)' "$AK"; then
  echo "Using the keys already in $AK."
else
  KEY=$DATA/client_ed25519
  if [ ! -f "$KEY" ]; then
    command -v ssh-keygen >/dev/null || { echo "run.sh: ssh-keygen not found (apt-get install openssh-client)" >&2; exit 1; }
    ssh-keygen -q -t ed25519 -N '' -C "sshbox-run@$(hostname)" -f "$KEY"
  fi
  mkdir -p "$HOME/.ssh"
  chmod 700 "$HOME/.ssh"
  cat "$KEY.pub" >> "$AK"
  chmod 600 "$AK"
  echo "Generated client key $KEY (public part appended to $AK)."
fi

echo
echo "sshbox sshd: 127.0.0.1:$PORT, user $USER_NAME, data directory $DATA"
echo "Connect with:"
if [ -n "$KEY" ]; then
  echo "  ssh -p $PORT -i $KEY -o StrictHostKeyChecking=accept-new $USER_NAME@127.0.0.1"
else
  echo "  ssh -p $PORT -o StrictHostKeyChecking=accept-new $USER_NAME@127.0.0.1"
fi
echo "Host key: $DATA/ssh_host_ed25519_key.pub (created on first start). Ctrl-C stops the server."
echo
exec "$SSHBOX" sshd -D -e -p "$PORT" -o ListenAddress=127.0.0.1 -o "DataDirectory=$DATA" "$@"
