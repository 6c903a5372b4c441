/* krl: RevokedKeys — an OpenSSH key revocation list (PROTOCOL.krl, as
 * `ssh-keygen -k` writes it) or, when the file is not a KRL, a plain list
 * of public keys (one per line, authorized_keys syntax), with OpenSSH's
 * semantics (krl.c, sshkey_check_revoked):
 *  - a plain key is revoked when listed explicitly or by SHA1/SHA256 hash;
 *  - a certificate is revoked when its certified key or its CA key is
 *    revoked that way, or by serial (list, range, bitmap; serial 0 is never
 *    revoked) or key id in a section for its CA or for any CA.
 *
 * The file is root's but still parsed only through struct buf, with the
 * file size, every section and the total number of entries capped. Entries
 * are kept in sorted arrays: a check is a few binary searches (a 100,000
 * entry KRL is checked in microseconds).
 */
#ifndef SSHBOX_KRL_H
#define SSHBOX_KRL_H

#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "keys.h"

#define KRL_MAX_FILE (64u << 20)   /* bigger files are refused */
#define KRL_MAX_ENTRIES (4u << 20) /* serial ranges + ids + keys + hashes */
#define KRL_MAX_CA_SECTIONS 4096

struct krl;

/* Parses a binary KRL. 0 and *out, or -1 with a reason in why (bad
 * magic: why starts with "not a KRL"). */
int krl_parse(const uint8_t *data, size_t len, struct krl **out, char *why, size_t whylen);
/* Parses a plain list of public keys (lines "type base64 [comment]";
 * blank and # lines skipped, bad lines refused). */
int krl_parse_keylist(const char *text, size_t len, struct krl **out, char *why, size_t whylen);
/* Reads path: a KRL when it starts with the KRL magic, a key list
 * otherwise. -1 (why) when unreadable or malformed: the caller must then
 * refuse every key, as OpenSSH does. */
int krl_load(const char *path, struct krl **out, char *why, size_t whylen);
void krl_free(struct krl *k);

/* 1 if revoked, 0 if not. */
int krl_key_revoked(const struct krl *k, const struct pubkey *key);
int krl_cert_revoked(const struct krl *k, const struct cert *c);

/* Entries held (for logs and tests). */
size_t krl_entries(const struct krl *k);

/* The RevokedKeys file loaded once per (path, inode, size, mtime) and kept
 * for later checks in this process (the listener loads it at start so
 * connection processes inherit it). NULL with why when unusable. */
const struct krl *krl_cached(const char *path, char *why, size_t whylen);

#endif
