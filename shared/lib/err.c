/* err: names for the one error space (see err.h). */
#include "err.h"

const char *sb_strerror(int err)
{
	switch (err) {
	case SB_OK:
		return "ok";
	case SB_ERR_SHORT:
		return "message too short";
	case SB_ERR_LIMIT:
		return "length over limit";
	case SB_ERR_NOMEM:
		return "out of memory";
	case SB_ERR_FORMAT:
		return "malformed field (a NUL or control byte, an empty name, a bad encoding)";
	case SB_ERR_MAC:
		return "MAC mismatch";
	case SB_ERR_CIPHER:
		return "cipher failure";
	case SB_ERR_PACKET_LENGTH:
		return "bad packet length";
	case SB_ERR_PRIV_ARGS:
		return "bad arguments";
	case SB_ERR_SETGROUPS:
		return "setgroups failed";
	case SB_ERR_SETGID:
		return "setgid failed";
	case SB_ERR_SETUID:
		return "setuid failed";
	case SB_ERR_PRIV_VERIFY:
		return "ids differ after the change";
	case SB_ERR_PRIV_REGAIN:
		return "root privileges could be regained";
	case SB_ERR_PRIV_NOT_ROOT:
		return "not root: cannot become another user";
	case SB_ERR_PW_WRONG:
		return "wrong password";
	case SB_ERR_PW_LOCKED:
		return "account locked";
	case SB_ERR_PW_EXPIRED:
		return "account or password expired";
	case SB_ERR_PW_EMPTY:
		return "empty password not permitted";
	case SB_ERR_PW_INTERNAL:
		return "internal error";
	case SB_ERR_PROTOCOL:
		return "protocol violation";
	case SB_ERR_AUTH_LIMIT:
		return "too many authentication failures";
	case SB_ERR_KEX:
		return "key exchange failed";
	case SB_ERR_IO:
		return "I/O error";
	case SB_ERR_AGAIN:
		return "would block";
	case SB_ERR_CLOSED:
		return "connection closed";
	case SB_ERR_COMPRESS:
		return "compression failed";
	case SB_ERR_VERSION:
		return "bad protocol identification";
	}
	return "unknown error";
}
