/* cipher: SSH binary-packet protection (RFC 4253 s6, RFC 5647, OpenSSH
 * PROTOCOL.chacha20poly1305, PROTOCOL "EtM"). One direction per struct.
 *
 * The transport hands whole packets to this module; it never touches
 * keys or MAC bytes itself. Packet layout handled here:
 *   [u32 packet_length][u8 padding_length][payload][padding][mac/tag]
 * For AEAD and EtM modes packet_length is not encrypted (chacha: encrypted
 * with its own key, see cipher_decrypt_length).
 */
#ifndef SSHBOX_CIPHER_H
#define SSHBOX_CIPHER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Names as they appear in KEXINIT, in our preference order. */
#define CIPHER_NAMES_DEFAULT \
	"chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes256-ctr"
#define MAC_NAMES_DEFAULT \
	"hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512"
/* What the daemon offers unless MACs says otherwise: encrypt-then-MAC only
 * (ssh-audit warns about encrypt-and-MAC); "MACs +hmac-sha2-256,..." adds
 * the others back. MAC_NAMES_DEFAULT above is everything supported. */
#define MAC_NAMES_OFFERED "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com"

struct cipher_info {
	const char *name;
	size_t key_len;    /* bytes of encryption key to derive */
	size_t iv_len;     /* bytes of IV to derive */
	size_t block_len;  /* padding alignment (8 for chacha, 16 for AES) */
	size_t tag_len;    /* AEAD tag length; 0 for non-AEAD (use MAC) */
	int aead;          /* 1: no separate MAC algorithm is negotiated */
};

struct mac_info {
	const char *name;
	size_t key_len;
	size_t mac_len;
	int etm;           /* encrypt-then-MAC: length sent in the clear */
};

const struct cipher_info *cipher_by_name(const char *name);
const struct mac_info *mac_by_name(const char *name);

/* State of one direction. Opaque storage; see cipher.c. */
struct cipher_ctx;

/* mac may be NULL when cipher->aead. Keys are copied (caller wipes its own). */
struct cipher_ctx *cipher_ctx_new(const struct cipher_info *c, const uint8_t *key, const uint8_t *iv,
				  const struct mac_info *mac, const uint8_t *mac_key);
void cipher_ctx_free(struct cipher_ctx *ctx); /* wipes */

/* The "none" context before the first NEWKEYS is represented by NULL. */
size_t cipher_block_len(const struct cipher_ctx *ctx);    /* 8 for NULL */
size_t cipher_trailer_len(const struct cipher_ctx *ctx);  /* tag or MAC bytes after packet */
int cipher_length_in_clear(const struct cipher_ctx *ctx); /* AEAD-gcm, EtM, or NULL */

/* Sending: `pkt` holds exactly [u32 len][u8 padlen][payload][padding] with
 * the padding already filled with random bytes and the length fields set.
 * Encrypts in place and appends the tag/MAC (seqnr = this packet's number). */
int cipher_seal(struct cipher_ctx *ctx, uint32_t seqnr, struct buf *pkt);

/* Receiving, step 1: from the first 4 bytes as received (or, for non-EtM
 * CBC-less CTR mode, the first block), learn packet_length.
 * `first` must hold at least cipher_first_len(ctx) bytes. For CTR+non-EtM
 * MAC mode this decrypts the first block into `first_plain` (cipher keeps
 * the stream position), for others first_plain gets a copy. */
size_t cipher_first_len(const struct cipher_ctx *ctx);
int cipher_decrypt_length(struct cipher_ctx *ctx, uint32_t seqnr, const uint8_t *first, uint8_t *first_plain,
			  uint32_t *packet_len);
/* Details of the two steps (as implemented in cipher.c):
 * - cipher_first_len: 16 for aes*-ctr with a non-EtM MAC, else 4 (also for NULL).
 * - cipher_decrypt_length sets *packet_len and returns CIPHER_ERR_LENGTH when
 *   it does not give whole cipher blocks (4+len for plain modes, len alone
 *   when the length is AAD: AEAD and EtM). Upper bounds are the transport's.
 *   first_plain may be the same array as first.
 * - chacha20-poly1305: pkt must carry the length field exactly as received
 *   (encrypted): the tag covers it. cipher_open decrypts it again.
 * - aes-ctr + non-EtM MAC: call cipher_decrypt_length exactly once per
 *   packet before cipher_open (the stream advances); cipher_open overwrites
 *   the first 16 bytes of pkt with the plain block it kept, so they may be
 *   either the received or the decrypted bytes.
 * - NULL ctx: cipher_seal does nothing; cipher_open only checks the length. */

/* Receiving, step 2: `pkt` holds the whole packet as received:
 * 4 + packet_len bytes followed by trailer_len bytes of tag/MAC.
 * Verifies (constant time) and decrypts in place; on success `pkt` holds
 * [u32 len][u8 padlen][payload][padding] in plain text (trailer removed).
 * Returns CIPHER_ERR_MAC on authentication failure. */
int cipher_open(struct cipher_ctx *ctx, uint32_t seqnr, struct buf *pkt);

/* Which AES / GHASH code is in use ("aes-x86ni ghash-pclmul" when the CPU
 * has AES-NI and PCLMULQDQ), for logs and benchmarks. */
const char *cipher_impl_name(void);
/* One line for the startup log: the AES/GHASH implementation, ChaCha20's
 * (libsodium's run-time pick) and whether SHA-256 has SHA-NI. */
const char *cipher_accel_summary(void);
/* Tests: make contexts created afterwards use the portable constant-time
 * code (BearSSL aes_ct64 / ghash_ctmul64) even on AES-NI CPUs. */
void cipher_use_portable_impl(int on);

/* cipher errors are codes of the one error space (err.h) */
#define CIPHER_ERR_MAC SB_ERR_MAC
#define CIPHER_ERR_INTERNAL SB_ERR_CIPHER
#define CIPHER_ERR_LENGTH SB_ERR_PACKET_LENGTH /* packet_length misaligned or pkt size mismatch */

#endif
