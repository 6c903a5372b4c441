/* kex: server side of the SSH key exchange. See kex.h. */
#include "kex.h"

#include <stdio.h>
#include <string.h>

#include "cipher.h"
#include "hostkey.h"
#include "keys.h"
#include "log.h"
#include "transport.h"
#include "util.h"

#define KEXINIT_MAX_LIST 4096
#define KEX_STRICT_C "kex-strict-c-v00@openssh.com"
#define KEX_STRICT_S "kex-strict-s-v00@openssh.com"

void (*kex_done_hook)(const char *method_name);

/* ---- methods ---- */

static int c25519_reply(const uint8_t *client_pub, size_t len, struct buf *server_pub, struct buf *shared)
{
	uint8_t pub[32], priv[32], k[32];
	int r = SB_ERR_KEX;
	if (len != 32)
		return SB_ERR_KEX;
	x25519_keypair(pub, priv);
	if (x25519_shared(k, priv, client_pub) != 0)
		goto out;
	if (buf_put(server_pub, pub, 32) || buf_put_mpint_unsigned(shared, k, 32))
		goto out;
	r = 0;
out:
	secure_zero(priv, sizeof(priv));
	secure_zero(k, sizeof(k));
	return r;
}

/* A post-quantum KEM combined with X25519 (OpenSSH's PROTOCOL; the
 * sntrup761 draft-josefsson-ntruprime-ssh and ML-KEM
 * draft-ietf-sshm-mlkem-hybrid-kex methods share this construction): the
 * client's value is its KEM public key followed by its X25519 public key,
 * exactly that long; the server answers the KEM ciphertext followed by its
 * own X25519 public key. K is HASH(KEM key || X25519 secret), entering the
 * exchange hash as a string. */
struct hybrid_kem {
	size_t pk_len, ct_len, key_len;
	enum hash_alg hash;
	/* Encapsulates to pk: ciphertext and KEM key out; -1 refuses pk. */
	int (*encap)(uint8_t *ct, uint8_t *key, const uint8_t *pk);
};

#define HYBRID_PK_MAX MLKEM768_PUBLIC_BYTES
#define HYBRID_CT_MAX MLKEM768_CIPHERTEXT_BYTES
#define HYBRID_KEY_MAX 32
_Static_assert(SNTRUP761_PUBLIC_BYTES <= HYBRID_PK_MAX && SNTRUP761_CIPHERTEXT_BYTES <= HYBRID_CT_MAX &&
		   SNTRUP761_SHARED_BYTES <= HYBRID_KEY_MAX && MLKEM768_SHARED_BYTES <= HYBRID_KEY_MAX,
	       "hybrid KEM buffers too small");

static int hybrid_reply(const struct hybrid_kem *kem, const uint8_t *client_pub, size_t len,
			struct buf *server_pub, struct buf *shared)
{
	uint8_t kem_pk[HYBRID_PK_MAX], x_peer[32];
	uint8_t ct[HYBRID_CT_MAX], x_pub[32], x_priv[32];
	uint8_t secrets[HYBRID_KEY_MAX + 32], k[64];
	struct buf in;
	int r = SB_ERR_KEX;
	buf_view(&in, client_pub, len);
	if (len != kem->pk_len + sizeof(x_peer) || buf_get(&in, kem_pk, kem->pk_len) ||
	    buf_get(&in, x_peer, sizeof(x_peer)))
		return SB_ERR_KEX;
	if (kem->encap(ct, secrets, kem_pk) != 0)
		return SB_ERR_KEX;
	x25519_keypair(x_pub, x_priv);
	if (x25519_shared(secrets + kem->key_len, x_priv, x_peer) != 0)
		goto out;
	hash_once(kem->hash, secrets, kem->key_len + 32, k);
	if (buf_put(server_pub, ct, kem->ct_len) || buf_put(server_pub, x_pub, sizeof(x_pub)) ||
	    buf_put_string(shared, k, hash_len(kem->hash)))
		goto out;
	r = 0;
out:
	secure_zero(x_priv, sizeof(x_priv));
	secure_zero(secrets, sizeof(secrets));
	secure_zero(k, sizeof(k));
	return r;
}

/* sntrup761 accepts any byte string of the right length as a public key. */
static int sntrup761_encap_any(uint8_t *ct, uint8_t *key, const uint8_t *pk)
{
	sntrup761_encap(ct, key, pk);
	return 0;
}

