#!/usr/bin/env bash
# Port, unix-socket and agent forwarding end to end with the OpenSSH client:
# ssh -L (64 MiB intact), ssh -R 0 (allocated port), ssh -W and ProxyJump,
# unix sockets both ways, the peer of a forwarded connection is the user
# (SO_PEERCRED), ssh -A + ssh-add -l, denials by config and key options
# (open-failure reason + daemon log line), 100 concurrent forwarded
# connections through one SSH connection. 127.0.0.1 only.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root
command -v ssh >/dev/null || { skip "test_forwarding.sh: no ssh client"; exit 0; }
PY3=/usr/bin/python3
[ -x "$PY3" ] || PY3=python3

U=fwdtest$$
U=${U:0:16}
make_user "$U" || finish
KEY=$(make_key "$U" ed25519) || { fail "make_key"; finish; }
UID_U=$(id -u "$U")
HOME_U=$(user_home "$U")

# ---- helper servers/clients (python3, stdlib only) ------------------------
cat > "$T/fwdtool.py" <<'PY'
import hashlib, os, socket, stat, struct, sys, threading, time

def serve(sock, handler):
    while True:
        c, _ = sock.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()

def echo(c):
    try:
        while True:
            d = c.recv(262144)
            if not d:
                break
            c.sendall(d)
        c.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        c.close()

def peercred(c):
    # replies with the peer's uid of this unix connection
    cred = c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", cred)
    c.sendall(b"uid=%d\n" % uid)
    c.close()

def xfer(connect, nbytes, chunk=65536):
    """Sends nbytes of random data, reads the echo, compares sha256."""
    s = connect()
    data_hash = hashlib.sha256()
    back_hash = hashlib.sha256()
    got = [0]
    def reader():
        while True:
            d = s.recv(262144)
            if not d:
                break
            back_hash.update(d)
            got[0] += len(d)
    t = threading.Thread(target=reader)
    t.start()
    block = os.urandom(chunk)
    sent = 0
    i = 0
    while sent < nbytes:
        n = min(chunk, nbytes - sent)
        # vary the content so reordering would be detected
        b = bytes([i & 0xff]) + block[1:n]
        data_hash.update(b)
        s.sendall(b)
        sent += n
        i += 1
    s.shutdown(socket.SHUT_WR)
    t.join(120)
    s.close()
    return got[0] == nbytes and data_hash.digest() == back_hash.digest()

def tcp(port):
    def f():
        return socket.create_connection(("127.0.0.1", int(port)), timeout=60)
    return f

def unix(path):
    def f():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(path)
        return s
    return f

