/* Connection protocol (RFC 4254) as the channel layer sees it after
 * authentication: CHANNEL_OPEN (session and two fd-backed test types),
 * OPEN_CONFIRMATION/FAILURE for channels we opened, WINDOW_ADJUST, DATA,
 * EXTENDED_DATA, EOF, CLOSE, CHANNEL_REQUEST, GLOBAL_REQUEST, and the
 * session channel's requests that start nothing: env (AcceptEnv),
 * pty-req (a real pty with the client's terminal modes and size),
 * window-change, break, signal, x11-req and unknown ones.
 *
 * Requests that would spawn the exec or networking child (shell, exec,
 * subsystem, auth-agent-req@openssh.com) are dropped by the harness; no
 * forwarding types are registered (they dial through the networking
 * child).
 *
 * Test types: "fuzz-null" writes client data to /dev/null; "fuzz-pipe" to
 * a pipe nobody reads (it fills up, so data stays buffered against the
 * window) and reads from a pipe that is at EOF; "fuzz-pending" answers
 * later (CHANNEL_OPEN_PENDING, as a forwarding dial does): a poll-round
 * record with a first byte resolves the oldest pending open (odd: confirm
 * with /dev/null attached, even: fail), and everything the client sends
 * meanwhile hits a channel whose open is pending.
 *
 * The channel table is this harness's own (its host sends into nothing);
 * the owner handed to the handlers is a detached struct conn (conn.h) that
 * carries the user, the config and the key options session.c reads.
 *
 * Input: u8 flags (bit 0: not authenticated: the connection loop never
 * feeds the channel layer then, so the input is skipped; bit 1: PermitTTY
 * no; bit 2: no-pty key option), then records [u8 kind][u16 len][bytes]:
 *   kind%4 == 0 or 3: an incoming packet (first byte = message type);
 *   1: we open a "forwarded-tcpip" channel toward the client (bytes = its
 *      type-specific data); 2: one round of the poll loop (timeout 0). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authkeys.h"
#include "buf.h"
#include "channel.h"
#include "conn.h"
#include "fuzzutil.h"
#include "user.h"
#include "sshd_config.h"
#include "session.h"
#include "transport.h"
#include "util.h"

static struct sshd_config cfg_tty, cfg_notty;
static struct user_info user;
static struct channel_table tab;

struct pipe_ctx {
	int keep; /* read end of the fd_in pipe, closed when the channel goes */
};

static void pipe_free(void *owner, struct channel *ch)
{
	struct pipe_ctx *pc = ch->ctx;
	if (pc) {
		close(pc->keep);
		free(pc);
	}
	ch->ctx = NULL;
}

static int test_request(void *owner, struct channel *ch, const char *type, int want_reply, struct buf *data)
{
	return strcmp(type, "fuzz-ok") == 0 ? 1 : strcmp(type, "fuzz-fatal") == 0 ? -1 : 0;
}

static const struct channel_ops null_ops = {.request = test_request};
static const struct channel_ops pipe_ops = {.request = test_request, .free = pipe_free};

static int open_null(void *owner, struct channel *ch, struct buf *data, uint32_t *reason, char *desc,
		     size_t desclen)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		*reason = SSH_OPEN_RESOURCE_SHORTAGE;
		return -1;
	}
	ch->ops = &null_ops;
	channel_set_fds(ch, fd, -1, -1);
	return 0;
}

static int open_pipe(void *owner, struct channel *ch, struct buf *data, uint32_t *reason, char *desc,
		     size_t desclen)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) != 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	close(out[1]); /* fd_out is at EOF at once */
	struct pipe_ctx *pc = malloc(sizeof(*pc));
	if (!pc)
		abort();
	pc->keep = in[0];
	ch->ctx = pc;
	ch->ops = &pipe_ops;
	channel_set_fds(ch, in[1], out[0], -1);
	return 0;
}

/* Pending opens by channel id, oldest first. */
static uint32_t pending[CHANNEL_MAX];
static size_t n_pending;

static void pending_forget(uint32_t id)
{
	for (size_t i = 0; i < n_pending; i++)
		if (pending[i] == id) {
			memmove(&pending[i], &pending[i + 1], (n_pending - i - 1) * sizeof(pending[0]));
			n_pending--;
			return;
		}
}

static void pending_free(void *owner, struct channel *ch)
{
	pending_forget(ch->id);
}
static const struct channel_ops pending_ops = {.request = test_request, .free = pending_free};

static int open_pending(void *owner, struct channel *ch, struct buf *data, uint32_t *reason, char *desc,
			size_t desclen)
{
	ch->ops = &pending_ops;
	pending[n_pending++] = ch->id;
	return CHANNEL_OPEN_PENDING;
}

