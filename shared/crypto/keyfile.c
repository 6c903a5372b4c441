/* keyfile: private key file containers. See keyfile.h. */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "log.h"
#include "util.h"

#define OPENSSH_MAGIC "openssh-key-v1" /* with its NUL */
#define PEM_LINE 70		       /* ssh-keygen's line length */

int keyfile_pem_body(const char *text, size_t len, const char *begin, const char *end, uint8_t *bin,
		     size_t cap, size_t *binlen)
{
	const char *b = memmem(text, len, begin, strlen(begin));
	if (!b)
		return -1;
	b += strlen(begin);
	const char *e = memmem(b, len - (size_t)(b - text), end, strlen(end));
	if (!e)
		return -1;
	return sodium_base642bin(bin, cap, b, (size_t)(e - b), " \t\r\n", binlen, NULL,
				 sodium_base64_VARIANT_ORIGINAL) == 0
		   ? 0
		   : -1;
}

int keyfile_decode(const char *text, size_t len, size_t max, const char *const der[4], uint8_t *bin,
		   size_t cap, size_t *binlen, const char **why)
{
	if (len > max) {
		*why = "private key file too large";
		return -1;
	}
	if (memmem(text, len, "ENCRYPTED", 9)) {
		*why = "encrypted private key; host keys must be unencrypted";
		return -1;
	}
	if (keyfile_pem_body(text, len, KEYFILE_OPENSSH_BEGIN, KEYFILE_OPENSSH_END, bin, cap, binlen) == 0)
		return KEYFILE_OPENSSH;
	if (keyfile_pem_body(text, len, der[0], der[1], bin, cap, binlen) == 0 ||
	    keyfile_pem_body(text, len, der[2], der[3], bin, cap, binlen) == 0)
		return KEYFILE_DER;
	return -1;
}

int keyfile_openssh_open(const uint8_t *bin, size_t len, struct buf *pub, struct buf *priv, const char **why)
{
	struct buf b;
	char name[32];
	const uint8_t *p;
	size_t n;
	uint32_t nkeys, c1, c2;
	buf_view(&b, bin, len);
	*why = "malformed OpenSSH private key";
	if (buf_get(&b, name, sizeof(OPENSSH_MAGIC)) ||
	    memcmp(name, OPENSSH_MAGIC, sizeof(OPENSSH_MAGIC)) != 0)
		return -1;
	if (buf_get_cstring_into(&b, name, sizeof(name)) || strcmp(name, "none") != 0 ||
	    buf_get_cstring_into(&b, name, sizeof(name)) || strcmp(name, "none") != 0) {
		*why = "encrypted private key; host keys must be unencrypted";
		return -1;
	}
	if (buf_get_string_view(&b, &p, &n, 1024) || buf_get_u32(&b, &nkeys))
		return -1;
	if (nkeys != 1) {
		*why = "not exactly one key in the file";
		return -1;
	}
	if (buf_get_string_buf(&b, pub, 4096) || buf_get_string_buf(&b, priv, KEYFILE_MAX) ||
	    buf_avail(&b) != 0)
		return -1;
	/* check integers: equal when the (absent) passphrase was right */
	if (buf_get_u32(priv, &c1) || buf_get_u32(priv, &c2) || c1 != c2)
		return -1;
	return 0;
}

int keyfile_openssh_close(struct buf *priv, char *comment, size_t cap)
{
	const uint8_t *p;
	size_t n;
	if (buf_get_string_view(priv, &p, &n, 4096))
		return -1;
	memset(comment, 0, cap);
	memcpy(comment, p, n < cap - 1 ? n : cap - 1);
	for (uint8_t i = 1; buf_avail(priv) > 0; i++) {
		uint8_t pad;
		if (i > 8 || buf_get_u8(priv, &pad) || pad != i)
			return -1;
	}
	return 0;
}

