/* transport: SSH transport layer (RFC 4253): version exchange, binary
 * packet protocol, sequence numbers, packet protection through cipher.h,
 * queueing of non-kex messages while a key exchange runs, rekey triggers.
 *
 * The transport does no I/O policy of its own: the connection loop reads
 * socket bytes into its input (transport_read_fd), takes whole packets
 * out with transport_next_packet, and writes its output to the socket
 * (transport_flush). struct transport is opaque outside transport.c.
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

/* Pending keys for one direction: derived by kex, handed to
 * transport_set_next_keys, switched on by transport_activate_tx/rx. */
struct transport_keys {
	struct cipher_ctx *ctx; /* owned by the transport once handed over */
	int aad;		/* packet_length excluded from block alignment (AEAD, EtM) */
	size_t block;		/* padding alignment */
	int zlib_delayed;	/* zlib@openssh.com negotiated (enabled after auth) */
};

/* Errors: every function that fails returns a negative enum sb_err
 * (err.h), so sb_strerror names it in a log line; the refusal reasons a
 * peer caused are also recorded as text (transport_set_error).
 *
 * The transport's state is private to transport.c (transport_int.h,
 * for transport.c and its white-box tests only); everything else holds a
 * pointer and uses the functions below. */
struct transport;

/* A transport reading from fd (and writing to it, see
 * transport_set_output_fd); fd may be -1 for harnesses that move bytes
 * with transport_feed / transport_take_output. NULL when out of memory. */
struct transport *transport_new(int fd);
/* Frees t and everything it holds (keys are wiped); NULL is a no-op. */
void transport_free(struct transport *t);
/* inetd mode: output goes to wfd instead of the input fd. */
void transport_set_output_fd(struct transport *t, int wfd);
/* The descriptor output is written to. */
int transport_output_fd(const struct transport *t);
/* Rekey after bytes in either direction (0: the 1 GiB default) or after
 * interval_ms under the same keys (0: never by time). */
void transport_set_rekey_limits(struct transport *t, uint64_t bytes, uint64_t interval_ms);

/* Records why the connection is refused (the first reason wins); the
 * connection loop logs it once, naming the peer. */