def main():
    cmd = sys.argv[1]
    if cmd == "echo-tcp":          # echo-tcp PORTFILE
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0)); s.listen(256)
        open(sys.argv[2] + ".tmp", "w").write(str(s.getsockname()[1]))
        os.rename(sys.argv[2] + ".tmp", sys.argv[2])
        serve(s, echo)
    elif cmd == "source-tcp":      # PORTFILE: sends zeros to every client until it goes away
        s = socket.socket()
        s.bind(("127.0.0.1", 0)); s.listen(16)
        open(sys.argv[2] + ".tmp", "w").write(str(s.getsockname()[1]))
        os.rename(sys.argv[2] + ".tmp", sys.argv[2])
        def pour(c):
            z = bytes(1 << 20)
            try:
                while True: c.sendall(z)
            except OSError: pass
            c.close()
        serve(s, pour)
    elif cmd == "stall":           # PORT SECONDS: connects, reads nothing for a while
        c = tcp(sys.argv[2])()
        time.sleep(float(sys.argv[3]))
        c.close()
    elif cmd in ("echo-unix", "cred-unix"):   # PATH
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(sys.argv[2]); os.chmod(sys.argv[2], 0o666); s.listen(256)
        serve(s, echo if cmd == "echo-unix" else peercred)
    elif cmd == "xfer-tcp":        # PORT NBYTES
        sys.exit(0 if xfer(tcp(sys.argv[2]), int(sys.argv[3])) else 1)
    elif cmd == "xfer-unix":       # PATH NBYTES
        sys.exit(0 if xfer(unix(sys.argv[2]), int(sys.argv[3])) else 1)
    elif cmd == "read-unix":       # PATH: prints what the server sends
        s = unix(sys.argv[2])()
        out = b""
        while True:
            d = s.recv(4096)
            if not d: break
            out += d
        sys.stdout.write(out.decode())
    elif cmd == "concurrent":      # PORT N NBYTES: N connections open at once
        n, nb = int(sys.argv[3]), int(sys.argv[4])
        ok = [0]; lock = threading.Lock()
        barrier = threading.Barrier(n)
        def one():
            try:
                s = tcp(sys.argv[2])()
                barrier.wait(60)            # all connected before any data
                payload = os.urandom(nb)
                s.sendall(payload); s.shutdown(socket.SHUT_WR)
                back = b""
                while True:
                    d = s.recv(65536)
                    if not d: break
                    back += d
                s.close()
                if back == payload:
                    with lock: ok[0] += 1
            except Exception as e:
                sys.stderr.write("conn failed: %r\n" % (e,))
                try: barrier.abort()
                except Exception: pass
        ts = [threading.Thread(target=one) for _ in range(n)]
        for t in ts: t.start()
        for t in ts: t.join(180)
        print("ok=%d" % ok[0])
        sys.exit(0 if ok[0] == n else 1)
    elif cmd == "socks-echo":     # SOCKSPORT HOST PORT: one line through a SOCKS5 proxy (ssh -D)
        s = tcp(sys.argv[2])()
        s.sendall(b"\x05\x01\x00")
        if s.recv(2) != b"\x05\x00": sys.exit(1)
        host = sys.argv[3].encode()
        s.sendall(b"\x05\x01\x00\x03" + bytes([len(host)]) + host + struct.pack(">H", int(sys.argv[4])))
        rep = s.recv(10)
        if len(rep) < 2 or rep[1] != 0: sys.exit(2)
        s.sendall(b"via-socks\n"); s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            d = s.recv(4096)
            if not d: break
            out += d
        sys.exit(0 if out == b"via-socks\n" else 3)
    elif cmd == "blackhole-tcp":   # PORTFILE: a listener whose accept queue is full, so
        # the kernel drops further SYNs and a connect to it hangs (an unreachable host)
        l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(0)
        port = l.getsockname()[1]
        fill = []
        for _ in range(4):
            s = socket.socket(); s.setblocking(False)
            try: s.connect(("127.0.0.1", port))
            except BlockingIOError: pass
            fill.append(s)
        time.sleep(0.3)
        with open(sys.argv[2] + ".tmp", "w") as f: f.write(str(port))
        os.rename(sys.argv[2] + ".tmp", sys.argv[2])
        time.sleep(900)
    elif cmd == "hold-tcp":        # PORT SECONDS: connects, waits for EOF (or SECONDS)
        s = tcp(sys.argv[2])()
        s.settimeout(float(sys.argv[3]))
        try:
            while s.recv(4096): pass
        except OSError: pass
    elif cmd == "wait-tcp":        # PORT: waits until something listens
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=1).close(); return
            except OSError: time.sleep(0.05)
        sys.exit(1)
    elif cmd == "wait-unix":
        for _ in range(200):
            try:
                unix(sys.argv[2])().close(); return
            except OSError: time.sleep(0.05)
        sys.exit(1)
main()
PY
tool() { "$PY3" "$T/fwdtool.py" "$@"; }

# OpenSSH prints "open failed: <reason>" and "Allocated port" at INFO only.
ROPTS=()
for o in "${SSHC_OPTS[@]}"; do [ "$o" = LogLevel=ERROR ] && o=LogLevel=INFO; ROPTS+=("$o"); done
# sshc_info KEY ssh-args... : like sshc without a command, client log at INFO
sshc_info() { local key=$1; shift; timeout -k 5 60 ssh "${ROPTS[@]}" -i "$key" -p "$PORT" "$@" "$U@127.0.0.1"; }

"$PY3" "$T/fwdtool.py" echo-tcp "$T/echo.port" >/dev/null 2>&1 & _pids+=($!)
for _ in $(seq 100); do [ -s "$T/echo.port" ] && break; sleep 0.05; done
ECHO=$(cat "$T/echo.port" 2>/dev/null)
[ -n "$ECHO" ] || { fail "echo server did not start"; finish; }
"$PY3" "$T/fwdtool.py" echo-unix "$T/echo.sock" >/dev/null 2>&1 & _pids+=($!)
"$PY3" "$T/fwdtool.py" cred-unix "$T/cred.sock" >/dev/null 2>&1 & _pids+=($!)
tool wait-unix "$T/echo.sock" && tool wait-unix "$T/cred.sock" || { fail "unix servers did not start"; finish; }

