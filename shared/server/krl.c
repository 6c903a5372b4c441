/* krl: OpenSSH key revocation lists and plain revoked-key lists. See krl.h. */
#include "krl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authkeys.h"
#include "buf.h"
#include "crypto.h"
#include "log.h"
#include "util.h"

#define KRL_MAGIC 0x5353484b524c0a00ull /* "SSHKRL\n\0" */
#define KRL_FORMAT_VERSION 1
enum {
	SEC_CERTIFICATES = 1,
	SEC_EXPLICIT_KEY = 2,
	SEC_FINGERPRINT_SHA1 = 3,
	SEC_SIGNATURE = 4,
	SEC_FINGERPRINT_SHA256 = 5,
	SEC_EXTENSION = 255,
	CERT_SERIAL_LIST = 0x20,
	CERT_SERIAL_RANGE = 0x21,
	CERT_SERIAL_BITMAP = 0x22,
	CERT_KEY_ID = 0x23,
	CERT_EXTENSION = 0x39,
};
#define KRL_MAX_ID 1024
#define KRL_MAX_BLOB 16384

struct range {
	uint64_t lo, hi;
};

/* Sorted fixed-width byte strings (hashes). */
struct hashset {
	uint8_t *v;
	size_t n, cap, width;
};

struct ca_section {
	int any_ca;	     /* empty ca_key: applies to every CA */
	uint8_t ca_hash[32]; /* SHA256 of the CA key blob */
	struct range *ranges;
	size_t n_ranges, cap_ranges;
	char **ids;
	size_t n_ids, cap_ids;
};

struct krl {
	struct ca_section *cas;
	size_t n_cas;
	struct hashset sha256s; /* explicit keys and SHA256 fingerprints: both SHA256(blob) */
	struct hashset sha1s;
	size_t entries;
};

static int fail(char *why, size_t whylen, const char *msg)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", msg);
	return -1;
}

/* Grows *v (elements of size sz) to hold n+1; counts toward the KRL cap. */
static int grow(struct krl *k, void **v, size_t *cap, size_t n, size_t sz)
{
	if (++k->entries > KRL_MAX_ENTRIES)
		return -1;
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 16;
	void *nv = realloc(*v, nc * sz);
	if (!nv)
		return -1;
	*v = nv;
	*cap = nc;
	return 0;
}

static int hashset_add(struct krl *k, struct hashset *h, const uint8_t *p)
{
	void *v = h->v;
	if (grow(k, &v, &h->cap, h->n, h->width) < 0)
		return -1;
	h->v = v;
	memcpy(h->v + h->n++ * h->width, p, h->width);
	return 0;
}

static size_t sort_width; /* qsort has no context argument */
static int cmp_fixed(const void *a, const void *b)
{
	return memcmp(a, b, sort_width);
}

