#!/usr/bin/env bash
# `make image` for real: the OCI layout is unpacked with umoci into a runc
# bundle (the image's own Entrypoint and volume) and run by runc as a
# container (its own mount, pid, ipc and uts namespaces, the runtime's /dev
# and /proc, host network), with Docker's default capability set. The
# host key lands in the volume and survives a restart; root logs in with a
# key from SSHBOX_AUTHORIZED_KEYS; sftp, scp -O (built-in applet), -L and
# -W work; SIGTERM stops it with exit status 0.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root
for t in runc umoci; do
	command -v $t >/dev/null || { skip "image: $t not installed (build/apt-packages.sh)"; finish; }
done

IMG="$T/image"
mkdir -p "$IMG"
"$REPO_DIR/build/image/rootfs.sh" "$SSHBOX" "$IMG/rootfs" >/dev/null &&
	"$REPO_DIR/build/image/mkimage.py" "$IMG/rootfs" "$IMG" test >"$T/mkimage.out"
check "image: OCI layout and archives written" eval \
	'[ -s "$IMG/oci/index.json" ] && [ -s "$IMG/sshbox-oci.tar" ] && [ -s "$IMG/sshbox-docker.tar" ]'
check "image: docker archive has manifest.json, config and layer" eval \
	'tar tf "$IMG/sshbox-docker.tar" | grep -qx manifest.json && tar tf "$IMG/sshbox-docker.tar" | grep -q "/layer.tar$"'
# Same input, same digests (reproducible).
mkdir -p "$T/again"
"$REPO_DIR/build/image/mkimage.py" "$IMG/rootfs" "$T/again" test >/dev/null
check "image: reproducible (same manifest digest twice)" cmp -s "$IMG/oci/index.json" "$T/again/oci/index.json"

B="$T/bundle"
umoci unpack --image "$IMG/oci:test" "$B" >"$T/umoci.log" 2>&1
check "image: umoci unpacks the OCI layout" test -x "$B/rootfs/usr/sbin/sshbox"
check "image: Entrypoint is sshd -D -e" eval \
	'python3 -c "import json,sys; sys.exit(json.load(open(\"$B/config.json\"))[\"process\"][\"args\"] != [\"/usr/sbin/sshd\",\"-D\",\"-e\"])"'

ssh-keygen -q -t ed25519 -N '' -f "$T/ik"
VOL="$T/volume"
mkdir -m 700 "$VOL"
PORT=$(free_port)
# Host network; the volume bound to a host directory; Docker's default caps.
python3 - "$B/config.json" "$PORT" "$VOL" "$(cat "$T/ik.pub")" <<'PY'
import json, sys
path, port, vol, key = sys.argv[1:5]
c = json.load(open(path))
c["process"]["args"] += ["-p", port, "-o", "ListenAddress=127.0.0.1", "-o", "PerSourcePenalties=no"]
c["process"]["env"] = [e for e in c["process"].get("env", []) if not e.startswith("SSHBOX_")] + \
    ["SSHBOX_AUTHORIZED_KEYS=" + key]
c["process"]["terminal"] = False
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE"]
for k in ("bounding", "effective", "permitted"):
    c["process"].setdefault("capabilities", {})[k] = caps
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/var/lib/sshbox"] + \
    [{"destination": "/var/lib/sshbox", "type": "bind", "source": vol, "options": ["rbind", "rw"]}]
json.dump(c, open(path, "w"))
PY

