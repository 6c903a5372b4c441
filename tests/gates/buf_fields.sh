#!/usr/bin/env bash
# Gate: no code outside shared/lib/buf.c touches the fields of struct buf
# (data, cap, off, len, max, readonly, fixed); everything goes through the
# functions in shared/lib/buf.h.
#
# buf.h mangles the field names (BUF_PRIVATE) unless SSHBOX_BUF_INTERNAL is
# defined, which only buf.c does, so an access elsewhere does not compile.
# This gate keeps that true:
#   1. a probe that reads b->off through buf.h must not compile, while the
#      same probe through buf_avail() must (so the failure is the mangling);
#   2. no C file other than buf.c/buf.h (and buf.c's white-box unit test
#      tests/unit/test_buf.c) mentions SSHBOX_BUF_INTERNAL,
#      BUF_PRIVATE or a mangled field name (the ways around the mangling);
#   3. no struct buf is initialised field by field ({ptr, size, 0, ...}
#      sets the fields without naming them; {0} is fine): use buf_init,
#      buf_view or buf_wrap.
# Prints PASS:/FAIL: lines for tests/run.sh.
cd "$(dirname "$0")/../.." || exit 1
cc=${CC_PROBE:-cc}
rc=0
probe() { printf '#include "buf.h"\nint probe(struct buf *b) { return (int)%s; }\n' "$1" |
	"$cc" -std=c17 -fsyntax-only -Ishared/lib -x c - 2>/dev/null; }

if probe 'buf_avail(b)' && ! probe 'b->off' && ! probe 'b->len' && ! probe '(b->data != 0)'; then
	echo "PASS: buf_fields: buf.h hides struct buf's fields (a probe reading b->off/len/data does not compile)"
else
	echo "FAIL: buf_fields: a probe reading b->off/len/data through buf.h compiles (or the control does not)"
	rc=1
fi

hits=$(find shared applets tests -name '*.[ch]' ! -path shared/lib/buf.c ! -path shared/lib/buf.h \
	! -path tests/unit/test_buf.c -print0 |
	xargs -0 grep -nE 'SSHBOX_BUF_INTERNAL|\bBUF_PRIVATE\b|_is_private_to_buf_c' 2>/dev/null)
if [ -z "$hits" ]; then
	echo "PASS: buf_fields: no file but buf.c unhides or names struct buf's fields"
else
	echo "FAIL: buf_fields: struct buf's fields reached outside shared/lib/buf.c:"
	printf '%s\n' "$hits" | sed 's/^/  /'
	rc=1
fi
inits=$(find shared applets tests -name '*.[ch]' ! -path shared/lib/buf.c -print0 |
	xargs -0 grep -nE 'struct buf [A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])* *= *\{' 2>/dev/null |
	grep -vE '= *\{ *0? *\}')
if [ -z "$inits" ]; then
	echo "PASS: buf_fields: no struct buf initialised field by field outside buf.c"
else
	echo "FAIL: buf_fields: struct buf initialised field by field (use buf_init/buf_view/buf_wrap):"
	printf '%s\n' "$inits" | sed 's/^/  /'
	rc=1
fi
exit $rc
