#!/usr/bin/env bash
# Gate: the state of the transport and of the connection stays private to
# the module that owns it (docs/design.md, "Opaque state").
#   1. a probe that includes transport.h and reads a field of struct
#      transport must not compile, while the same probe through an
#      accessor must (so the failure is the opaque type);
#   2. struct transport is defined only in shared/ssh/transport_int.h, and
#      only transport.c and its white-box test tests/unit/test_transport.c
#      include that header;
#   3. struct conn is defined only in shared/server/conn.c (everything
#      else reads conn_info() and the accessors of connctx.h); a test that
#      replaces conn.c wholesale by stubbing those accessors (test_fwd.c
#      defines conn_info itself and does not link conn.o) owns its own.
# Prints PASS:/FAIL: lines for tests/run.sh.
cd "$(dirname "$0")/../.." || exit 1
cc=${CC_PROBE:-cc}
rc=0
probe() { printf '#include "transport.h"\nint probe(struct transport *t) { return (int)(%s); }\n' "$1" |
	"$cc" -std=c17 -fsyntax-only -Ishared/lib -Ishared/ssh -x c - 2>/dev/null; }

if probe 'transport_dead(t)' && ! probe 't->dead' && ! probe 't->kex_active'; then
	echo "PASS: opaque_state: transport.h hides struct transport (a probe reading t->dead does not compile)"
else
	echo "FAIL: opaque_state: a probe reading t->dead through transport.h compiles (or the control does not)"
	rc=1
fi

defs=$(grep -rnE '^struct transport \{' shared applets tests --include='*.[ch]' | grep -v '^shared/ssh/transport_int.h:')
incs=$(grep -rnE '#\s*include\s+"transport_int\.h"' shared applets tests --include='*.[ch]' |
	grep -vE '^(shared/ssh/transport\.c|tests/unit/test_transport\.c):')
if [ -z "$defs$incs" ]; then
	echo "PASS: opaque_state: struct transport is defined in transport_int.h, included only by transport.c and its white-box test"
else
	echo "FAIL: opaque_state: struct transport reached outside transport.c:"
	printf '%s\n' "$defs" "$incs" | grep . | sed 's/^/  /'
	rc=1
fi

defs=$(grep -rlE '^struct conn \{' shared applets tests --include='*.[ch]' | grep -v '^shared/server/conn.c$' |
	while read -r f; do grep -qE '^const struct conn_info \*conn_info\(' "$f" || echo "$f"; done)
if [ -z "$defs" ] && grep -qE '^struct conn \{' shared/server/conn.c; then
	echo "PASS: opaque_state: struct conn is defined only in conn.c"
else
	echo "FAIL: opaque_state: struct conn defined outside shared/server/conn.c (or not in it):"
	printf '%s\n' "$defs" | sed 's/^/  /'
	rc=1
fi
exit $rc
