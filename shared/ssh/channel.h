/* channel: RFC 4254 connection protocol: channel table, flow control
 * (windows, max packet), EOF/CLOSE in both directions, and generic
 * fd-backed data plumbing.
 *
 * The channel layer knows nothing above it. The layer above (conn.c, or a
 * test harness) hands down a struct channel_host: an opaque owner pointer
 * passed back to every handler, a send callback, the connection-level
 * facts the layer needs (may bulk data be produced now; a global-request
 * answer arrived), and the tables of channel types ("session",
 * "direct-tcpip", ...) and global requests ("tcpip-forward", ...) it
 * serves. It calls nothing but those callbacks and its handlers.
 *
 * A channel owns up to three fds, all non-blocking, polled by the owner's
 * loop through channel_poll_prepare / channel_poll_service:
 *   fd_in   data from the client is written here (child stdin, pty
 *           master, socket); closed (or shutdown(SHUT_WR) when it is the
 *           same fd as fd_out) after the client's EOF once everything
 *           buffered was written;
 *   fd_out  read and sent as CHANNEL_DATA (child stdout, pty master, socket);
 *   fd_err  read and sent as CHANNEL_EXTENDED_DATA type 1 (child stderr).
 * Reads never exceed the client's window or max packet; the data we hold
 * for fd_in never exceeds the window we gave (a client that overruns it is
 * disconnected), so nothing is buffered without bound.
 *
 * Closing order (so trailing output is never lost): output first, then
 * exit-status, EOF, CLOSE. When fd_out and fd_err have both reached EOF and
 * all their data is sent, ops->output_eof runs. A session sets
 * ch->hold_close = 1 when it starts a child; while it is set, EOF and CLOSE
 * wait. When the child exits the session sends "exit-status" /
 * "exit-signal" with channel_send_request (which the channel layer holds
 * back until the output is drained) and calls channel_release_close();
 * then EOF and CLOSE follow. When both sides sent CLOSE the channel is
 * freed (ops->free runs, fds are closed). If the client closes first, we
 * answer CLOSE at once (held exit messages are dropped).
 *
 * Lifetimes: struct channel pointers stay valid until ops->free has run.
 */
#ifndef SSHBOX_CHANNEL_H
#define SSHBOX_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct channel;
struct channel_table;

/* RFC 4254 s5.1 open failure reasons. */
enum {
	SSH_OPEN_ADMINISTRATIVELY_PROHIBITED = 1,
	SSH_OPEN_CONNECT_FAILED = 2,
	SSH_OPEN_UNKNOWN_CHANNEL_TYPE = 3,
	SSH_OPEN_RESOURCE_SHORTAGE = 4,
};

#define CHANNEL_MAX 256			    /* open channels per connection */
#define CHANNEL_WINDOW (2u * 1024u * 1024u) /* window we give the client */
#define CHANNEL_MAX_PACKET (32u * 1024u)    /* max packet we accept */

/* Every handler receives `owner`: the pointer from channel_host.owner (the
 * connection), which the channel layer never looks into. */
struct channel_ops {
	/* CHANNEL_REQUEST on this channel (type is NUL-terminated, data is
	 * positioned after want_reply). Return 1 = success, 0 = failure; the
	 * channel layer sends CHANNEL_SUCCESS/FAILURE when want_reply. Return
	 * < 0 to drop the whole connection (protocol error). May be NULL
	 * (every request fails). */
	int (*request)(void *owner, struct channel *ch, const char *type, int want_reply, struct buf *data);
	/* fd_out and fd_err reached EOF and everything read was sent; runs
	 * once, just before EOF is sent to the client. May be NULL. */
	void (*output_eof)(void *owner, struct channel *ch);
	/* The client sent EOF and all its data has been written to fd_in
	 * (fd_in was closed / shut down already). May be NULL. */
	void (*input_eof)(void *owner, struct channel *ch);
	/* Outgoing channels (channel_open_outgoing): the client's answer.
	 * ok = 0: reason/desc from OPEN_FAILURE; the channel is freed after. */
	void (*open_result)(void *owner, struct channel *ch, int ok, uint32_t reason, const char *desc);
	/* The channel is going away (CLOSE exchanged, or the connection ends).
	 * Release ctx (kill/reap children as appropriate). The channel layer
	 * closes fd_in/fd_out/fd_err itself afterwards. May be NULL. */
	void (*free)(void *owner, struct channel *ch);
};

