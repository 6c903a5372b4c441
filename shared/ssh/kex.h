/* kex: server side of the SSH key exchange (RFC 4253 s7-8, RFC 8731,
 * OpenSSH PROTOCOL: kex-strict-s-v00@openssh.com, ext-info).
 *
 * Key exchange methods live in a table (struct kex_method): each gives
 * its hash and one server-side operation, "client public value in ->
 * server public value + encoded shared secret out", which is all an ECDH
 * or KEM hybrid needs: curve25519-sha256, sntrup761x25519-sha512 and
 * mlkem768x25519-sha256 are all entries. Adding a method is one table
 * entry plus its name in KEX_NAMES_SUPPORTED.
 */
#ifndef SSHBOX_KEX_H
#define SSHBOX_KEX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"

struct transport;
struct hostkeys;

struct kex_method {
	const char *name;
	enum hash_alg hash;
	/* Given the client's ephemeral public value, appends the server's
	 * reply value to server_pub and the shared secret K, already encoded
	 * as it enters the exchange hash (mpint for ECDH, string for KEM
	 * hybrids), to shared. 0 on success, SB_ERR_KEX for a refused value. */
	int (*server_reply)(const uint8_t *client_pub, size_t len, struct buf *server_pub,
			    struct buf *shared);
};

/* Every implemented kex method, in the order the server prefers them
 * (post-quantum hybrids first); also the KexAlgorithms default. */
#define KEX_NAMES_SUPPORTED                                                                                  \
	"mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256," \
	"curve25519-sha256@"                                                                                 \
	"libssh.org"

const struct kex_method *kex_method_by_name(const char *name, size_t len);
/* Comma-separated names of every implemented kex method. */
const char *kex_supported_names(void);

/* Algorithms the server offers (comma lists); NULL fields use defaults. */
struct kex_prefs {
	const char *kex;
	const char *ciphers;
	const char *macs;
	const char *compression; /* "none" or "none,zlib@openssh.com" */
};

struct kex {
	struct kex_prefs prefs;
	const struct hostkeys *hostkeys;
	char hostkey_alg[64]; /* negotiated host key algorithm */
	struct transport *t;

	int done_first;	  /* first NEWKEYS received */
	int strict;	  /* kex-strict negotiated in the first KEXINIT */
	int ext_info_c;	  /* client wants SSH_MSG_EXT_INFO */
	int sent_kexinit; /* our KEXINIT for the current round is out */
	int got_kexinit;  /* peer's KEXINIT for the current round is in */
	int sent_newkeys, got_newkeys;
	int ignore_next; /* wrong first_kex_packet_follows guess */
	int expect_init; /* waiting for KEX_ECDH_INIT */

	struct buf i_s, i_c; /* KEXINIT payloads (ours, client's) */
	uint8_t session_id[64];
	size_t session_id_len;

	/* negotiated */
	const struct kex_method *method;
	char cipher_c2s[64], cipher_s2c[64], mac_c2s[64], mac_s2c[64], comp_c2s[32], comp_s2c[32];
	unsigned rounds;
};

/* Observer for metrics (H): called with the method name after each kex. */
extern void (*kex_done_hook)(const char *method_name);

/* hks: the host keys, with hostkeys_select done (its algs are offered). */
void kex_init(struct kex *k, struct transport *t, const struct hostkeys *hks, const struct kex_prefs *prefs);
void kex_free(struct kex *k);

/* Starts a key exchange round: sends our KEXINIT. 0 or a negative enum sb_err. */
int kex_start(struct kex *k);

/* Called for every incoming packet before dispatch. Returns 1 if the
 * packet was a kex packet and was consumed, 0 if the caller should
 * dispatch it, a negative enum sb_err on a fatal error (*reason set; the
 * reason recorded on the transport, transport_error): SB_ERR_PROTOCOL (a
 * message not allowed now, strict kex), SB_ERR_KEX (no common algorithm,
 * bad public value, key setup or signing), or the buf error of a malformed
 * field ("kex: malformed KEXINIT: <field>: <sb_strerror>"). Enforces
 * strict kex: during the initial exchange only kex messages are allowed. */
int kex_filter(struct kex *k, uint8_t type, struct buf *payload, int *reason);

/* Negotiation helper (exposed for unit tests): the first name of
 * client_list that is also in server_list; copies it to out. 0, or
 * SB_ERR_KEX when there is none. */
int kex_negotiate(const char *client_list, size_t client_len, const char *server_list, char *out,
		  size_t outcap);
/* 1 if name is an element of the comma list. */
int kex_list_has(const uint8_t *list, size_t len, const char *name);

/* RFC 4253 s7.2 key derivation (exposed for unit tests): derives need
 * bytes for letter into out. 0, or a negative enum sb_err. */
int kex_derive(enum hash_alg h, const struct buf *k_enc, const uint8_t *hash, size_t hlen, char letter,
	       const uint8_t *session_id, size_t sid_len, uint8_t *out, size_t need);

#endif