void transport_set_error(struct transport *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The recorded reason, "" when there is none. */
const char *transport_error(const struct transport *t);

/* Read-only facts. */
/* The peer's identification line without CR LF; "" until it was read. */
const char *transport_peer_version(const struct transport *t);
/* Ours (SSHBOX_VERSION_STRING), as it enters the exchange hash. */
const char *transport_our_version(const struct transport *t);
/* 1 once transport_read_version returned 1. */
int transport_version_done(const struct transport *t);
/* 1 after transport_disconnect, transport_mark_dead or a refused version
 * line: nothing more is sent. */
int transport_dead(const struct transport *t);
/* 1 between transport_kex_started and transport_kex_finished. */
int transport_kex_active(const struct transport *t);
/* Sequence number of the packet transport_next_packet returned last. */
uint32_t transport_last_rx_seq(const struct transport *t);
/* Counters of the keys in use (sequence numbers of the next packet, bytes
 * since the keys were installed). */
struct transport_counters {
	uint32_t rx_seq, tx_seq;
	uint64_t rx_bytes, tx_bytes;
};
void transport_get_counters(const struct transport *t, struct transport_counters *out);
/* Received bytes not yet taken out as packets. */
size_t transport_input_pending(const struct transport *t);
/* 1 when the input buffer can take more bytes (transport_read_fd would read). */
int transport_input_room(const struct transport *t);
/* Protected bytes waiting for the socket. */
size_t transport_output_pending(const struct transport *t);
/* Payload bytes held back while a key exchange runs. */
size_t transport_queued(const struct transport *t);
/* Milliseconds until a time-based rekey is due (0: due now); -1 when
 * there is no time limit or a key exchange runs. */
long transport_rekey_timeout_ms(const struct transport *t, uint64_t now_ms);

/* Queues our version line. */
int transport_send_version(struct transport *t);
/* Reads available bytes from the socket into the input buffer. Returns
 * bytes read (>0), 0 on EOF, SB_ERR_IO on error; SB_ERR_AGAIN when
 * nothing is available (EAGAIN) or the input buffer is full. */
long transport_read_fd(struct transport *t);
/* Appends bytes to the input as if read from the socket (harnesses,
 * fuzzers). 0, or a negative enum sb_err (SB_ERR_LIMIT when full). */
int transport_feed(struct transport *t, const void *bytes, size_t len);
/* Moves every protected byte waiting for the socket to the end of dst
 * (harnesses); dst NULL drops them. 0, or a negative enum sb_err. */
int transport_take_output(struct transport *t, struct buf *dst);
/* Writes as much of the output as the socket takes. 0 ok (also when the
 * socket is full), SB_ERR_IO on error (errno set). */
int transport_flush(struct transport *t);
/* Blocking flush with a timeout in ms (for the final DISCONNECT). */
void transport_flush_blocking(struct transport *t, int timeout_ms);

/* Consumes the client's version line from the input. Returns 1 when done,
 * 0 when more bytes are needed; on a bad banner (the reason is recorded:
 * transport_error) SB_ERR_LIMIT (no end within 255 bytes), SB_ERR_FORMAT
 * (NUL or control characters) or SB_ERR_VERSION (not SSH-2.0). */
int transport_read_version(struct transport *t);
/* After a refused version line: queues the plain-text reply RFC 4253
 * s4.2 allows before closing and marks the transport dead. */
void transport_reject_version(struct transport *t);

/* Takes the next whole packet out of the input. Returns 1 and sets
 * *payload (a view valid until the next call) and *type; 0 if more bytes
 * are needed; a negative enum sb_err on a fatal error (SB_ERR_PACKET_LENGTH,
 * SB_ERR_MAC, SB_ERR_FORMAT for the padding, SB_ERR_COMPRESS, ...; the
 * reason is recorded as text; the caller disconnects with *reason). */
int transport_next_packet(struct transport *t, struct buf *payload, uint8_t *type, int *reason);

/* Sends a payload (its first byte is the message type). Queued while a
 * key exchange runs unless it is a transport or kex message. 0, or
 * SB_ERR_CLOSED (dead), SB_ERR_SHORT (empty), SB_ERR_LIMIT (too large or
 * the output is full), SB_ERR_COMPRESS, a cipher error. */
int transport_send(struct transport *t, const struct buf *payload);
/* Sends immediately, bypassing the kex queue (kex messages). */
int transport_send_now(struct transport *t, const uint8_t *payload, size_t len);

/* Kex hooks (kex.c): a round starts (other messages are queued from now
 * on); kex installs the next keys and switches directions. */
void transport_kex_started(struct transport *t);
void transport_set_next_keys(struct transport *t, int dir_tx, const struct transport_keys *k);
/* Switches the send direction to the next keys (after NEWKEYS is queued);
 * strict: reset the sequence number. */
int transport_activate_tx(struct transport *t, int strict);
int transport_activate_rx(struct transport *t, int strict);
/* Marks the kex over and sends everything that was queued. */
int transport_kex_finished(struct transport *t);
/* Enables delayed compression after successful authentication. */
int transport_enable_delayed_compression(struct transport *t);

/* For harnesses (unit tests, fuzzers) that hand payloads straight to kex
 * or auth without framing them: accounts for one received packet as
 * transport_next_packet does (sequence number, counters). */
void transport_harness_received(struct transport *t);

/* Sends SSH_MSG_DISCONNECT and marks the transport dead. */
void transport_disconnect(struct transport *t, uint32_t reason, const char *msg);
/* Marks the transport dead without sending anything (the peer
 * disconnected). */
void transport_mark_dead(struct transport *t);
/* 1 when a rekey is due (bytes or time). */
int transport_rekey_due(const struct transport *t);
/* 1 when bulk channel data may be produced now. */
int transport_can_send_bulk(const struct transport *t);

#endif
