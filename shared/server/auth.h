/* auth: the server side of SSH user authentication (RFC 4252, RFC 4256):
 * "none", "publickey" (query -> PK_OK, and signed), "password",
 * "keyboard-interactive", banner, MaxAuthTries. Policy comes from
 * sshd_config (Match applied once the user is known), authkeys (which
 * keys) and passwd (passwords, users, PermitRootLogin, Allow/Deny).
 */
#ifndef SSHBOX_AUTH_H
#define SSHBOX_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "authkeys.h"
#include "authmethods.h"
#include "buf.h"
#include "user.h"
#include "sshd_config.h"

struct transport;
struct kbdint;

#define AUTH_MAX_USED_KEYS 16 /* more publickey steps than any AuthenticationMethods list needs */

struct auth_ctx {
	const struct sshd_config *base;
	struct sshd_config cfg; /* matched for the user */
	int have_cfg;
	char *user;
	char *service;
	struct user_info ui;
	int user_valid; /* exists and may log in (as far as policy goes) */
	int user_exists;
	const char *deny_why;
	int failures; /* counted toward MaxAuthTries */
	int requests;
	int success;
	char method[32];
	char key_fp[64];
	/* Keys that already passed a publickey step (fingerprints of the plain
	 * key, a certificate counting as its key): as OpenSSH, a later step
	 * refuses them, so "publickey,publickey" needs two keys. */
	char used_fp[AUTH_MAX_USED_KEYS][64];
	int used_keys;
	struct authkeys_opts key_opts;
	struct kbdint *kbd;
	int kbd_prompts;
	int banner_sent;
	const char *client_addr;
	int client_port;
	const uint8_t *session_id;
	size_t session_id_len;
	uid_t daemon_uid;
	struct authmethods methods; /* AuthenticationMethods still to satisfy */
};

void auth_init(struct auth_ctx *a, const struct sshd_config *base, const char *client_addr, int client_port,
	       const uint8_t *session_id, size_t sid_len);
void auth_free(struct auth_ctx *a);

/* Handles USERAUTH_REQUEST (50) and USERAUTH_INFO_RESPONSE (61).
 * Returns 1 when the user is now authenticated (USERAUTH_SUCCESS sent),
 * 0 to continue, a negative enum sb_err (err.h) to disconnect (*reason
 * set; DISCONNECT not sent; one log line already names the reason):
 * SB_ERR_AUTH_LIMIT when MaxAuthTries failures were reached (the listener
 * counts it as an authentication failure); for a protocol error the buf
 * error of a malformed field, SB_ERR_FORMAT (trailing bytes),
 * SB_ERR_PROTOCOL (too many requests, a change of user or service, an
 * unsupported service, a response without a prompt) or SB_ERR_NOMEM. */
int auth_handle(struct auth_ctx *a, struct transport *t, uint8_t type, struct buf *payload, int *reason);

/* A repeated SERVICE_REQUEST "ssh-userauth" (paramiko sends one before
 * every authentication step, so also after partial success). As OpenSSH's
 * input_service_request: allowed while authentication has not succeeded,
 * keeping every state (partial success, failures, used keys). Each repeat
 * counts toward the request cap that USERAUTH_REQUESTs count toward, so a
 * client cannot loop on it. Returns 0 to accept, SB_ERR_PROTOCOL to
 * refuse (after success, or over the cap; one log line). */
int auth_service_again(struct auth_ctx *a);

/* Data a publickey signature covers (RFC 4252 s7); exposed for tests. */
int auth_pubkey_signed_data(struct buf *out, const uint8_t *sid, size_t sidlen, const char *user,
			    const char *service, const char *alg, const uint8_t *blob, size_t bloblen);

/* Optional hook for metrics: method and result (1 ok, 0 failed). */
extern void (*auth_result_hook)(const char *method, int ok);

#endif