static const struct hybrid_kem sntrup761x25519 = {SNTRUP761_PUBLIC_BYTES, SNTRUP761_CIPHERTEXT_BYTES,
						  SNTRUP761_SHARED_BYTES, HASH_SHA512, sntrup761_encap_any};
/* ML-KEM refuses a public key that fails the FIPS 203 check, as OpenSSH's
 * kexmlkem768x25519.c does. */
static const struct hybrid_kem mlkem768x25519 = {MLKEM768_PUBLIC_BYTES, MLKEM768_CIPHERTEXT_BYTES,
						 MLKEM768_SHARED_BYTES, HASH_SHA256, mlkem768_encap};

static int sntrup761x25519_reply(const uint8_t *client_pub, size_t len, struct buf *server_pub,
				 struct buf *shared)
{
	return hybrid_reply(&sntrup761x25519, client_pub, len, server_pub, shared);
}

static int mlkem768x25519_reply(const uint8_t *client_pub, size_t len, struct buf *server_pub,
				struct buf *shared)
{
	return hybrid_reply(&mlkem768x25519, client_pub, len, server_pub, shared);
}

/* Post-quantum hybrids first (ML-KEM, the default of OpenSSH 10 and
 * Dropbear 2025, then sntrup761): a client offering one prefers it anyway,
 * and this order is what the server advertises. */
static const struct kex_method methods[] = {
    {"mlkem768x25519-sha256", HASH_SHA256, mlkem768x25519_reply},
    {"sntrup761x25519-sha512", HASH_SHA512, sntrup761x25519_reply},
    {"sntrup761x25519-sha512@openssh.com", HASH_SHA512, sntrup761x25519_reply},
    {"curve25519-sha256", HASH_SHA256, c25519_reply},
    {"curve25519-sha256@libssh.org", HASH_SHA256, c25519_reply},
};

const struct kex_method *kex_method_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(methods); i++)
		if (strlen(methods[i].name) == len && memcmp(methods[i].name, name, len) == 0)
			return &methods[i];
	return NULL;
}

const char *kex_supported_names(void)
{
	return KEX_NAMES_SUPPORTED;
}

/* ---- name lists ---- */