struct channel {
	uint32_t id;	    /* our channel number */
	uint32_t remote_id; /* the client's */
	char type[64];
	const struct channel_ops *ops;
	void *ctx; /* owner's state */

	int fd_in, fd_out, fd_err; /* -1 when absent */
	int hold_close;		   /* set by the owner: do not send CLOSE yet */
	/* set by the owner (fwd.c sockets): EOF goes out when the output ends,
	 * but our CLOSE waits until the client's EOF was written through
	 * (half-close both ways; the client's CLOSE still ends it at once) */
	int close_after_input;

	/* --- private to channel.c --- */
	struct channel_table *tab;
	int used;
	int confirmed;		 /* open confirmed (outgoing: by the client) */
	uint32_t local_window;	 /* bytes the client may still send */
	uint32_t local_consumed; /* written to fd_in since the last WINDOW_ADJUST */
	uint32_t remote_window;	 /* bytes we may still send */
	uint32_t remote_maxpacket;
	struct buf to_child;  /* client data not yet written to fd_in */
	int out_eof, err_eof; /* fd_out / fd_err reached EOF (or absent) */
	int eof_rcvd, eof_sent, close_rcvd, close_sent;
	int in_closed; /* fd_in closed after the client's EOF */
	int output_eof_called, input_eof_called;
	int fds_attached;	 /* channel_set_fds was called */
	int open_pending;	 /* incoming open awaiting its handler's answer */
	struct buf pending_exit; /* exit-status/-signal held until output is drained */
};

/* Channel-open handler for one channel type. Called with the channel
 * allocated (ch->type, ch->remote_id, windows set) and data positioned
 * after the standard open fields (type-specific data). Return 0 to confirm
 * (set ch->ops / ch->ctx; fds may be attached now or later), < 0 to
 * refuse: set *reason (SSH_OPEN_*) and write a message into desc, or
 * CHANNEL_OPEN_PENDING when the answer comes later (a dial in progress):
 * set ch->ops (its free() releases what the pending open holds) and call
 * channel_open_confirm or channel_open_fail once the outcome is known. The
 * connection loop runs meanwhile; nothing else touches the channel. */
#define CHANNEL_OPEN_PENDING 1
typedef int (*channel_open_fn)(void *owner, struct channel *ch, struct buf *data, uint32_t *reason,
			       char *desc, size_t desclen);

/* Global request handler. data is positioned after want_reply. Return 1
 * for success (bytes appended to reply are sent in REQUEST_SUCCESS, e.g.
 * the allocated port of tcpip-forward), 0 for failure, < 0 to drop the
 * connection. */
typedef int (*global_request_fn)(void *owner, const char *name, struct buf *data, struct buf *reply);

/* One entry of the tables handed down by the layer above. */
struct channel_type {
	const char *name;
	channel_open_fn open;
};
struct channel_global {
	const char *name;
	global_request_fn handle;
};

/* What the layer above provides. Names not in the tables are refused
 * (OPEN_FAILURE UNKNOWN_CHANNEL_TYPE / REQUEST_FAILURE). The channel layer
 * only runs after user authentication (the owner does not feed it before). */
struct channel_host {
	void *owner;
	/* Sends one payload (first byte = message type). 0 or -1. Required. */
	int (*send)(void *owner, const struct buf *payload);
	/* 1 when bulk channel data may be produced now (transport output
	 * below its high-water mark, no key exchange). NULL: always. */
	int (*can_send_bulk)(void *owner);
	/* A REQUEST_SUCCESS/FAILURE arrived: an answer to a global request we
	 * sent (keepalives). May be NULL. */
	void (*global_answered)(void *owner);
	const char *peer; /* the client, for log lines ("192.0.2.7") */
	const struct channel_type *types;
	size_t n_types;
	const struct channel_global *globals;
	size_t n_globals;
};