CID="sshbox-test-$$"
LOG="$T/container.log"
SSHD_LOG=$LOG
run_container() {
	: > "$LOG"
	(cd "$B" && exec runc run "$CID") >"$LOG" 2>&1 &
	RUNC_PID=$!
	_pids+=("$RUNC_PID")
	for i in $(seq 1 100); do
		kill -0 "$RUNC_PID" 2>/dev/null || return 1
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
stop_container() {
	runc kill "$CID" TERM 2>/dev/null
	for i in $(seq 1 100); do kill -0 "$RUNC_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$RUNC_PID" 2>/dev/null; then
		runc kill "$CID" KILL 2>/dev/null; wait "$RUNC_PID"; return 99
	fi
	wait "$RUNC_PID"
}
trap 'runc delete -f "$CID" >/dev/null 2>&1; _cleanup' EXIT

if run_container; then pass "image: container starts under runc"; else
	fail "image: container starts under runc"; sed 's/^/  | /' "$LOG" | tail -20; finish; fi
check "image: host key created in the volume" test -s "$VOL/ssh_host_ed25519_key"
hk1=$(cat "$VOL/ssh_host_ed25519_key.pub" 2>/dev/null)
check "image: keys from SSHBOX_AUTHORIZED_KEYS" grep -q "$(cut -d' ' -f2 "$T/ik.pub")" "$VOL/authorized_keys/root"
check "image: runs in its own pid namespace (sshd is pid 1)" log_has "sshd pid 1$"

head -c 200000 /dev/urandom > "$T/payload"
printf 'put %s /root/p\nget /root/p %s\n' "$T/payload" "$T/p.sftp" |
	timeout 30 sftp -b - "${SSHC_OPTS[@]}" -i "$T/ik" -P "$PORT" root@127.0.0.1 >/dev/null 2>&1
check "image: sftp upload and download" cmp -s "$T/payload" "$T/p.sftp"
timeout 30 scp -O -q "${SSHC_OPTS[@]}" -i "$T/ik" -P "$PORT" "$T/payload" root@127.0.0.1:/root/s >/dev/null 2>&1
timeout 30 scp -O -q "${SSHC_OPTS[@]}" -i "$T/ik" -P "$PORT" root@127.0.0.1:/root/s "$T/p.scp" >/dev/null 2>&1
check "image: scp -O both ways (built-in applet, no scp in the image)" cmp -s "$T/payload" "$T/p.scp"
out=$(sshc root "$T/ik" 'echo hi' 2>&1); rc=$?
check "image: a shell session ends at once (nologin)" eval '[ $rc -eq 1 ] && [ "$out" = "This account is currently not available." ]'
banner=$(sshc root "$T/ik" -W "127.0.0.1:$PORT" -- </dev/null 2>/dev/null | head -c 8)
check "image: ssh -W" [ "$banner" = "SSH-2.0-" ]
LP=$(free_port)
timeout 60 ssh "${SSHC_OPTS[@]}" -i "$T/ik" -p "$PORT" -N -L "127.0.0.1:$LP:127.0.0.1:$PORT" root@127.0.0.1 \
	>/dev/null 2>&1 &
FWD=$! # timeout's pid: it passes SIGTERM on to ssh
_pids+=("$FWD")
got=
for i in $(seq 1 50); do
	got=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$LP; head -c 8 <&3" 2>/dev/null) && [ -n "$got" ] && break
	sleep 0.1
done
check "image: ssh -L" [ "$got" = "SSH-2.0-" ]
kill "$FWD" 2>/dev/null; wait "$FWD" 2>/dev/null

stop_container; rc=$?; [ $rc -eq 0 ] || { echo "  | status $rc"; tail -5 "$LOG" | sed "s/^/  | /"; }
check "image: SIGTERM stops the container with exit status 0" [ $rc -eq 0 ]
runc delete -f "$CID" >/dev/null 2>&1
run_container || fail "image: restart"
check "image: the host key survives a restart (volume)" eval '[ "$(cat "$VOL/ssh_host_ed25519_key.pub")" = "$hk1" ]'
banner=$(sshc root "$T/ik" -W "127.0.0.1:$PORT" -- </dev/null 2>/dev/null | head -c 8)
check "image: login after the restart" [ "$banner" = "SSH-2.0-" ]
stop_container >/dev/null
finish