int kex_list_has(const uint8_t *list, size_t len, const char *name)
{
	size_t nl = strlen(name), i = 0;
	while (i <= len) {
		size_t j = i;
		while (j < len && list[j] != ',')
			j++;
		if (j - i == nl && memcmp(list + i, name, nl) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

int kex_negotiate(const char *client_list, size_t client_len, const char *server_list, char *out,
		  size_t outcap)
{
	size_t i = 0;
	while (i < client_len) {
		size_t j = i;
		while (j < client_len && client_list[j] != ',')
			j++;
		size_t n = j - i;
		if (n > 0 && n < outcap) {
			char name[128];
			if (n < sizeof(name)) {
				memcpy(name, client_list + i, n);
				name[n] = 0;
				if (kex_list_has((const uint8_t *)server_list, strlen(server_list), name)) {
					memcpy(out, name, n + 1);
					return 0;
				}
			}
		}
		i = j + 1;
	}
	return SB_ERR_KEX;
}

/* ---- state ---- */

void kex_init(struct kex *k, struct transport *t, const struct hostkeys *hks, const struct kex_prefs *prefs)
{
	memset(k, 0, sizeof(*k));
	k->t = t;
	k->hostkeys = hks;
	if (prefs)
		k->prefs = *prefs;
	if (!k->prefs.kex)
		k->prefs.kex = kex_supported_names();
	if (!k->prefs.ciphers)
		k->prefs.ciphers = CIPHER_NAMES_DEFAULT;
	if (!k->prefs.macs)
		k->prefs.macs = MAC_NAMES_OFFERED;
	if (!k->prefs.compression)
		k->prefs.compression = "none,zlib@openssh.com";
	buf_init(&k->i_s, 16384);
	buf_init(&k->i_c, 65536);
}

void kex_free(struct kex *k)
{
	buf_free(&k->i_s);
	buf_free(&k->i_c);
	secure_zero(k->session_id, sizeof(k->session_id));
}

int kex_start(struct kex *k)
{
	if (k->sent_kexinit)
		return 0;
	struct buf *b = &k->i_s;
	uint8_t cookie[16];
	char kexlist[1024];
	buf_reset(b);
	crypto_random(cookie, sizeof(cookie));
	/* Only offer kex methods we implement, in the configured order. */
	size_t o = 0;
	const char *p = k->prefs.kex;
	kexlist[0] = 0;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (kex_method_by_name(p, n) && o + n + 2 < sizeof(kexlist)) {
			if (o)
				kexlist[o++] = ',';
			memcpy(kexlist + o, p, n);
			o += n;
			kexlist[o] = 0;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (!k->done_first && o + strlen(",ext-info-s," KEX_STRICT_S) + 1 < sizeof(kexlist))
		strcat(kexlist, ",ext-info-s," KEX_STRICT_S);
	int r = buf_put_u8(b, SSH_MSG_KEXINIT);
	r = r ? r : buf_put(b, cookie, 16);
	r = r ? r : buf_put_cstring(b, kexlist);
	r = r ? r : buf_put_cstring(b, hostkeys_algs(k->hostkeys));
	r = r ? r : buf_put_cstring(b, k->prefs.ciphers);
	r = r ? r : buf_put_cstring(b, k->prefs.ciphers);
	r = r ? r : buf_put_cstring(b, k->prefs.macs);
	r = r ? r : buf_put_cstring(b, k->prefs.macs);
	r = r ? r : buf_put_cstring(b, k->prefs.compression);
	r = r ? r : buf_put_cstring(b, k->prefs.compression);
	r = r ? r : buf_put_cstring(b, "");
	r = r ? r : buf_put_cstring(b, "");
	r = r ? r : buf_put_u8(b, 0);
	r = r ? r : buf_put_u32(b, 0);
	if (r)
		return r;
	transport_kex_started(k->t);
	r = transport_send_now(k->t, buf_rptr(b), buf_avail(b));
	if (r != 0)
		return r;
	k->sent_kexinit = 1;
	log_debug("kex: sent KEXINIT (round %u)", k->rounds + 1);
	return 0;
}

/* One KEXINIT name-list, validated (buf_get_namelist: no NUL, control or
 * 8-bit bytes, no empty names, bounded), as a NUL-terminated string. */
/* The ten KEXINIT lists, one after the other in one arena: a list may
 * still be KEXINIT_MAX_LIST bytes, but a real KEXINIT (~1.5 KiB in all)
 * writes one or two of its pages instead of one page per list (each a
 * page fault in a freshly forked connection process). */
struct kexinit_lists {
	char arena[10 * (KEXINIT_MAX_LIST + 1)];
	size_t used;
};

static int get_list(struct buf *b, struct kexinit_lists *ls, const uint8_t **p, size_t *n)
{
	char *list = ls->arena + ls->used;
	int r = buf_get_namelist(b, list, KEXINIT_MAX_LIST + 1);
	*p = (const uint8_t *)list;
	*n = strlen(list);
	ls->used += *n + 1;
	return r;
}

static int pick(struct kex *k, const uint8_t *cl, size_t cn, const char *server, char *out, size_t cap,
		const char *what)
{
	if (kex_negotiate((const char *)cl, cn, server, out, cap) != 0) {
		transport_set_error(k->t, "kex: no matching %s (client offered '%.*s', we offer '%s')", what,
				    (int)(cn > 200 ? 200 : cn), (const char *)cl, server);
		return SB_ERR_KEX;
	}
	return 0;
}

/* First name in a list (for the first_kex_packet_follows guess check). */
static void first_name(const uint8_t *l, size_t n, char *out, size_t cap)
{
	size_t i = 0;
	while (i < n && l[i] != ',' && i + 1 < cap) {
		out[i] = (char)l[i];
		i++;
	}
	out[i] = 0;
}

/* The first kex method we offer: the first name of prefs.kex that we
 * implement (kex_start offers exactly those, in that order). */
static void our_first_kex(const struct kex *k, char *out, size_t cap)
{
	const char *p = k->prefs.kex;
	out[0] = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		if (kex_method_by_name(p, n)) {
			first_name((const uint8_t *)p, n, out, cap);
			return;
		}
		p += n;
		if (*p == ',')
			p++;
	}
}

/* RFC 4253 s7: a guessed first kex packet is right only when both sides'
 * first kex method and first host key algorithm are the same (OpenSSH's
 * proposals_match): otherwise the client sends its real packet again,
 * even when the method it guessed is the one negotiated. */
static int client_guessed_right(const struct kex *k, const uint8_t **l, const size_t *n)
{
	char ck[64], ch[64], sk[64], sh[64];
	first_name(l[0], n[0], ck, sizeof(ck));
	first_name(l[1], n[1], ch, sizeof(ch));
	our_first_kex(k, sk, sizeof(sk));
	const char *hk_algs = hostkeys_algs(k->hostkeys);
	first_name((const uint8_t *)hk_algs, strlen(hk_algs), sh, sizeof(sh));
	if (strcmp(ck, sk) == 0 && strcmp(ch, sh) == 0)
		return 1;
	log_debug("kex: client guessed %s/%s, we prefer %s/%s: ignoring its first kex packet", ck, ch, sk,
		  sh);
	return 0;
}

/* The name lists of a KEXINIT, in order (RFC 4253 s7.1), for log lines. */
static const char *const kexinit_lists[10] = {
    "kex_algorithms",
    "server_host_key_algorithms",
    "encryption_algorithms_client_to_server",
    "encryption_algorithms_server_to_client",
    "mac_algorithms_client_to_server",
    "mac_algorithms_server_to_client",
    "compression_algorithms_client_to_server",
    "compression_algorithms_server_to_client",
    "languages_client_to_server",
    "languages_server_to_client",
};

static int handle_kexinit(struct kex *k, struct buf *payload, int *reason)
{
	*reason = SSH_DISCONNECT_KEY_EXCHANGE_FAILED;
	if (k->got_kexinit) {
		transport_set_error(k->t, "kex: unexpected second KEXINIT");
		*reason = SSH_DISCONNECT_PROTOCOL_ERROR;
		return SB_ERR_PROTOCOL;
	}
	buf_reset(&k->i_c);
	int r = buf_put(&k->i_c, buf_rptr(payload), buf_avail(payload));
	if (r != BUF_OK) {
		transport_set_error(k->t, "kex: KEXINIT of %zu bytes is too large", buf_avail(payload));
		return r;
	}
	struct buf b;
	buf_view(&b, buf_rptr(payload), buf_avail(payload));
	uint8_t type, cookie[16];
	static struct kexinit_lists lists; /* static: 40 KiB, one kex at a time */
	const uint8_t *l[10];
	size_t n[10];
	int follows;
	uint32_t reserved;
	const char *field = "cookie";
	if ((r = buf_get_u8(&b, &type)) || (r = buf_get(&b, cookie, 16)))
		goto bad;
	lists.used = 0;
	for (int i = 0; i < 10; i++) {
		field = kexinit_lists[i];
		if ((r = get_list(&b, &lists, &l[i], &n[i])))
			goto bad;
	}
	field = "first_kex_packet_follows";
	if ((r = buf_get_bool(&b, &follows)))
		goto bad;
	field = "reserved";
	if ((r = buf_get_u32(&b, &reserved)))
		goto bad;
	/* RFC 4253: the reserved field; trailing bytes are tolerated as OpenSSH does. */

	if (!k->done_first) {
		k->strict = kex_list_has(l[0], n[0], KEX_STRICT_C);
		k->ext_info_c = kex_list_has(l[0], n[0], "ext-info-c");
		if (k->strict && transport_last_rx_seq(k->t) != 0) {
			transport_set_error(k->t,
					    "kex: strict KEX violation: KEXINIT was not the first packet");
			*reason = SSH_DISCONNECT_PROTOCOL_ERROR;
			return SB_ERR_PROTOCOL;
		}
	}

	char kexname[64];
	if (pick(k, l[0], n[0], k->prefs.kex, kexname, sizeof(kexname), "key exchange method"))
		return SB_ERR_KEX;
	k->method = kex_method_by_name(kexname, strlen(kexname));
	if (!k->method) /* cannot happen: kex_start offers only what we implement */
		return SB_ERR_KEX;
	if (pick(k, l[1], n[1], hostkeys_algs(k->hostkeys), k->hostkey_alg, sizeof(k->hostkey_alg),
		 "host key type"))
		return SB_ERR_KEX;
	if (pick(k, l[2], n[2], k->prefs.ciphers, k->cipher_c2s, sizeof(k->cipher_c2s), "cipher") ||
	    pick(k, l[3], n[3], k->prefs.ciphers, k->cipher_s2c, sizeof(k->cipher_s2c), "cipher"))
		return SB_ERR_KEX;
	const struct cipher_info *cc = cipher_by_name(k->cipher_c2s), *cs = cipher_by_name(k->cipher_s2c);
	if (!cc || !cs)
		return SB_ERR_KEX;
	k->mac_c2s[0] = k->mac_s2c[0] = 0;
	if (!cc->aead && pick(k, l[4], n[4], k->prefs.macs, k->mac_c2s, sizeof(k->mac_c2s), "MAC"))
		return SB_ERR_KEX;
	if (!cs->aead && pick(k, l[5], n[5], k->prefs.macs, k->mac_s2c, sizeof(k->mac_s2c), "MAC"))
		return SB_ERR_KEX;
	if (pick(k, l[6], n[6], k->prefs.compression, k->comp_c2s, sizeof(k->comp_c2s), "compression") ||
	    pick(k, l[7], n[7], k->prefs.compression, k->comp_s2c, sizeof(k->comp_s2c), "compression"))
		return SB_ERR_KEX;
	if (follows && !client_guessed_right(k, l, n))
		k->ignore_next = 1;
	k->got_kexinit = 1;
	k->expect_init = 1;
	log_debug("kex: %s, host key %s, c2s %s %s %s, s2c %s %s %s%s", kexname, k->hostkey_alg,
		  k->cipher_c2s, k->mac_c2s[0] ? k->mac_c2s : "<implicit>", k->comp_c2s, k->cipher_s2c,
		  k->mac_s2c[0] ? k->mac_s2c : "<implicit>", k->comp_s2c, k->strict ? ", strict" : "");
	if (!k->sent_kexinit && (r = kex_start(k)) != 0)
		return r;
	return 1;
bad:
	transport_set_error(k->t, "kex: malformed KEXINIT: %s: %s", field, sb_strerror(r));
	*reason = SSH_DISCONNECT_PROTOCOL_ERROR;
	return r;
}

int kex_derive(enum hash_alg h, const struct buf *k_enc, const uint8_t *hash, size_t hlen, char letter,
	       const uint8_t *session_id, size_t sid_len, uint8_t *out, size_t need)
{
	size_t hl = hash_len(h);
	uint8_t block[64];
	struct buf acc;
	int r = SB_ERR_LIMIT;
	if (hl > sizeof(block))
		return SB_ERR_LIMIT;
	buf_init(&acc, 4096);
	struct hash_ctx c;
	hash_init(&c, h);
	hash_update(&c, buf_rptr(k_enc), buf_avail(k_enc));
	hash_update(&c, hash, hlen);
	uint8_t l = (uint8_t)letter;
	hash_update(&c, &l, 1);
	hash_update(&c, session_id, sid_len);
	hash_final(&c, block);
	if ((r = buf_put(&acc, block, hl)))
		goto out;
	while (buf_avail(&acc) < need) {
		hash_init(&c, h);
		hash_update(&c, buf_rptr(k_enc), buf_avail(k_enc));
		hash_update(&c, hash, hlen);
		hash_update(&c, buf_rptr(&acc), buf_avail(&acc));
		hash_final(&c, block);
		if ((r = buf_put(&acc, block, hl)))
			goto out;
	}
	if (need)
		memcpy(out, buf_rptr(&acc), need);
	r = 0;
out:
	secure_zero(block, sizeof(block));
	buf_free(&acc);
	return r;
}

static int make_keys(struct kex *k, const struct buf *kenc, const uint8_t *h, size_t hl, int tx)
{
	const char *cname = tx ? k->cipher_s2c : k->cipher_c2s;
	const char *mname = tx ? k->mac_s2c : k->mac_c2s;
	const char *comp = tx ? k->comp_s2c : k->comp_c2s;
	const struct cipher_info *ci = cipher_by_name(cname);
	const struct mac_info *mi = mname[0] ? mac_by_name(mname) : NULL;
	if (!ci || (!ci->aead && !mi))
		return SB_ERR_KEX;
	uint8_t iv[64], key[128], mkey[128];
	int r = SB_ERR_KEX;
	enum hash_alg ha = k->method->hash;
	if (ci->iv_len > sizeof(iv) || ci->key_len > sizeof(key) || (mi && mi->key_len > sizeof(mkey)))
		return SB_ERR_KEX;
	if (kex_derive(ha, kenc, h, hl, tx ? 'B' : 'A', k->session_id, k->session_id_len, iv, ci->iv_len) ||
	    kex_derive(ha, kenc, h, hl, tx ? 'D' : 'C', k->session_id, k->session_id_len, key, ci->key_len) ||
	    (mi && kex_derive(ha, kenc, h, hl, tx ? 'F' : 'E', k->session_id, k->session_id_len, mkey,
			      mi->key_len)))
		goto out;
	struct transport_keys tk;
	memset(&tk, 0, sizeof(tk));
	tk.ctx = cipher_ctx_new(ci, key, iv, ci->aead ? NULL : mi, mi ? mkey : NULL);
	if (!tk.ctx)
		goto out;
	tk.aad = ci->aead || (mi && mi->etm);
	tk.block = ci->block_len < 8 ? 8 : ci->block_len;
	tk.zlib_delayed = strcmp(comp, "zlib@openssh.com") == 0;
	transport_set_next_keys(k->t, tx, &tk);
	r = 0;
out:
	secure_zero(iv, sizeof(iv));
	secure_zero(key, sizeof(key));
	secure_zero(mkey, sizeof(mkey));
	return r;
}

static int send_ext_info(struct kex *k)
{
	struct buf b;
	buf_init(&b, 4096);
	int r = buf_put_u8(&b, SSH_MSG_EXT_INFO);
	r = r ? r : buf_put_u32(&b, 1);
	r = r ? r : buf_put_cstring(&b, "server-sig-algs");
	r = r ? r : buf_put_cstring(&b, SERVER_SIG_ALGS);
	if (!r)
		r = transport_send_now(k->t, buf_rptr(&b), buf_avail(&b));
	buf_free(&b);
	return r;
}

static int handle_ecdh_init(struct kex *k, struct buf *payload, int *reason)
{
	*reason = SSH_DISCONNECT_KEY_EXCHANGE_FAILED;
	struct buf b, qs, kenc, hb, hkblob, sig, reply;
	const uint8_t *qc;
	size_t qcl;
	uint8_t h[64];
	int r = SB_ERR_KEX;
	r = buf_view_message_body(&b, payload);
	r = r ? r : buf_get_string_view(&b, &qc, &qcl, 4096);
	if (r || buf_avail(&b) != 0) {
		transport_set_error(k->t, "kex: malformed KEX_ECDH_INIT: %s",
				    r ? sb_strerror(r) : "trailing bytes");
		*reason = SSH_DISCONNECT_PROTOCOL_ERROR;
		return r ? r : SB_ERR_FORMAT;
	}
	r = SB_ERR_KEX;
	buf_init(&qs, 4096);
	buf_init(&kenc, 4096);
	buf_init(&hb, 256 * 1024);
	buf_init(&hkblob, 4096);
	buf_init(&sig, 4096);
	buf_init(&reply, 16384);
	if (k->method->server_reply(qc, qcl, &qs, &kenc) != 0) {
		transport_set_error(k->t, "kex: bad client public value");
		goto out;
	}
	if (hostkeys_blob_for(k->hostkeys, k->hostkey_alg, &hkblob) != 0)
		goto out;
	int e = buf_put_cstring(&hb, transport_peer_version(k->t));
	e = e ? e : buf_put_cstring(&hb, transport_our_version(k->t));
	e = e ? e : buf_put_buf(&hb, &k->i_c);
	e = e ? e : buf_put_buf(&hb, &k->i_s);
	e = e ? e : buf_put_buf(&hb, &hkblob);
	e = e ? e : buf_put_string(&hb, qc, qcl);
	e = e ? e : buf_put_buf(&hb, &qs);
	e = e ? e : buf_put(&hb, buf_rptr(&kenc), buf_avail(&kenc));
	if (e)
		goto out;
	size_t hl = hash_len(k->method->hash);
	hash_once(k->method->hash, buf_rptr(&hb), buf_avail(&hb), h);
	if (!k->done_first) {
		memcpy(k->session_id, h, hl);
		k->session_id_len = hl;
	}
	if (hostkeys_sign(k->hostkeys, k->hostkey_alg, h, hl, &sig) != 0) {
		transport_set_error(k->t, "kex: host key signature failed");
		goto out;
	}
	e = buf_put_u8(&reply, SSH_MSG_KEX_ECDH_REPLY);
	e = e ? e : buf_put_buf(&reply, &hkblob);
	e = e ? e : buf_put_buf(&reply, &qs);
	e = e ? e : buf_put_buf(&reply, &sig);
	if (e)
		goto out;
	if (make_keys(k, &kenc, h, hl, 0) || make_keys(k, &kenc, h, hl, 1)) {
		transport_set_error(k->t, "kex: key setup failed");
		goto out;
	}
	if (transport_send_now(k->t, buf_rptr(&reply), buf_avail(&reply)))
		goto out;
	uint8_t nk = SSH_MSG_NEWKEYS;
	if (transport_send_now(k->t, &nk, 1) || transport_activate_tx(k->t, k->strict))
		goto out;
	k->sent_newkeys = 1;
	k->expect_init = 0;
	if (!k->done_first && k->ext_info_c && send_ext_info(k))
		goto out;
	r = 1;
out:
	secure_zero(h, sizeof(h));
	buf_free(&qs);
	buf_free(&kenc);
	buf_free(&hb);
	buf_free(&hkblob);
	buf_free(&sig);
	buf_free(&reply);
	return r;
}

static int handle_newkeys(struct kex *k, struct buf *payload, int *reason)
{
	*reason = SSH_DISCONNECT_PROTOCOL_ERROR;
	if (!k->sent_newkeys || buf_avail(payload) != 1) {
		transport_set_error(k->t, "kex: unexpected NEWKEYS");
		return SB_ERR_PROTOCOL;
	}
	int r = transport_activate_rx(k->t, k->strict);
	if (r != 0)
		return r;
	k->got_newkeys = 1;
	k->rounds++;
	int first = !k->done_first;
	k->done_first = 1;
	k->sent_kexinit = k->got_kexinit = k->sent_newkeys = k->got_newkeys = 0;
	k->ignore_next = 0;
	log_debug("kex: round %u done (%s)", k->rounds, k->method->name);
	if (first)
		log_debug("kex: strict mode %s", k->strict ? "on" : "off");
	if (kex_done_hook)
		kex_done_hook(k->method->name);
	r = transport_kex_finished(k->t);
	return r != 0 ? r : 1;
}

int kex_filter(struct kex *k, uint8_t type, struct buf *payload, int *reason)
{
	*reason = SSH_DISCONNECT_PROTOCOL_ERROR;
	int is_kex = type >= 20 && type <= 49;
	if (!k->done_first && !is_kex) {
		/* Initial kex: strict peers may send nothing but kex messages;
		 * others only the generic transport messages (1-4). Before the
		 * client's KEXINIT we cannot know whether it is strict; a strict
		 * client's KEXINIT must then have been its first packet, which
		 * handle_kexinit checks. */
		if (k->strict || type > SSH_MSG_DEBUG) {
			transport_set_error(
			    k->t, "kex: unexpected message type %u during initial key exchange", type);
			return SB_ERR_PROTOCOL;
		}
		return 0;
	}
	if (!is_kex) {
		if (k->got_kexinit && type > SSH_MSG_DEBUG) {
			transport_set_error(k->t, "kex: message type %u during key exchange", type);
			return SB_ERR_PROTOCOL;
		}
		return 0;
	}
	if (k->ignore_next && type >= 30 && type <= 49) {
		k->ignore_next = 0;
		return 1;
	}
	switch (type) {
	case SSH_MSG_KEXINIT:
		return handle_kexinit(k, payload, reason);
	case SSH_MSG_KEX_ECDH_INIT:
		if (!k->expect_init) {
			transport_set_error(k->t, "kex: unexpected KEX_ECDH_INIT");
			return SB_ERR_PROTOCOL;
		}
		return handle_ecdh_init(k, payload, reason);
	case SSH_MSG_NEWKEYS:
		return handle_newkeys(k, payload, reason);
	default:
		transport_set_error(k->t, "kex: unexpected kex message type %u", type);
		return SB_ERR_PROTOCOL;
	}
}
