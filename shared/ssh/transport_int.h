/* transport_int: the state behind the opaque struct transport.
 * Included ONLY by transport.c and by the white-box tests of the
 * transport itself (tests/unit/test_transport.c: sequence numbers near
 * the wrap, byte counters and key age for the rekey triggers). Every other
 * module, kex.c included, uses the functions in transport.h. */
#ifndef SSHBOX_TRANSPORT_INT_H
#define SSHBOX_TRANSPORT_INT_H

#include "transport.h"

/* One direction of packet protection. */
struct transport_dir {
	struct cipher_ctx *ctx; /* NULL: "none" (before the first NEWKEYS) */
	int aad;		/* packet_length excluded from block alignment (AEAD, EtM) */
	size_t block;		/* padding alignment */
	uint32_t seq;		/* sequence number of the next packet */
	uint64_t bytes;		/* bytes since these keys were installed */
	uint64_t packets;
	int compress; /* zlib@openssh.com active */
	int zlib_neg; /* zlib@openssh.com negotiated for these keys */
	void *z;      /* z_stream when compress */
};

struct transport {
	int fd;		/* read side (the socket) */
	int wfd;	/* write side: the same socket, or stdout in inetd mode */
	struct buf in;	/* raw bytes from the socket */
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
	uint64_t rekey_bytes;	 /* per direction; 0 = default */
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

#endif