/* A slot is free while its `used` is 0; its other fields are then
 * meaningless (all zero in a fresh table). `n_slots` is one past the highest
 * slot ever used: scans stop there, so a connection touches (and faults in)
 * only the pages of the slots it has used, not the whole ~90 KiB table. */
struct channel_table {
	struct channel_host host;
	uint32_t n_slots;
	struct channel ch[CHANNEL_MAX];
};

/* host is copied; the strings and tables it points to must outlive tab.
 * tab must be all zero (static storage or calloc) or emptied by
 * channel_table_free(): the slots are not written here, so a fresh
 * connection does not fault in the whole table. */
void channel_table_init(struct channel_table *tab, const struct channel_host *host);
/* Frees every channel (connection end). */
void channel_table_free(struct channel_table *tab);
/* 1 if any channel is open. */
int channel_any_open(const struct channel_table *tab);
/* The table ch belongs to. */
struct channel_table *channel_table_of(struct channel *ch);

/* Answer a CHANNEL_OPEN_PENDING open. confirm: 0 or -1 (send failed).
 * fail: sends OPEN_FAILURE and frees the channel (ops->free runs). */
int channel_open_confirm(struct channel *ch);
int channel_open_fail(struct channel *ch, uint32_t reason, const char *desc);

/* Attaches fds (ownership passes to the channel; they are made
 * non-blocking and close-on-exec). Any of them may be -1. fd_in may equal
 * fd_out (pty master, socket). May be called once per channel. */
void channel_set_fds(struct channel *ch, int fd_in, int fd_out, int fd_err);

/* Sends CHANNEL_REQUEST (e.g. "exit-status" with data = u32 status;
 * "exit-signal"). data may be NULL. 0, SB_ERR_CLOSED after CLOSE, or the
 * error of the send. */
int channel_send_request(struct channel *ch, const char *type, int want_reply, const struct buf *data);
/* Clears hold_close: the channel may send CLOSE after its EOF. */
void channel_release_close(struct channel *ch);
/* Closes now: discards pending data, sends EOF (if not yet) and CLOSE. */
void channel_close(struct channel *ch);

/* Opens a channel toward the client (forwarded-tcpip, auth-agent...):
 * data holds the type-specific fields that follow the standard ones.
 * ops->open_result reports the answer. NULL on failure. */
struct channel *channel_open_outgoing(struct channel_table *tab, const char *type, const struct buf *data,
				      const struct channel_ops *ops, void *ctx);

/* Number of open channels of a type (MaxSessions). */
int channel_count_type(const struct channel_table *tab, const char *type);

/* --- for the owner's loop --- */
struct pollfd;
/* Dispatches connection-protocol messages (80..100). 0 ok, or a negative
 * enum sb_err, fatal (logged with its text): the buf error of a malformed
 * field, SB_ERR_PROTOCOL (unknown channel, window exceeded, data after
 * EOF, a second CLOSE, a handler's fatal refusal), or the send's error. */
int channel_handle_packet(struct channel_table *tab, uint8_t type, struct buf *payload);
/* Adds poll entries for channel fds; the companion array tags which
 * channel/fd role each entry belongs to. Returns the number added. */
struct channel_pollref {
	uint32_t id;
	int role; /* 0 in, 1 out, 2 err */
};
size_t channel_poll_prepare(struct channel_table *tab, struct pollfd *pfds, struct channel_pollref *refs,
			    size_t max);
/* Services poll results; also advances EOF/CLOSE state. 0 ok, or a
 * negative enum sb_err (fatal). */
int channel_poll_service(struct channel_table *tab, struct pollfd *pfds, struct channel_pollref *refs,
			 size_t n);
/* Advances EOF/CLOSE state machines and frees finished channels. */
void channel_progress(struct channel_table *tab);

#endif
