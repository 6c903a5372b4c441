/* keyfile: the containers private key files come in, shared by the host
 * key loaders (ed25519, ecdsa, rsa): PEM armour (base64 between BEGIN/END
 * lines), OpenSSH's unencrypted "openssh-key-v1" structure (PROTOCOL.key)
 * read and written through struct buf, and reading a private key file
 * with OpenSSH's permission rule. Nothing here knows a key type's fields.
 */
#ifndef SSHBOX_KEYFILE_H
#define SSHBOX_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define KEYFILE_MAX (64 * 1024) /* a private key file, text */
#define KEYFILE_OPENSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define KEYFILE_OPENSSH_END "-----END OPENSSH PRIVATE KEY-----"

/* Decodes the base64 between the first `begin` line and the next `end`
 * line of text into bin (cap bytes). 0, or -1 when the markers are missing
 * or the base64 is bad or too long. */
int keyfile_pem_body(const char *text, size_t len, const char *begin, const char *end, uint8_t *bin,
		     size_t cap, size_t *binlen);

/* Decodes the text of a private key file (at most max bytes): the OpenSSH
 * armour, else the first of the two DER armours in der ({begin, end,
 * begin, end}: the type's own PEM and PKCS#8). Encrypted files are
 * refused. Returns KEYFILE_OPENSSH or KEYFILE_DER with the bytes in bin,
 * or -1 with *why set (left as is when no armour matched). */
enum { KEYFILE_OPENSSH = 1, KEYFILE_DER = 2 };
int keyfile_decode(const char *text, size_t len, size_t max, const char *const der[4], uint8_t *bin,
		   size_t cap, size_t *binlen, const char **why);

/* Opens a decoded openssh-key-v1 structure: magic, cipher and kdf "none",
 * one key. On success *pub views the public key blob and *priv the private
 * section after its two (equal) check integers, positioned at the key type
 * name; *why is set on failure (encrypted keys are named as such). */
int keyfile_openssh_open(const uint8_t *bin, size_t len, struct buf *pub, struct buf *priv, const char **why);
/* After the key fields: the comment (copied into comment, cap bytes,
 * truncated, NUL-terminated) and the 1,2,3... padding, then nothing. */
int keyfile_openssh_close(struct buf *priv, char *comment, size_t cap);

/* Writes an unencrypted openssh-key-v1 file: pub is the public blob, fields
 * the type-specific private fields (starting with the type name); adds the
 * check integers, comment and padding, the PEM armour, and appends the
 * text to out. */
int keyfile_openssh_encode(const struct buf *pub, const struct buf *fields, const char *comment,
			   struct buf *out);

/* Reads a private key file of at most KEYFILE_MAX bytes into a malloc'd,
 * NUL-terminated buffer. Refuses, as OpenSSH does, a file of ours that
 * group or others may access. 0, or -1 with a reason in why (errno kept). */
int keyfile_read(const char *path, char **text, size_t *len, char *why, size_t whylen);
/* Wipes and frees what keyfile_read returned. */
void keyfile_free(char *text, size_t len);

/* Writes data to path atomically (temporary file in the same directory,
 * fsync, rename) with the given mode. 0 or -1 (logged). */
int keyfile_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

#endif
