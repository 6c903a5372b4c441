/* err: ONE error space for sshbox's library layers. Every module that
 * returns a negative error code returns one of these (its own header may
 * give them module-flavoured names, e.g. BUF_ERR_SHORT == SB_ERR_SHORT),
 * so a code means the same thing wherever it surfaces and sb_strerror
 * can name it in a log line. Ranges per module keep the historical
 * values where callers or tests saw them (buf -1..-4, cipher -20..).
 * 0 is success; positive values are never errors (module-specific
 * results, e.g. PRIVDROP_SKIPPED). */
#ifndef SSHBOX_ERR_H
#define SSHBOX_ERR_H

enum sb_err {
	SB_OK = 0,
	/* struct buf (buf.c) and every parser built on it */
	SB_ERR_SHORT = -1,  /* fewer bytes left than the field needs */
	SB_ERR_LIMIT = -2,  /* would grow past max, or a length over a limit */
	SB_ERR_NOMEM = -3,  /* allocation failed */
	SB_ERR_FORMAT = -4, /* bytes present but malformed (NUL in a name, bad mpint) */
	/* packet protection (cipher.c) */
	SB_ERR_MAC = -20,	    /* authentication tag / MAC mismatch */
	SB_ERR_CIPHER = -21,	    /* internal cipher failure */
	SB_ERR_PACKET_LENGTH = -22, /* packet_length misaligned or size mismatch */
	/* privilege drop (privdrop.c) */
	SB_ERR_PRIV_ARGS = -30, /* too many groups */
	SB_ERR_SETGROUPS = -31,
	SB_ERR_SETGID = -32,
	SB_ERR_SETUID = -33,
	SB_ERR_PRIV_VERIFY = -34,   /* ids not as requested after the calls */
	SB_ERR_PRIV_REGAIN = -35,   /* setuid(0)/setgid(0) succeeded afterwards */
	SB_ERR_PRIV_NOT_ROOT = -36, /* non-root caller asked for another user */
	/* password checks (passwd.c) */
	SB_ERR_PW_WRONG = -40,	  /* wrong password, or no such user (indistinguishable) */
	SB_ERR_PW_LOCKED = -41,	  /* "!" / "*" hash, or no password entry */
	SB_ERR_PW_EXPIRED = -42,  /* account expired or password too old */
	SB_ERR_PW_EMPTY = -43,	  /* empty password and PermitEmptyPasswords no */
	SB_ERR_PW_INTERNAL = -44, /* unreadable shadow, crypt failure */
	/* protocol state machines (transport, kex, auth, channel) */
	SB_ERR_PROTOCOL = -50,	 /* a message that is not allowed here */
	SB_ERR_AUTH_LIMIT = -51, /* too many authentication failures: disconnect */
	SB_ERR_KEX = -52,	 /* no common algorithm, bad public value, key setup or signing failed */
	SB_ERR_IO = -53,	 /* read/write on the socket failed */
	SB_ERR_AGAIN = -54,	 /* nothing to read now, or no room to read into: poll again */
	SB_ERR_CLOSED = -55,	 /* the transport is dead: nothing more is sent */
	SB_ERR_COMPRESS = -56,	 /* zlib failed, or a packet inflates past the payload limit */
	SB_ERR_VERSION = -57,	 /* the peer's identification line is not SSH-2.0 */
};

/* A short lower-case description ("message too short", "MAC mismatch");
 * never NULL, "unknown error" for a value outside the enum. */
const char *sb_strerror(int err);

#endif
