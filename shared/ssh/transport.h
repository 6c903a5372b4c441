/* transport: SSH transport layer (RFC 4253): version exchange, binary
 * packet protocol, sequence numbers, packet protection through cipher.h,
 * queueing of non-kex messages while a key exchange runs, rekey triggers.
 *
 * The transport does no I/O policy of its own: the connection loop reads
 * socket bytes into t->in (transport_read_fd), takes whole packets out with
 * transport_next_packet, and writes t->out to the socket (transport_flush).
 */
#ifndef SSHBOX_TRANSPORT_H
#define SSHBOX_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Message numbers (RFC 4250 s4.1). */
enum {
	SSH_MSG_DISCONNECT = 1,
	SSH_MSG_IGNORE = 2,
	SSH_MSG_UNIMPLEMENTED = 3,
	SSH_MSG_DEBUG = 4,
	SSH_MSG_SERVICE_REQUEST = 5,
	SSH_MSG_SERVICE_ACCEPT = 6,
	SSH_MSG_EXT_INFO = 7,
	SSH_MSG_KEXINIT = 20,
	SSH_MSG_NEWKEYS = 21,
	SSH_MSG_KEX_ECDH_INIT = 30,
	SSH_MSG_KEX_ECDH_REPLY = 31,
	SSH_MSG_USERAUTH_REQUEST = 50,
	SSH_MSG_USERAUTH_FAILURE = 51,
	SSH_MSG_USERAUTH_SUCCESS = 52,
	SSH_MSG_USERAUTH_BANNER = 53,
	SSH_MSG_USERAUTH_PK_OK = 60,
	SSH_MSG_USERAUTH_INFO_REQUEST = 60,
	SSH_MSG_USERAUTH_INFO_RESPONSE = 61,
	SSH_MSG_GLOBAL_REQUEST = 80,
	SSH_MSG_REQUEST_SUCCESS = 81,
	SSH_MSG_REQUEST_FAILURE = 82,
	SSH_MSG_CHANNEL_OPEN = 90,
	SSH_MSG_CHANNEL_OPEN_CONFIRMATION = 91,
	SSH_MSG_CHANNEL_OPEN_FAILURE = 92,
	SSH_MSG_CHANNEL_WINDOW_ADJUST = 93,
	SSH_MSG_CHANNEL_DATA = 94,
	SSH_MSG_CHANNEL_EXTENDED_DATA = 95,
	SSH_MSG_CHANNEL_EOF = 96,
	SSH_MSG_CHANNEL_CLOSE = 97,
	SSH_MSG_CHANNEL_REQUEST = 98,
	SSH_MSG_CHANNEL_SUCCESS = 99,
	SSH_MSG_CHANNEL_FAILURE = 100,
};

/* Disconnect reason codes (RFC 4253 s11.1). */
enum {
	SSH_DISCONNECT_PROTOCOL_ERROR = 2,
	SSH_DISCONNECT_KEY_EXCHANGE_FAILED = 3,
	SSH_DISCONNECT_MAC_ERROR = 5,
	SSH_DISCONNECT_SERVICE_NOT_AVAILABLE = 7,
	SSH_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED = 8,
	SSH_DISCONNECT_BY_APPLICATION = 11,
	SSH_DISCONNECT_TOO_MANY_CONNECTIONS = 12,
	SSH_DISCONNECT_AUTH_CANCELLED_BY_USER = 13,
	SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE = 14,
	SSH_DISCONNECT_ILLEGAL_USER_NAME = 15,
};

#define SSHBOX_VERSION_STRING "SSH-2.0-sshbox_0.1"
/* Largest packet_length we accept (OpenSSH uses 256 KiB). */
#define TRANSPORT_MAX_PACKET (256u * 1024u)
/* Largest payload we accept / build. */
#define TRANSPORT_MAX_PAYLOAD (TRANSPORT_MAX_PACKET - 64u)
/* Do not queue more than this many bytes of outgoing ciphertext before
 * stopping reading from channel fds (flow control toward the socket). */
#define TRANSPORT_OUT_HIGH_WATER (2u * 1024u * 1024u)

struct cipher_ctx;
struct cipher_info;
struct mac_info;