start_sshd || finish

# ssh in the background with forwardings; waits for a local listener and
# sets BG to its pid. fwd_bg NAME WAITSPEC ssh-options...
# (WAITSPEC: tcp:PORT or unix:PATH)
fwd_bg() {
	local name=$1 spec=$2; shift 2
	# timeout itself is the background job: killing it stops ssh too
	timeout -k 5 600 ssh "${SSHC_OPTS[@]}" -i "$KEY" -p "$PORT" -o ExitOnForwardFailure=yes -N "$@" \
		"$U@127.0.0.1" </dev/null >/dev/null 2>"$T/$name.err" &
	BG=$!
	_pids+=("$BG")
	case "$spec" in
	tcp:*) tool wait-tcp "${spec#tcp:}" ;;
	unix:*) tool wait-unix "${spec#unix:}" ;;
	esac || {
		kill "$BG" 2>/dev/null
		sed 's/^/  | /' "$T/$name.err"
		echo "  | daemon log (last lines):"; grep -v TRACE "$SSHD_LOG" | tail -n 25 | sed 's/^/  | /'
		return 1
	}
}
stop_bg() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

log_has() { grep -q -- "$1" "$SSHD_LOG"; }

# ---- ssh -L: 64 MiB through a TCP forward, intact ----------------------------
LP=$(free_port)
if fwd_bg L "tcp:$LP" -L "127.0.0.1:$LP:127.0.0.1:$ECHO"; then
	check "ssh -L: 64 MiB echoed intact (sha256)" tool xfer-tcp "$LP" $((64 * 1024 * 1024))
	# 100 connections open at once through the same SSH connection
	out=$(tool concurrent "$LP" 100 65536 2>"$T/conc.err")
	if [ "$out" = "ok=100" ]; then pass "ssh -L: 100 concurrent forwarded connections, no loss"
	else fail "ssh -L: 100 concurrent forwarded connections ($out)"; sed 's/^/  | /' "$T/conc.err" | sort | uniq -c | head -5; fi
	check "ssh -L: still works after the burst" tool xfer-tcp "$LP" 100000
	stop_bg "$BG"
else
	fail "ssh -L: forward did not come up"
fi

# ---- a dial that hangs does not stall the connection's other channels ----------
"$PY3" "$T/fwdtool.py" blackhole-tcp "$T/bh.port" >/dev/null 2>&1 & _pids+=($!)
for _ in $(seq 100); do [ -s "$T/bh.port" ] && break; sleep 0.05; done
BH=$(cat "$T/bh.port" 2>/dev/null)
LP=$(free_port); LP2=$(free_port)
if [ -n "$BH" ] && fwd_bg H "tcp:$LP2" -L "127.0.0.1:$LP:127.0.0.1:$BH" -L "127.0.0.1:$LP2:127.0.0.1:$ECHO"; then
	tool hold-tcp "$LP" 30 & holdp=$!
	sleep 0.5 # the direct-tcpip to the black hole is now in progress (up to its 10 s timeout)
	t0=$(date +%s%N)
	if tool xfer-tcp "$LP2" 100000; then
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		if [ "$ms" -lt 4000 ]; then pass "pending dial: another forward answered meanwhile (${ms} ms)"
		else fail "pending dial: another forward took ${ms} ms (blocked behind the dial?)"; fi
	else
		fail "pending dial: the other forward failed"
	fi
	# the hung dial ends with an open failure after its timeout: the client closes
	wait "$holdp"
	sleep 0.3
	log_has "direct-tcpip for $U to 127.0.0.1 port $BH failed" && pass "pending dial: timeout logged as a failed dial" \
		|| fail "pending dial: no failure logged for the black-hole dial"
	stop_bg "$BG"
else
	fail "pending dial: setup failed"
fi