static int resolve_pending(struct channel_table *t, int confirm)
{
	if (n_pending == 0)
		return 0;
	uint32_t id = pending[0];
	pending_forget(id);
	struct channel *ch = &t->ch[id];
	if (!ch->used || !ch->open_pending)
		abort(); /* the channel layer lost track of a pending open */
	ch->ops = &null_ops;
	if (!confirm)
		return channel_open_fail(ch, SSH_OPEN_CONNECT_FAILED, "fuzz: dial failed");
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return channel_open_fail(ch, SSH_OPEN_RESOURCE_SHORTAGE, "fuzz: no fd");
	channel_set_fds(ch, fd, fd, -1);
	return channel_open_confirm(ch);
}

static void out_result(void *owner, struct channel *ch, int ok, uint32_t reason, const char *desc) {}
static const struct channel_ops out_ops = {.request = test_request, .open_result = out_result};

static void load(struct sshd_config *cfg, const char *text)
{
	char err[256];
	sshd_config_init(cfg);
	if (sshd_config_load_string(cfg, "fuzz", text, err, sizeof(err)) < 0 ||
	    sshd_config_finalize(cfg, err, sizeof(err)) < 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	signal(SIGPIPE, SIG_IGN);
	setenv("HOME", "/nonexistent-fuzz-home", 1);
	load(&cfg_tty, "AcceptEnv LANG LC_* TERM FUZZ_?\nMaxSessions 4\n");
	load(&cfg_notty, "PermitTTY no\nAcceptEnv *\n");
	static char name[] = "fuzzuser", home[] = "/nonexistent-fuzz-home", shell[] = "/bin/sh", gecos[] = "";
	user.name = name;
	user.uid = getuid();
	user.gid = getgid();
	user.home = home;
	user.shell = shell;
	user.gecos = gecos;
	return 0;
}

static int discard(void *owner, const struct buf *payload)
{
	return 0;
}

static const struct channel_type types[] = {
    {"session", session_open},
    {"fuzz-null", open_null},
    {"fuzz-pipe", open_pipe},
    {"fuzz-pending", open_pending},
};
static const struct channel_global globals[] = {
    {"no-more-sessions@openssh.com", conn_global_no_more_sessions},
};

/* Requests that would start a child process. */
static int spawns(const uint8_t *rec, size_t n)
{
	struct buf b;
	uint8_t type;
	uint32_t id;
	char rtype[64];
	buf_view(&b, rec, n);
	if (buf_get_u8(&b, &type) || type != SSH_MSG_CHANNEL_REQUEST || buf_get_u32(&b, &id) ||
	    buf_get_cstring_into(&b, rtype, sizeof(rtype)))
		return 0;
	return strcmp(rtype, "shell") == 0 || strcmp(rtype, "exec") == 0 || strcmp(rtype, "subsystem") == 0 ||
	       strcmp(rtype, "auth-agent-req@openssh.com") == 0;
}

static void run(const uint8_t *data, size_t size)
{
	if (size < 1 || (data[0] & 1))
		return;
	struct authkeys_opts ko;
	authkeys_opts_init(&ko);
	ko.no_pty = (data[0] >> 2) & 1;
	struct conn_info info = {
	    .client_addr = "192.0.2.7",
	    .client_port = 50022,
	    .local_addr = "198.51.100.1",
	    .local_port = 22,
	    .authenticated = 1,
	    .user = &user,
	    .cfg = (data[0] & 2) ? &cfg_notty : &cfg_tty,
	    .key_opts = &ko,
	    .auth_method = "publickey",
	    .auth_key_fp = "SHA256:fuzz",
	};
	struct conn *c = conn_new_detached(&info, &tab);
	struct channel_host host = {
	    .owner = c,
	    .send = discard,
	    .peer = info.client_addr,
	    .types = types,
	    .n_types = ARRAY_LEN(types),
	    .globals = globals,
	    .n_globals = ARRAY_LEN(globals),
	};
	channel_table_init(&tab, &host);

	const uint8_t *p = data + 1, *end = data + size;
	uint8_t kind;
	const uint8_t *rec;
	size_t n;
	while (fz_record(&p, end, &kind, &rec, &n)) {
		int r = 0;
		switch (kind % 4) {
		case 1: {
			struct buf d;
			buf_view(&d, rec, n);
			(void)channel_open_outgoing(&tab, "forwarded-tcpip", &d, &out_ops, NULL);
			break;
		}
		case 2: {
			if (n > 0)
				r = resolve_pending(&tab, rec[0] & 1);
			if (r < 0)
				break;
			struct pollfd pfds[64];
			struct channel_pollref refs[64];
			size_t np = channel_poll_prepare(&tab, pfds, refs, 64);
			if (poll(pfds, np, 0) >= 0)
				r = channel_poll_service(&tab, pfds, refs, np);
			channel_progress(&tab);
			break;
		}
		default: {
			if (n == 0 || spawns(rec, n))
				break;
			struct buf payload;
			buf_view(&payload, rec, n);
			r = channel_handle_packet(&tab, rec[0], &payload);
			channel_progress(&tab);
			break;
		}
		}
		if (r < 0)
			break;
	}
	channel_table_free(&tab);
	if (n_pending != 0)
		abort(); /* every pending open is freed with the table */
	conn_free_detached(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_mute();
	run(data, size);
	fz_unmute();
	return 0;
}