static int hashset_has(const struct hashset *h, const uint8_t *p)
{
	size_t lo = 0, hi = h->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(h->v + mid * h->width, p, h->width);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int add_range(struct krl *k, struct ca_section *s, uint64_t lo, uint64_t hi)
{
	if (lo == 0 || lo > hi)
		return -1; /* as OpenSSH: serial 0 cannot be revoked */
	void *v = s->ranges;
	if (grow(k, &v, &s->cap_ranges, s->n_ranges, sizeof(struct range)) < 0)
		return -1;
	s->ranges = v;
	s->ranges[s->n_ranges++] = (struct range){lo, hi};
	return 0;
}

static int add_id(struct krl *k, struct ca_section *s, char *id)
{
	void *v = s->ids;
	if (grow(k, &v, &s->cap_ids, s->n_ids, sizeof(char *)) < 0) {
		free(id);
		return -1;
	}
	s->ids = v;
	s->ids[s->n_ids++] = id;
	return 0;
}

static int bitmap_ranges(struct krl *k, struct ca_section *s, uint64_t offset, const uint8_t *bm, size_t n)
{
	/* bit i of the big-endian magnitude (LSB of the last byte = 0) is serial offset + i */
	for (size_t i = 0; i < n * 8; i++) {
		if (!(bm[n - 1 - i / 8] & (1u << (i % 8))))
			continue;
		if (offset + i < offset)
			return -1; /* wraps */
		if (add_range(k, s, offset + i, offset + i) < 0)
			return -1;
	}
	return 0;
}

/* An extension (section or certificate subsection): unknown critical ones refuse the KRL. */
static int extension(struct buf *b)
{
	char name[256];
	int critical;
	const uint8_t *p;
	size_t n;
	if (buf_get_cstring_into(b, name, sizeof(name)) || buf_get_bool(b, &critical) ||
	    buf_get_string_view(b, &p, &n, KRL_MAX_FILE) || buf_avail(b) != 0)
		return -1;
	if (critical) {
		log_info("KRL: unsupported critical extension \"%s\"", name);
		return -1;
	}
	return 0;
}

static int cert_subsection(struct krl *k, struct ca_section *s, uint8_t type, struct buf *d)
{
	uint64_t a, b;
	const uint8_t *p;
	size_t n;
	switch (type) {
	case CERT_SERIAL_LIST:
		while (buf_avail(d) > 0)
			if (buf_get_u64(d, &a) || add_range(k, s, a, a) < 0)
				return -1;
		return 0;
	case CERT_SERIAL_RANGE:
		if (buf_get_u64(d, &a) || buf_get_u64(d, &b) || buf_avail(d) != 0)
			return -1;
		return add_range(k, s, a, b);
	case CERT_SERIAL_BITMAP:
		if (buf_get_u64(d, &a) || buf_get_mpint_unsigned_view(d, &p, &n, KRL_MAX_FILE) ||
		    buf_avail(d) != 0)
			return -1;
		return bitmap_ranges(k, s, a, p, n);
	case CERT_KEY_ID:
		while (buf_avail(d) > 0) {
			char *id;
			if (buf_get_cstring(d, &id, KRL_MAX_ID) || add_id(k, s, id) < 0)
				return -1;
		}
		return 0;
	case CERT_EXTENSION:
		return extension(d);
	default:
		return -1;
	}
}

static int certificates_section(struct krl *k, struct buf *d)
{
	const uint8_t *ca, *reserved;
	size_t calen, rlen;
	if (k->n_cas >= KRL_MAX_CA_SECTIONS || buf_get_string_view(d, &ca, &calen, KRL_MAX_BLOB) ||
	    buf_get_string_view(d, &reserved, &rlen, KRL_MAX_FILE))
		return -1;
	struct ca_section *nc = realloc(k->cas, (k->n_cas + 1) * sizeof(*nc));
	if (!nc)
		return -1;
	k->cas = nc;
	struct ca_section *s = &k->cas[k->n_cas++];
	memset(s, 0, sizeof(*s));
	s->any_ca = calen == 0;
	if (calen)
		hash_once(HASH_SHA256, ca, calen, s->ca_hash);
	while (buf_avail(d) > 0) {
		uint8_t type;
		struct buf sub;
		if (buf_get_u8(d, &type) || buf_get_string_buf(d, &sub, KRL_MAX_FILE) ||
		    cert_subsection(k, s, type, &sub) < 0)
			return -1;
	}
	return 0;
}

static int hashes_section(struct krl *k, struct buf *d, uint8_t type)
{
	struct hashset *h = type == SEC_FINGERPRINT_SHA1 ? &k->sha1s : &k->sha256s;
	size_t want = type == SEC_FINGERPRINT_SHA1 ? 20 : 32;
	while (buf_avail(d) > 0) {
		const uint8_t *p;
		size_t n;
		uint8_t hash[32];
		if (buf_get_string_view(d, &p, &n, KRL_MAX_BLOB))
			return -1;
		if (type == SEC_EXPLICIT_KEY) {
			hash_once(HASH_SHA256, p, n, hash);
			p = hash;
		} else if (n != want) {
			return -1;
		}
		if (hashset_add(k, h, p) < 0)
			return -1;
	}
	return 0;
}

static int section(struct krl *k, uint8_t type, struct buf *d)
{
	switch (type) {
	case SEC_CERTIFICATES:
		return certificates_section(k, d);
	case SEC_EXPLICIT_KEY:
	case SEC_FINGERPRINT_SHA1:
	case SEC_FINGERPRINT_SHA256:
		return hashes_section(k, d, type);
	case SEC_EXTENSION:
		return extension(d);
	default: /* including signatures: OpenSSH >= 9.4 refuses them too */
		return -1;
	}
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts every table; merges overlapping serial ranges. */
static void finish_tables(struct krl *k)
{
	for (size_t i = 0; i < k->n_cas; i++) {
		struct ca_section *s = &k->cas[i];
		if (s->n_ranges > 1)
			qsort(s->ranges, s->n_ranges, sizeof(*s->ranges), cmp_range);
		/* merge overlapping or adjacent ranges: binary search needs disjoint ones */
		size_t w = 0;
		for (size_t r = 0; r < s->n_ranges; r++) {
			struct range *prev = w > 0 ? &s->ranges[w - 1] : NULL;
			if (prev && (prev->hi == UINT64_MAX || s->ranges[r].lo <= prev->hi + 1)) {
				if (s->ranges[r].hi > prev->hi)
					prev->hi = s->ranges[r].hi;
			} else {
				s->ranges[w++] = s->ranges[r];
			}
		}
		s->n_ranges = w;
		if (s->n_ids > 1)
			qsort(s->ids, s->n_ids, sizeof(char *), cmp_str);
	}
	sort_width = 32;
	if (k->sha256s.n > 1)
		qsort(k->sha256s.v, k->sha256s.n, 32, cmp_fixed);
	sort_width = 20;
	if (k->sha1s.n > 1)
		qsort(k->sha1s.v, k->sha1s.n, 20, cmp_fixed);
}

static struct krl *krl_new(void)
{
	struct krl *k = calloc(1, sizeof(*k));
	if (k) {
		k->sha256s.width = 32;
		k->sha1s.width = 20;
	}
	return k;
}

int krl_parse(const uint8_t *data, size_t len, struct krl **out, char *why, size_t whylen)
{
	struct buf b;
	uint64_t magic, version, date, flags;
	uint32_t format;
	const uint8_t *p;
	size_t n;
	*out = NULL;
	buf_view(&b, data, len);
	if (len > KRL_MAX_FILE || buf_get_u64(&b, &magic) || magic != KRL_MAGIC)
		return fail(why, whylen, "not a KRL (bad magic)");
	if (buf_get_u32(&b, &format) || format != KRL_FORMAT_VERSION || buf_get_u64(&b, &version) ||
	    buf_get_u64(&b, &date) || buf_get_u64(&b, &flags) ||
	    buf_get_string_view(&b, &p, &n, KRL_MAX_FILE) || buf_get_string_view(&b, &p, &n, KRL_MAX_FILE))
		return fail(why, whylen, "malformed KRL header or unsupported format version");
	struct krl *k = krl_new();
	if (!k)
		return fail(why, whylen, "out of memory");
	while (buf_avail(&b) > 0) {
		uint8_t type;
		struct buf d;
		if (buf_get_u8(&b, &type) || buf_get_string_buf(&b, &d, KRL_MAX_FILE) ||
		    section(k, type, &d) < 0) {
			krl_free(k);
			return fail(why, whylen, "malformed, unsupported or too large KRL section");
		}
	}
	finish_tables(k);
	*out = k;
	return 0;
}

/* One "type base64 [comment]" line of a plain revoked-keys list. */
static int keylist_line(void *ctx, const char *path, int lineno, char *line)
{
	struct krl *k = ctx;
	char *p = line + strspn(line, " \t");
	if (*p == '\0' || *p == '#' || *p == '\r')
		return 0;
	size_t tlen = strcspn(p, " \t");
	char *data = p + tlen + strspn(p + tlen, " \t");
	size_t dlen = strcspn(data, " \t\r");
	uint8_t blob[KRL_MAX_BLOB], hash[32];
	long n = dlen > sizeof(blob) / 3 * 4 ? -1 : authkeys_b64_decode(data, dlen, blob, sizeof(blob));
	struct pubkey key;
	if (n < 0 || pubkey_parse(blob, (size_t)n, &key) != 0 || strlen(key_type_name(key.type)) != tlen ||
	    strncmp(key_type_name(key.type), p, tlen) != 0) {
		if (n >= 0)
			pubkey_free(&key);
		log_debug("%s:%d: not a supported public key, skipped", path, lineno);
		return 0;
	}
	pubkey_free(&key);
	hash_once(HASH_SHA256, blob, (size_t)n, hash);
	return hashset_add(k, &k->sha256s, hash) < 0 ? -1 : 0;
}

int krl_parse_keylist(const char *text, size_t len, struct krl **out, char *why, size_t whylen)
{
	*out = NULL;
	struct krl *k = krl_new();
	if (!k)
		return fail(why, whylen, "out of memory");
	if (authkeys_each_line("RevokedKeys", text, len, keylist_line, k) != 0) {
		krl_free(k);
		return fail(why, whylen, "too many revoked keys");
	}
	finish_tables(k);
	*out = k;
	return 0;
}

void krl_free(struct krl *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n_cas; i++) {
		for (size_t j = 0; j < k->cas[i].n_ids; j++)
			free(k->cas[i].ids[j]);
		free(k->cas[i].ids);
		free(k->cas[i].ranges);
	}
	free(k->cas);
	free(k->sha256s.v);
	free(k->sha1s.v);
	free(k);
}

size_t krl_entries(const struct krl *k)
{
	return k ? k->entries : 0;
}

static int blob_revoked(const struct krl *k, const uint8_t *blob, size_t len)
{
	uint8_t h256[32], h1[20];
	hash_once(HASH_SHA256, blob, len, h256);
	if (hashset_has(&k->sha256s, h256))
		return 1;
	if (k->sha1s.n == 0)
		return 0;
	sha1_once(blob, len, h1);
	return hashset_has(&k->sha1s, h1);
}

int krl_key_revoked(const struct krl *k, const struct pubkey *key)
{
	struct buf b;
	if (buf_init(&b, KRL_MAX_BLOB) != BUF_OK)
		return 1;
	int r = pubkey_to_blob(key, &b) != 0 ? 1 : blob_revoked(k, buf_rptr(&b), buf_avail(&b));
	buf_free(&b);
	return r;
}

static int serial_in(const struct ca_section *s, uint64_t serial)
{
	size_t lo = 0, hi = s->n_ranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (serial < s->ranges[mid].lo)
			hi = mid;
		else if (serial > s->ranges[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

static int id_in(const struct ca_section *s, const char *id)
{
	return s->n_ids > 0 && bsearch(&id, s->ids, s->n_ids, sizeof(char *), cmp_str) != NULL;
}

int krl_cert_revoked(const struct krl *k, const struct cert *c)
{
	if (krl_key_revoked(k, &c->key) || blob_revoked(k, c->ca_blob, c->ca_blob_len))
		return 1;
	uint8_t ca_hash[32];
	hash_once(HASH_SHA256, c->ca_blob, c->ca_blob_len, ca_hash);
	for (size_t i = 0; i < k->n_cas; i++) {
		const struct ca_section *s = &k->cas[i];
		if (!s->any_ca && memcmp(s->ca_hash, ca_hash, 32) != 0)
			continue;
		if (id_in(s, c->key_id) || (c->serial != 0 && serial_in(s, c->serial)))
			return 1;
	}
	return 0;
}

static int read_all(const char *path, uint8_t **out, size_t *len, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || (uint64_t)st->st_size > KRL_MAX_FILE) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	size_t n = (size_t)st->st_size;
	uint8_t *d = malloc(n + 1);
	if (!d || read_full(fd, d, n) != 0) {
		free(d);
		close(fd);
		return -1;
	}
	close(fd);
	d[n] = 0;
	*out = d;
	*len = n;
	return 0;
}

static int load_stat(const char *path, struct krl **out, struct stat *st, char *why, size_t whylen)
{
	uint8_t *d;
	size_t n;
	*out = NULL;
	if (read_all(path, &d, &n, st) < 0) {
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	int r;
	if (n >= 8 && load_be32(d) == (uint32_t)(KRL_MAGIC >> 32) && load_be32(d + 4) == (uint32_t)KRL_MAGIC)
		r = krl_parse(d, n, out, why, whylen);
	else if (memchr(d, '\0', n))
		r = fail(why, whylen, "neither a KRL nor a list of public keys");
	else
		r = krl_parse_keylist((const char *)d, n, out, why, whylen);
	free(d);
	return r;
}

int krl_load(const char *path, struct krl **out, char *why, size_t whylen)
{
	struct stat st;
	return load_stat(path, out, &st, why, whylen);
}

const struct krl *krl_cached(const char *path, char *why, size_t whylen)
{
	static struct krl *cached;
	static char cached_path[4096];
	static struct stat cached_st;
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (cached && strcmp(cached_path, path) == 0 && st.st_ino == cached_st.st_ino &&
	    st.st_dev == cached_st.st_dev && st.st_size == cached_st.st_size &&
	    st.st_mtim.tv_sec == cached_st.st_mtim.tv_sec && st.st_mtim.tv_nsec == cached_st.st_mtim.tv_nsec)
		return cached;
	krl_free(cached);
	cached = NULL;
	struct krl *k;
	if (load_stat(path, &k, &cached_st, why, whylen) < 0)
		return NULL;
	snprintf(cached_path, sizeof(cached_path), "%s", path);
	cached = k;
	log_debug("RevokedKeys %s: %zu entries loaded", path, k->entries);
	return cached;
}