# ---- flow control: a reader that does not read does not make sshd buffer ----
"$PY3" "$T/fwdtool.py" source-tcp "$T/source.port" >/dev/null 2>&1 & _pids+=($!)
for _ in $(seq 100); do [ -s "$T/source.port" ] && break; sleep 0.05; done
SRC=$(cat "$T/source.port" 2>/dev/null)
LP=$(free_port)
if [ -n "$SRC" ] && fwd_bg S "tcp:$LP" -L "127.0.0.1:$LP:127.0.0.1:$SRC"; then
	tool stall "$LP" 6 & stp=$!
	sleep 2
	connpids=$(pgrep -P "$SSHD_PID" | tr '\n' ' ')
	rss() { local t=0 p r; for p in $connpids; do r=$(awk '/^VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null); t=$((t + ${r:-0})); done; echo $t; }
	r1=$(rss); sleep 3; r2=$(rss)
	wait "$stp"
	if [ -n "$connpids" ] && [ "$r2" -lt $((r1 + 4096)) ] && [ "$r2" -lt 65536 ]; then
		pass "flow control: stalled reader, connection RSS bounded (${r1} -> ${r2} KiB)"
	else fail "flow control: connection RSS ${r1} -> ${r2} KiB with a stalled reader (pids: $connpids)"; fi
	stop_bg "$BG"
else
	fail "flow control: setup"
fi

# ---- ssh -D (dynamic forwarding: SOCKS on the client, direct-tcpip by name) ----
DP=$(free_port)
if fwd_bg D "tcp:$DP" -D "127.0.0.1:$DP"; then
	check "ssh -D: SOCKS5 connect to localhost:$ECHO (name resolved by the networking child)" tool socks-echo "$DP" localhost "$ECHO"
	stop_bg "$BG"
else
	fail "ssh -D: did not come up"
fi

# ---- ssh -W and ProxyJump --------------------------------------------------------
out=$(printf 'hello-W\n' | sshc "$U" "$KEY" -W "127.0.0.1:$ECHO" -- 2>"$T/W.err")
if [ "$out" = "hello-W" ]; then pass "ssh -W: stdio forwarded to a TCP target"
else fail "ssh -W: got '$out'"; sed 's/^/  | /' "$T/W.err"; fi

cat > "$T/ssh_config" <<EOF
Host jump target
	HostName 127.0.0.1
	Port $PORT
	User $U
	IdentityFile $KEY
	IdentitiesOnly yes
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	BatchMode yes
	LogLevel ERROR
EOF
LP=$(free_port)
timeout 120 ssh -F "$T/ssh_config" -J jump -o ExitOnForwardFailure=yes -N -L "127.0.0.1:$LP:127.0.0.1:$ECHO" target \
	2>"$T/J.err" &
jpid=$!; _pids+=("$jpid")
if tool wait-tcp "$LP" && tool xfer-tcp "$LP" 1000000; then pass "ProxyJump (-J): forwarding through a jump via sshbox"
else fail "ProxyJump (-J)"; sed 's/^/  | /' "$T/J.err"; fi
stop_bg "$jpid"

# ---- ssh -R 0: allocated port -----------------------------------------------------
timeout 600 ssh "${ROPTS[@]}" -i "$KEY" -p "$PORT" -o ExitOnForwardFailure=yes -N \
	-R "0:127.0.0.1:$ECHO" "$U@127.0.0.1" </dev/null >/dev/null 2>"$T/R.err" &
rpid=$!; _pids+=("$rpid")
RP=
for _ in $(seq 100); do
	RP=$(sed -n 's/.*Allocated port \([0-9]*\) for remote forward.*/\1/p' "$T/R.err" | head -1)
	[ -n "$RP" ] && break
	sleep 0.1
done
# OpenSSH may print nothing at LogLevel ERROR (the first -o wins): fall back to our log line
[ -n "$RP" ] || RP=$(sed -n 's/.*remote port forward for '"$U"': listening on .* port \([0-9]*\) (requested .* port 0).*/\1/p' "$SSHD_LOG" | tail -1)
if [ -n "$RP" ] && [ "$RP" -gt 0 ]; then
	pass "ssh -R 0: port $RP allocated and reported"
	check "ssh -R 0: data through the remote forward intact" tool xfer-tcp "$RP" $((4 * 1024 * 1024))
	# GatewayPorts no (default): bound on loopback only
	if ss -ltnH "sport = :$RP" | awk '{print $4}' | grep -qvE '^(127\.0\.0\.1|\[::1\]):'; then
		fail "ssh -R: GatewayPorts no binds loopback only"; ss -ltnH "sport = :$RP" | sed 's/^/  | /'
	else pass "ssh -R: GatewayPorts no binds loopback only"; fi
else
	fail "ssh -R 0: no allocated port"; sed 's/^/  | /' "$T/R.err"
fi
stop_bg "$rpid"
sleep 0.3
if [ -n "$RP" ] && ss -ltnH "sport = :$RP" | grep -q .; then fail "ssh -R: listener closed at disconnect"
else pass "ssh -R: listener closed at disconnect"; fi

# ---- ssh -R with an explicit port ---------------------------------------------------
XP=$(free_port)
if fwd_bg Rx "tcp:$XP" -R "127.0.0.1:$XP:127.0.0.1:$ECHO"; then
	check "ssh -R explicit port $XP: data intact" tool xfer-tcp "$XP" 1000000
	stop_bg "$BG"
else
	fail "ssh -R explicit port: did not come up"
fi

# ---- unix sockets both ways --------------------------------------------------------
if fwd_bg Lu "unix:$T/l-echo.sock" -L "$T/l-echo.sock:$T/echo.sock" -L "$T/l-cred.sock:$T/cred.sock"; then
	check "ssh -L unix:unix: data intact" tool xfer-unix "$T/l-echo.sock" $((8 * 1024 * 1024))
	got=$(tool read-unix "$T/l-cred.sock")
	if [ "$got" = "uid=$UID_U" ]; then pass "forwarded connection's peer is the user (SO_PEERCRED uid $UID_U)"
	else fail "SO_PEERCRED of forwarded connection: '$got', want uid=$UID_U"; fi
	stop_bg "$BG"
else
	fail "ssh -L unix: forward did not come up"
fi

RS="$HOME_U/r.sock"
if fwd_bg Ru "unix:$RS" -R "$RS:127.0.0.1:$ECHO"; then
	check "ssh -R unix socket: data intact" tool xfer-unix "$RS" $((8 * 1024 * 1024))
	[ "$(stat -c '%U %a' "$RS" 2>/dev/null)" = "$U 600" ] && pass "ssh -R unix socket: owned by the user, mode 0600" ||
		fail "ssh -R unix socket owner/mode: $(stat -c '%U %a' "$RS" 2>&1)"
	stop_bg "$BG"
	for _ in $(seq 50); do [ -e "$RS" ] || break; sleep 0.1; done
	[ -e "$RS" ] && fail "ssh -R unix socket removed at disconnect" || pass "ssh -R unix socket removed at disconnect"
else
	fail "ssh -R unix: forward did not come up"
fi

# ---- agent forwarding ---------------------------------------------------------------
if [ "$(sshc "$U" "$KEY" 'echo session-ok' 2>/dev/null)" != session-ok ]; then
	skip "ssh -A: sessions (exec) do not work yet"
elif ! command -v ssh-agent >/dev/null || ! command -v ssh-add >/dev/null; then
	skip "ssh -A: no ssh-agent/ssh-add"
else
	AKEY="$T/agentkey"
	ssh-keygen -q -t ed25519 -N '' -C agent-test-key -f "$AKEY"
	eval "$(ssh-agent -a "$T/agent.sock" -s)" >/dev/null
	_pids+=("$SSH_AGENT_PID")
	ssh-add -q "$AKEY" 2>/dev/null
	fp=$(ssh-keygen -lf "$AKEY.pub" | awk '{print $2}')
	out=$(SSH_AUTH_SOCK="$T/agent.sock" sshc "$U" "$KEY" -A -- 'echo "sock=$SSH_AUTH_SOCK"; ssh-add -l' 2>"$T/A.err")
	sock=$(echo "$out" | sed -n 's/^sock=//p')
	if echo "$out" | grep -q -- "$fp"; then pass "ssh -A: ssh-add -l in the session lists the client's key"
	else fail "ssh -A: ssh-add -l: $out"; sed 's/^/  | /' "$T/A.err"; fi
	if [ -n "$sock" ] && [ ! -e "$sock" ] && [ ! -e "$(dirname "$sock")" ]; then pass "ssh -A: agent socket and directory removed after the connection"
	else sleep 1; [ -n "$sock" ] && [ ! -e "$(dirname "$sock")" ] && pass "ssh -A: agent socket and directory removed after the connection" || fail "ssh -A: agent socket left behind ($sock)"; fi
	kill "$SSH_AGENT_PID" 2>/dev/null
fi

# ---- failures: connect failed, denied by config, denied by key options -----------------
DEAD=$(free_port)
err=$(sshc_info "$KEY" -W "127.0.0.1:$DEAD" </dev/null 2>&1 >/dev/null)
if echo "$err" | grep -qi "connect failed"; then pass "dial failure: open-failure CONNECT_FAILED"
else fail "dial failure reason: $err"; fi
log_has "direct-tcpip for $U to 127.0.0.1 port $DEAD failed" && pass "dial failure logged" || fail "dial failure not logged"

deny_W() { # NAME TARGETPORT LOGPATTERN [key]
	local name=$1 port=$2 pat=$3 key=${4:-$KEY}
	local e; e=$(sshc_info "$key" -W "127.0.0.1:$port" </dev/null 2>&1 >/dev/null)
	if echo "$e" | grep -qi "administratively prohibited"; then pass "$name: open-failure ADMINISTRATIVELY_PROHIBITED"
	else fail "$name: client saw: $e"; fi
	sleep 0.2
	log_has "$pat" && pass "$name: daemon logged the refusal" || fail "$name: no '$pat' in the daemon log"
}

SSHD_EXTRA_CONFIG="AllowTcpForwarding no" start_sshd || finish
deny_W "AllowTcpForwarding no" "$ECHO" "refused local port forward for $U.*AllowTcpForwarding"
err=$(sshc "$U" "$KEY" -o ExitOnForwardFailure=yes -N -R "0:127.0.0.1:$ECHO" -- 2>&1)
echo "$err" | grep -qi "remote port forwarding failed" && pass "AllowTcpForwarding no: ssh -R refused" ||
	fail "AllowTcpForwarding no: ssh -R: $err"
log_has "refused remote port forward for $U" && pass "AllowTcpForwarding no: -R refusal logged" || fail "-R refusal not logged"

SSHD_EXTRA_CONFIG="PermitOpen 127.0.0.1:1" start_sshd || finish
deny_W "PermitOpen" "$ECHO" "not permitted by PermitOpen"

SSHD_EXTRA_CONFIG="AllowStreamLocalForwarding no" start_sshd || finish
LS=$(mktemp -u "$T/lsXXXX.sock")
timeout -k 5 120 ssh "${SSHC_OPTS[@]}" -i "$KEY" -p "$PORT" -N -L "$LS:$T/echo.sock" "$U@127.0.0.1" </dev/null >/dev/null 2>&1 &
lpid=$!; _pids+=("$lpid")
tool wait-unix "$LS" >/dev/null 2>&1
if tool xfer-unix "$LS" 1000 2>/dev/null; then fail "AllowStreamLocalForwarding no: unix forward still works"
else pass "AllowStreamLocalForwarding no: unix forward refused"; fi
stop_bg "$lpid"
log_has "refused streamlocal forward for $U" && pass "AllowStreamLocalForwarding no: logged" || fail "streamlocal refusal not logged"

# key options: permitopen= allows exactly that target; no-port-forwarding denies all
start_sshd || finish
K2="$T/k2"; ssh-keygen -q -t ed25519 -N '' -f "$K2"; authorize_key "$U" "$K2.pub" "permitopen=\"127.0.0.1:$ECHO\""
K3="$T/k3"; ssh-keygen -q -t ed25519 -N '' -f "$K3"; authorize_key "$U" "$K3.pub" "no-port-forwarding"
out=$(printf 'key-ok\n' | sshc "$U" "$K2" -W "127.0.0.1:$ECHO" -- 2>/dev/null)
[ "$out" = key-ok ] && pass "permitopen= key option: listed target allowed" || fail "permitopen= allowed target: '$out'"
deny_W "permitopen= key option (other port)" "$DEAD" "not permitted by key option permitopen" "$K2"
deny_W "no-port-forwarding key option" "$ECHO" "key option no-port-forwarding" "$K3"

finish