/* PEM armour around the base64 of bin, 70 characters a line. */
static int armour(const uint8_t *bin, size_t n, struct buf *out)
{
	size_t l = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(l);
	if (!b64)
		return -1;
	sodium_bin2base64(b64, l, bin, n, sodium_base64_VARIANT_ORIGINAL);
	size_t bl = strlen(b64);
	int r = buf_put(out, KEYFILE_OPENSSH_BEGIN "\n", strlen(KEYFILE_OPENSSH_BEGIN) + 1);
	for (size_t i = 0; !r && i < bl; i += PEM_LINE)
		r = buf_put(out, b64 + i, bl - i < PEM_LINE ? bl - i : PEM_LINE) || buf_put_u8(out, '\n');
	r = r || buf_put(out, KEYFILE_OPENSSH_END "\n", strlen(KEYFILE_OPENSSH_END) + 1);
	secure_zero(b64, l);
	free(b64);
	return r ? -1 : 0;
}

int keyfile_openssh_encode(const struct buf *pub, const struct buf *fields, const char *comment,
			   struct buf *out)
{
	struct buf bin, priv;
	uint32_t check;
	int r;
	buf_init(&bin, KEYFILE_MAX);
	buf_init(&priv, KEYFILE_MAX);
	crypto_random(&check, sizeof(check));
	r = buf_put_u32(&priv, check) || buf_put_u32(&priv, check) ||
	    buf_put(&priv, buf_rptr(fields), buf_avail(fields)) || buf_put_cstring(&priv, comment);
	for (uint8_t i = 1; !r && buf_avail(&priv) % 8 != 0; i++)
		r = buf_put_u8(&priv, i);
	r = r || buf_put(&bin, OPENSSH_MAGIC, sizeof(OPENSSH_MAGIC)) || buf_put_cstring(&bin, "none") ||
	    buf_put_cstring(&bin, "none") || buf_put_string(&bin, "", 0) || buf_put_u32(&bin, 1) ||
	    buf_put_buf(&bin, pub) || buf_put_buf(&bin, &priv);
	r = r || armour(buf_rptr(&bin), buf_avail(&bin), out);
	buf_free(&bin);
	buf_free(&priv);
	return r ? -1 : 0;
}

int keyfile_read(const char *path, char **text, size_t *len, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	const char *bad = NULL;
	char perm[128];
	if (fstat(fd, &st) != 0)
		bad = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		bad = "not a regular file";
	else if (st.st_size <= 0 || st.st_size > KEYFILE_MAX)
		bad = "empty or larger than 64 KiB";
	else if ((st.st_mode & 077) && st.st_uid == getuid()) {
		/* As OpenSSH (sshkey_perm_ok): a key of ours readable by others is ignored. */
		snprintf(perm, sizeof(perm),
			 "permissions %04o are too open; the private key must not be accessible by others",
			 (unsigned)(st.st_mode & 07777));
		bad = perm;
	}
	if (bad) {
		snprintf(why, whylen, "%s", bad);
		close(fd);
		errno = EINVAL;
		return -1;
	}
	size_t n = (size_t)st.st_size;
	char *d = malloc(n + 1);
	if (!d || read_full(fd, d, n) != 0) {
		snprintf(why, whylen, "%s", d ? "read error" : "out of memory");
		free(d);
		close(fd);
		errno = EIO;
		return -1;
	}
	close(fd);
	d[n] = 0;
	*text = d;
	*len = n;
	return 0;
}

void keyfile_free(char *text, size_t len)
{
	if (!text)
		return;
	secure_zero(text, len);
	free(text);
}

int keyfile_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	size_t pl = strlen(path);
	char *tmp = malloc(pl + 16);
	if (!tmp)
		return -1;
	memcpy(tmp, path, pl);
	memcpy(tmp + pl, ".tmpXXXXXX", 11);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		log_error("cannot create %s: %s", tmp, strerror(e));
		free(tmp);
		errno = e;
		return -1;
	}
	int ok = fchmod(fd, (mode_t)mode) == 0 && write_full(fd, data, len) == 0 && fsync(fd) == 0;
	int e = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = 0;
		e = errno;
	}
	if (!ok) {
		log_error("cannot write %s: %s", path, strerror(e));
		unlink(tmp);
	}
	free(tmp);
	errno = ok ? 0 : e;
	return ok ? 0 : -1;
}