/* One direction of packet protection. */
struct transport_dir {
	struct cipher_ctx *ctx; /* NULL: "none" (before the first NEWKEYS) */
	int aad;                /* packet_length excluded from block alignment (AEAD, EtM) */
	size_t block;           /* padding alignment */
	uint32_t seq;           /* sequence number of the next packet */
	uint64_t bytes;         /* bytes since these keys were installed */
	uint64_t packets;
	int compress;           /* zlib@openssh.com active */
	int zlib_neg;           /* zlib@openssh.com negotiated for these keys */
	void *z;                /* z_stream when compress */
};

/* Pending keys (derived by kex, installed at NEWKEYS). */
struct transport_keys {
	struct cipher_ctx *ctx;
	int aad;
	size_t block;
	int zlib_delayed; /* zlib@openssh.com negotiated (enabled after auth) */
};

struct transport {
	int fd;  /* read side (the socket) */
	int wfd; /* write side: the same socket, or stdout in inetd mode */
	struct buf in;  /* raw bytes from the socket */
	struct buf out; /* protected bytes to the socket */
	struct transport_dir rx, tx;
	struct transport_keys rx_next, tx_next;
	int rx_next_ready, tx_next_ready;

	/* version exchange */
	int version_done;
	char peer_version[256]; /* without CR LF */
	char our_version[64];

	/* receive state for the packet being assembled */
	int rx_have_len;
	uint32_t rx_len;
	struct buf pkt; /* plaintext of the last packet; payload readable */
	uint32_t last_rx_seq;

	/* kex: while kex_active, payloads other than transport/kex messages
	 * are queued (each prefixed by u32 length) and sent at NEWKEYS. */
	int kex_active;
	struct buf queue;

	/* rekey policy */
	uint64_t rekey_bytes;    /* per direction; 0 = default */
	uint64_t rekey_interval; /* ms; 0 = none */
	uint64_t keys_since_ms;
	int rekey_wanted;

	/* set by transport_disconnect or a fatal error */
	int dead;
	/* Why the peer is being refused (transport and kex set it instead of
	 * logging, so the connection logs one line with the peer's name). */
	char err[160];
	int auth_done; /* for delayed compression */
};

void transport_init(struct transport *t, int fd);
/* Records why the connection is refused (the first reason wins); the
 * connection loop logs it once, naming the peer. */
void transport_set_error(struct transport *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void transport_free(struct transport *t);

/* Queues our version line. */
int transport_send_version(struct transport *t);
/* Reads available bytes from the socket into t->in. Returns bytes read
 * (>0), 0 on EOF, -1 on error; -2 when nothing is available (EAGAIN) or
 * the input buffer is full. */
long transport_read_fd(struct transport *t);
/* Writes as much of t->out as the socket takes. 0 ok, -1 on error. */
int transport_flush(struct transport *t);
/* Blocking flush with a timeout in ms (for the final DISCONNECT). */
void transport_flush_blocking(struct transport *t, int timeout_ms);

/* Consumes the client's version line from t->in. Returns 1 when done,
 * 0 when more bytes are needed, negative on a bad banner (already logged). */
int transport_read_version(struct transport *t);

/* Takes the next whole packet out of t->in. Returns 1 and sets *payload
 * (a view valid until the next call) and *type; 0 if more bytes are
 * needed; negative on a fatal error (logged; caller disconnects with
 * *reason). */
int transport_next_packet(struct transport *t, struct buf *payload, uint8_t *type, int *reason);

/* Sends a payload (its first byte is the message type). Queued while a
 * key exchange runs unless it is a transport or kex message. */
int transport_send(struct transport *t, const struct buf *payload);
/* Sends immediately, bypassing the kex queue (kex messages). */
int transport_send_now(struct transport *t, const uint8_t *payload, size_t len);

/* Kex hooks: kex.c installs the next keys and switches directions. */
void transport_set_next_keys(struct transport *t, int dir_tx, const struct transport_keys *k);
/* Switches the send direction to the next keys (after NEWKEYS is queued);
 * strict: reset the sequence number. */
int transport_activate_tx(struct transport *t, int strict);
int transport_activate_rx(struct transport *t, int strict);
/* Marks the kex over and sends everything that was queued. */
int transport_kex_finished(struct transport *t);
/* Enables delayed compression after successful authentication. */
int transport_enable_delayed_compression(struct transport *t);

/* Sends SSH_MSG_DISCONNECT and marks the transport dead. */
void transport_disconnect(struct transport *t, uint32_t reason, const char *msg);
/* 1 when a rekey is due (bytes or time). */
int transport_rekey_due(const struct transport *t);
/* 1 when bulk channel data may be produced now. */
int transport_can_send_bulk(const struct transport *t);

#endif
