/* channel: RFC 4254 channels. See channel.h. */
#include "channel.h"
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "transport.h"
#include "util.h"

/* One read from a channel fd may fill several packets (each at most the
 * client's max packet): fewer syscalls and poll rounds for bulk output. */
#define READ_CHUNK (128u * 1024u)

static int host_send(struct channel_table *tab, const struct buf *payload)
{
	return tab->host.send(tab->host.owner, payload);
}

static int host_can_send_bulk(struct channel_table *tab)
{
	return !tab->host.can_send_bulk || tab->host.can_send_bulk(tab->host.owner);
}

static channel_open_fn find_type(const struct channel_table *tab, const char *name)
{
	for (size_t i = 0; i < tab->host.n_types; i++)
		if (strcmp(tab->host.types[i].name, name) == 0)
			return tab->host.types[i].open;
	return NULL;
}

static global_request_fn find_global(const struct channel_table *tab, const char *name)
{
	for (size_t i = 0; i < tab->host.n_globals; i++)
		if (strcmp(tab->host.globals[i].name, name) == 0)
			return tab->host.globals[i].handle;
	return NULL;
}

void channel_table_init(struct channel_table *tab, const struct channel_host *host)
{
	tab->host = *host;
	if (!tab->host.peer)
		tab->host.peer = "?";
	tab->n_slots = 0;
}

static struct channel *alloc_channel(struct channel_table *tab)
{
	for (uint32_t i = 0; i < CHANNEL_MAX; i++) {
		struct channel *ch = &tab->ch[i];
		if (!ch->used) {
			memset(ch, 0, sizeof(*ch));
			if (i >= tab->n_slots)
				tab->n_slots = i + 1;
			ch->id = i;
			ch->tab = tab;
			ch->used = 1;
			ch->fd_in = ch->fd_out = ch->fd_err = -1;
			ch->out_eof = ch->err_eof = 1; /* until fds are attached */
			ch->local_window = CHANNEL_WINDOW;
			buf_init(&ch->to_child, CHANNEL_WINDOW + 1024);
			buf_init(&ch->pending_exit, 4096);
			metrics_conn_channels(+1);
			return ch;
		}
	}
	return NULL;
}

static struct channel *lookup(struct channel_table *tab, uint32_t id)
{
	if (id >= tab->n_slots || !tab->ch[id].used)
		return NULL;
	return &tab->ch[id];
}

/* Closes fd_in/fd_out/fd_err (each distinct fd once) and marks them absent. */
static void close_fds(struct channel *ch)
{
	int in = ch->fd_in, out = ch->fd_out, err = ch->fd_err;
	if (in >= 0)
		close(in);
	if (out >= 0 && out != in)
		close(out);
	if (err >= 0 && err != in && err != out)
		close(err);
	ch->fd_in = ch->fd_out = ch->fd_err = -1;
}

static void free_channel(struct channel *ch)
{
	struct channel_table *tab = ch->tab;
	if (ch->used)
		metrics_conn_channels(-1);
	if (ch->ops && ch->ops->free)
		ch->ops->free(tab->host.owner, ch);
	close_fds(ch);
	buf_free(&ch->to_child);
	buf_free(&ch->pending_exit);
	uint32_t id = ch->id;
	memset(ch, 0, sizeof(*ch));
	ch->id = id;
	ch->tab = tab;
	ch->fd_in = ch->fd_out = ch->fd_err = -1;
}

void channel_table_free(struct channel_table *tab)
{
	for (uint32_t i = 0; i < tab->n_slots; i++)
		if (tab->ch[i].used)
			free_channel(&tab->ch[i]);
}

int channel_any_open(const struct channel_table *tab)
{
	for (uint32_t i = 0; i < tab->n_slots; i++)
		if (tab->ch[i].used)
			return 1;
	return 0;
}

struct channel_table *channel_table_of(struct channel *ch)
{
	return ch->tab;
}

int channel_count_type(const struct channel_table *tab, const char *type)
{
	int n = 0;
	for (uint32_t i = 0; i < tab->n_slots; i++)
		if (tab->ch[i].used && strcmp(tab->ch[i].type, type) == 0)
			n++;
	return n;
}

void channel_set_fds(struct channel *ch, int fd_in, int fd_out, int fd_err)
{
	int fds[3] = {fd_in, fd_out, fd_err};
	for (int i = 0; i < 3; i++) {
		if (fds[i] >= 0) {
			set_nonblock(fds[i], 1);
			set_cloexec(fds[i], 1);
		}
	}
	ch->fd_in = fd_in;
	ch->fd_out = fd_out;
	ch->fd_err = fd_err;
	ch->out_eof = fd_out < 0;
	ch->err_eof = fd_err < 0;
	ch->fds_attached = 1;
	/* the client may have sent EOF before the fds existed */
	if (ch->eof_rcvd && buf_avail(&ch->to_child) == 0 && fd_in >= 0) {
		if (fd_in == fd_out)
			shutdown(fd_in, SHUT_WR);
		else
			close_fd(&ch->fd_in);
		ch->in_closed = 1;
	}
}

static int send_simple(struct channel_table *tab, uint8_t type, uint32_t id)
{
	struct buf b;
	buf_init(&b, 16);
	int r = buf_put_u8(&b, type);
	r = r ? r : buf_put_u32(&b, id);
	r = r ? r : host_send(tab, &b);
	buf_free(&b);
	return r;
}

static int build_request(struct buf *b, struct channel *ch, const char *type, int want_reply,
			 const struct buf *data)
{
	int r = buf_put_u8(b, SSH_MSG_CHANNEL_REQUEST);
	r = r ? r : buf_put_u32(b, ch->remote_id);
	r = r ? r : buf_put_cstring(b, type);
	r = r ? r : buf_put_u8(b, want_reply ? 1 : 0);
	if (!r && data)
		r = buf_put(b, buf_rptr(data), buf_avail(data));
	return r;
}

static int output_drained(const struct channel *ch)
{
	return !ch->fds_attached || (ch->out_eof && ch->err_eof);
}

int channel_send_request(struct channel *ch, const char *type, int want_reply, const struct buf *data)
{
	if (ch->close_sent || ch->close_rcvd)
		return SB_ERR_CLOSED;
	int is_exit = strcmp(type, "exit-status") == 0 || strcmp(type, "exit-signal") == 0;
	if (is_exit && !output_drained(ch)) {
		/* trailing output first: sent by channel_progress when drained */
		buf_reset(&ch->pending_exit);
		return build_request(&ch->pending_exit, ch, type, want_reply, data);
	}
	struct buf b;
	buf_init(&b, 4096 + (data ? buf_avail(data) : 0));
	int r = build_request(&b, ch, type, want_reply, data);
	r = r ? r : host_send(ch->tab, &b);
	buf_free(&b);
	return r;
}

static struct buf data_scratch; /* reused: one packet at a time */

static int send_data(struct channel *ch, int ext, const void *p, size_t n)
{
	struct buf *b = &data_scratch;
	if (!buf_initialized(b))
		buf_init(b, TRANSPORT_MAX_PAYLOAD);
	buf_reset(b);
	int r = buf_put_u8(b, ext ? SSH_MSG_CHANNEL_EXTENDED_DATA : SSH_MSG_CHANNEL_DATA);
	r = r ? r : buf_put_u32(b, ch->remote_id);
	if (!r && ext)
		r = buf_put_u32(b, 1);
	r = r ? r : buf_put_string(b, p, n);
	r = r ? r : host_send(ch->tab, b);
	buf_reset(b);
	return r;
}

void channel_release_close(struct channel *ch)
{
	ch->hold_close = 0;
	channel_progress(ch->tab);
}

void channel_close(struct channel *ch)
{
	struct channel_table *tab = ch->tab;
	close_fds(ch);
	ch->out_eof = ch->err_eof = 1;
	ch->in_closed = 1;
	ch->hold_close = 0;
	buf_reset(&ch->to_child);
	if (ch->confirmed && !ch->close_sent && !ch->close_rcvd && buf_avail(&ch->pending_exit) > 0)
		host_send(tab, &ch->pending_exit);
	buf_reset(&ch->pending_exit);
	if (ch->confirmed && !ch->eof_sent && !ch->close_sent) {
		send_simple(tab, SSH_MSG_CHANNEL_EOF, ch->remote_id);
		ch->eof_sent = 1;
	}
	if (ch->confirmed && !ch->close_sent) {
		send_simple(tab, SSH_MSG_CHANNEL_CLOSE, ch->remote_id);
		ch->close_sent = 1;
	}
	if (!ch->confirmed && !ch->close_sent)
		ch->close_sent = 1; /* outgoing, unanswered: wait for the answer */
	channel_progress(tab);
}

struct channel *channel_open_outgoing(struct channel_table *tab, const char *type, const struct buf *data,
				      const struct channel_ops *ops, void *ctx)
{
	struct channel *ch = alloc_channel(tab);
	if (!ch)
		return NULL;
	snprintf(ch->type, sizeof(ch->type), "%s", type);
	ch->ops = ops;
	ch->ctx = ctx;
	struct buf b;
	buf_init(&b, 4096 + (data ? buf_avail(data) : 0));
	int r = buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN);
	r = r ? r : buf_put_cstring(&b, type);
	r = r ? r : buf_put_u32(&b, ch->id);
	r = r ? r : buf_put_u32(&b, ch->local_window);
	r = r ? r : buf_put_u32(&b, CHANNEL_MAX_PACKET);
	if (!r && data)
		r = buf_put(&b, buf_rptr(data), buf_avail(data));
	r = r ? r : host_send(tab, &b);
	buf_free(&b);
	if (r) {
		ch->ops = NULL;
		free_channel(ch);
		return NULL;
	}
	return ch;
}

/* ---- incoming messages ---- */

static int send_open_failure(struct channel_table *tab, uint32_t sender, const char *type, uint32_t reason,
			     const char *desc)
{
	log_debug("channel open %s refused: %s", type, desc);
	struct buf b;
	buf_init(&b, 512);
	int r = buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN_FAILURE);
	r = r ? r : buf_put_u32(&b, sender);
	r = r ? r : buf_put_u32(&b, reason);
	r = r ? r : buf_put_cstring(&b, desc);
	r = r ? r : buf_put_cstring(&b, "");
	r = r ? r : host_send(tab, &b);
	buf_free(&b);
	return r;
}

int channel_open_confirm(struct channel *ch)
{
	ch->open_pending = 0;
	ch->confirmed = 1;
	struct buf b;
	buf_init(&b, 64);
	int r = buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN_CONFIRMATION);
	r = r ? r : buf_put_u32(&b, ch->remote_id);
	r = r ? r : buf_put_u32(&b, ch->id);
	r = r ? r : buf_put_u32(&b, ch->local_window);
	r = r ? r : buf_put_u32(&b, CHANNEL_MAX_PACKET);
	r = r ? r : host_send(ch->tab, &b);
	buf_free(&b);
	log_debug("channel %u: open %s confirmed (remote %u, window %u, max packet %u)", ch->id, ch->type,
		  ch->remote_id, ch->remote_window, ch->remote_maxpacket);
	return r;
}

int channel_open_fail(struct channel *ch, uint32_t reason, const char *desc)
{
	struct channel_table *tab = ch->tab;
	uint32_t sender = ch->remote_id;
	char type[sizeof(ch->type)];
	snprintf(type, sizeof(type), "%s", ch->type);
	free_channel(ch);
	return send_open_failure(tab, sender, type, reason, desc && desc[0] ? desc : "open failed");
}

static int handle_open(struct channel_table *tab, struct buf *p)
{
	char type[64];
	uint32_t sender, window, maxpkt;
	int e = buf_get_cstring_into(p, type, sizeof(type));
	e = e ? e : buf_get_u32(p, &sender);
	e = e ? e : buf_get_u32(p, &window);
	e = e ? e : buf_get_u32(p, &maxpkt);
	if (e)
		return e;
	uint32_t reason = SSH_OPEN_UNKNOWN_CHANNEL_TYPE;
	char desc[256] = "unknown channel type";
	channel_open_fn fn = find_type(tab, type);
	struct channel *ch = NULL;
	if (fn && maxpkt < 64) {
		reason = SSH_OPEN_ADMINISTRATIVELY_PROHIBITED;
		snprintf(desc, sizeof(desc), "max packet too small");
		fn = NULL;
	} else if (fn && !(ch = alloc_channel(tab))) {
		reason = SSH_OPEN_RESOURCE_SHORTAGE;
		snprintf(desc, sizeof(desc), "too many channels");
		fn = NULL;
	}
	if (fn && ch) {
		snprintf(ch->type, sizeof(ch->type), "%s", type);
		ch->remote_id = sender;
		ch->remote_window = window;
		ch->remote_maxpacket = maxpkt > CHANNEL_MAX_PACKET ? CHANNEL_MAX_PACKET : maxpkt;
		desc[0] = 0;
		int rc = fn(tab->host.owner, ch, p, &reason, desc, sizeof(desc));
		if (rc == 0)
			return channel_open_confirm(ch);
		if (rc == CHANNEL_OPEN_PENDING) {
			ch->open_pending = 1;
			log_debug("channel %u: open %s pending", ch->id, type);
			return 0;
		}
		if (!desc[0])
			snprintf(desc, sizeof(desc), "open failed");
		free_channel(ch);
	}
	return send_open_failure(tab, sender, type, reason, desc);
}

static int handle_global(struct channel_table *tab, struct buf *p)
{
	char name[128];
	int want;
	int e = buf_get_cstring_into(p, name, sizeof(name));
	e = e ? e : buf_get_bool(p, &want);
	if (e)
		return e;
	int ok = 0;
	struct buf reply;
	buf_init(&reply, 4096);
	int r = buf_put_u8(&reply, SSH_MSG_REQUEST_SUCCESS);
	global_request_fn fn = find_global(tab, name);
	if (fn)
		ok = fn(tab->host.owner, name, p, &reply);
	log_debug("global request %s: %s", name, ok > 0 ? "success" : "failure");
	if (ok < 0) {
		buf_free(&reply);
		return SB_ERR_PROTOCOL; /* the handler found the request fatal */
	}
	if (want) {
		if (ok) {
			r = r ? r : host_send(tab, &reply);
		} else {
			uint8_t f = SSH_MSG_REQUEST_FAILURE;
			struct buf b;
			buf_view(&b, &f, 1);
			r = host_send(tab, &b);
		}
	}
	buf_free(&reply);
	return r;
}

static void maybe_close_input(struct channel *ch)
{
	if (!ch->eof_rcvd || ch->in_closed || buf_avail(&ch->to_child) > 0)
		return;
	if (!ch->fds_attached)
		return;
	if (ch->fd_in >= 0) {
		if (ch->fd_in == ch->fd_out || ch->fd_in == ch->fd_err)
			shutdown(ch->fd_in, SHUT_WR);
		else
			close_fd(&ch->fd_in);
	}
	ch->in_closed = 1;
	if (!ch->input_eof_called) {
		ch->input_eof_called = 1;
		if (ch->ops && ch->ops->input_eof)
			ch->ops->input_eof(ch->tab->host.owner, ch);
	}
}

static int write_to_child(struct channel *ch)
{
	while (buf_avail(&ch->to_child) > 0 && ch->fd_in >= 0) {
		ssize_t n = write(ch->fd_in, buf_rptr(&ch->to_child), buf_avail(&ch->to_child));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* the child stopped reading: discard, keep the window moving */
			log_debug("channel %u: write: %s", ch->id, strerror(errno));
			ch->local_consumed += (uint32_t)buf_avail(&ch->to_child);
			buf_reset(&ch->to_child);
			int in = ch->fd_in;
			if (in != ch->fd_out && in != ch->fd_err)
				close(in);
			ch->fd_in = -1;
			break;
		}
		buf_consume(&ch->to_child, (size_t)n);
		ch->local_consumed += (uint32_t)n;
	}
	if (ch->fd_in < 0 && ch->fds_attached && buf_avail(&ch->to_child) > 0) {
		ch->local_consumed += (uint32_t)buf_avail(&ch->to_child);
		buf_reset(&ch->to_child);
	}
	if (buf_avail(&ch->to_child) == 0)
		buf_reset(&ch->to_child);
	/* Window adjust when half the window was consumed. */
	if (!ch->eof_rcvd && !ch->close_sent && ch->local_consumed >= CHANNEL_WINDOW / 2) {
		struct buf b;
		buf_init(&b, 16);
		int r = buf_put_u8(&b, SSH_MSG_CHANNEL_WINDOW_ADJUST);
		r = r ? r : buf_put_u32(&b, ch->remote_id);
		r = r ? r : buf_put_u32(&b, ch->local_consumed);
		r = r ? r : host_send(ch->tab, &b);
		buf_free(&b);
		if (r)
			return r;
		ch->local_window += ch->local_consumed;
		ch->local_consumed = 0;
	}
	maybe_close_input(ch);
	return 0;
}

/* CHANNEL_DATA / EXTENDED_DATA (extended data is counted and dropped). */
static int handle_data(struct channel *ch, uint8_t type, struct buf *p)
{
	int e;
	uint32_t code = 0;
	const uint8_t *d;
	size_t n;
	if (type == SSH_MSG_CHANNEL_EXTENDED_DATA && (e = buf_get_u32(p, &code)))
		return e;
	if ((e = buf_get_string_view(p, &d, &n, TRANSPORT_MAX_PACKET)))
		return e;
	if (ch->eof_rcvd || ch->close_rcvd) {
		log_info("channel %u: data after EOF", ch->id);
		return SB_ERR_PROTOCOL;
	}
	if (n > ch->local_window || n > CHANNEL_MAX_PACKET) {
		log_info("channel %u: client exceeded window (%zu > %u)", ch->id, n, ch->local_window);
		return SB_ERR_PROTOCOL;
	}
	ch->local_window -= (uint32_t)n;
	if (type == SSH_MSG_CHANNEL_EXTENDED_DATA || (ch->fds_attached && ch->fd_in < 0) || ch->in_closed) {
		ch->local_consumed += (uint32_t)n; /* discarded */
	} else {
		if ((e = buf_put(&ch->to_child, d, n)) != BUF_OK)
			return e;
	}
	return write_to_child(ch);
}

/* CHANNEL_CLOSE from the peer. */
static int handle_close(struct channel *ch)
{
	int e;
	if (ch->close_rcvd)
		return SB_ERR_PROTOCOL; /* a second CLOSE */
	ch->close_rcvd = 1;
	ch->eof_rcvd = 1;
	if (!ch->close_sent) {
		/* The client will read nothing more: stop reading. Data it
		 * sent before CLOSE is still written to fd_in (as OpenSSH
		 * drains its output buffer): channel_progress frees the
		 * channel once to_child is empty. (fwd: ssh -R echo data.) */
		if ((e = write_to_child(ch)) < 0)
			return e;
		int keep = ch->fd_in >= 0 && buf_avail(&ch->to_child) > 0 ? ch->fd_in : -1;
		int in = ch->fd_in, out = ch->fd_out, err = ch->fd_err;
		if (in >= 0 && in != keep)
			close(in);
		if (out >= 0 && out != in && out != keep)
			close(out);
		if (err >= 0 && err != in && err != out && err != keep)
			close(err);
		ch->fd_in = keep;
		ch->fd_out = ch->fd_err = -1;
		ch->out_eof = ch->err_eof = 1;
		if (keep < 0)
			ch->in_closed = 1;
	}
	channel_progress(ch->tab);
	return 0;
}

static int handle_channel_msg(struct channel_table *tab, uint8_t type, struct buf *p)
{
	void *owner = tab->host.owner;
	uint32_t id;
	int e = buf_get_u32(p, &id);
	if (e)
		return e;
	struct channel *ch = lookup(tab, id);
	if (!ch) {
		log_info("message %u for unknown channel %u", type, id);
		return SB_ERR_PROTOCOL;
	}
	if (ch->open_pending) {
		/* the client has not been told this channel number yet */
		log_info("message %u for channel %u whose open is still pending", type, id);
		return SB_ERR_PROTOCOL;
	}
	switch (type) {
	case SSH_MSG_CHANNEL_OPEN_CONFIRMATION: {
		uint32_t sender, window, maxpkt;
		if (ch->confirmed)
			return SB_ERR_PROTOCOL;
		e = buf_get_u32(p, &sender);
		e = e ? e : buf_get_u32(p, &window);
		e = e ? e : buf_get_u32(p, &maxpkt);
		if (e)
			return e;
		ch->remote_id = sender;
		ch->remote_window = window;
		ch->remote_maxpacket = maxpkt > CHANNEL_MAX_PACKET ? CHANNEL_MAX_PACKET : maxpkt;
		if (ch->remote_maxpacket < 64)
			ch->remote_maxpacket = 64;
		ch->confirmed = 1;
		if (ch->ops && ch->ops->open_result)
			ch->ops->open_result(owner, ch, 1, 0, "");
		if (ch->close_sent) { /* closed while the open was pending */
			ch->close_sent = 0;
			channel_close(ch);
		}
		return 0;
	}
	case SSH_MSG_CHANNEL_OPEN_FAILURE: {
		uint32_t reason;
		char desc[256] = "";
		if (ch->confirmed)
			return SB_ERR_PROTOCOL;
		if ((e = buf_get_u32(p, &reason)))
			return e;
		if (buf_get_cstring_into(p, desc, sizeof(desc)))
			desc[0] = 0;
		if (ch->ops && ch->ops->open_result)
			ch->ops->open_result(owner, ch, 0, reason, desc);
		free_channel(ch);
		return 0;
	}
	default:
		break;
	}
	if (!ch->confirmed) {
		log_info("message %u for unconfirmed channel %u", type, id);
		return SB_ERR_PROTOCOL;
	}
	switch (type) {
	case SSH_MSG_CHANNEL_WINDOW_ADJUST: {
		uint32_t add;
		if ((e = buf_get_u32(p, &add)))
			return e;
		uint64_t w = (uint64_t)ch->remote_window + add;
		ch->remote_window = w > 0xffffffffu ? 0xffffffffu : (uint32_t)w;
		return 0;
	}
	case SSH_MSG_CHANNEL_DATA:
	case SSH_MSG_CHANNEL_EXTENDED_DATA:
		return handle_data(ch, type, p);
	case SSH_MSG_CHANNEL_EOF:
		if (ch->eof_rcvd)
			return 0;
		ch->eof_rcvd = 1;
		maybe_close_input(ch);
		return 0;
	case SSH_MSG_CHANNEL_CLOSE:
		return handle_close(ch);
	case SSH_MSG_CHANNEL_REQUEST: {
		char rtype[64];
		int want;
		e = buf_get_cstring_into(p, rtype, sizeof(rtype));
		e = e ? e : buf_get_bool(p, &want);
		if (e)
			return e;
		int ok = 0;
		if (!ch->close_rcvd && ch->ops && ch->ops->request)
			ok = ch->ops->request(owner, ch, rtype, want, p);
		log_debug("channel %u: request %s: %s", ch->id, rtype, ok > 0 ? "success" : "failure");
		if (ok < 0)
			return SB_ERR_PROTOCOL; /* the handler found the request fatal */
		if (want && !ch->close_sent)
			return send_simple(tab, ok ? SSH_MSG_CHANNEL_SUCCESS : SSH_MSG_CHANNEL_FAILURE,
					   ch->remote_id);
		channel_progress(tab);
		return 0;
	}
	case SSH_MSG_CHANNEL_SUCCESS:
	case SSH_MSG_CHANNEL_FAILURE:
		return 0; /* answers to our want_reply requests (we send none that need them) */
	default:
		return SB_ERR_PROTOCOL; /* not a channel message */
	}
}

int channel_handle_packet(struct channel_table *tab, uint8_t type, struct buf *payload)
{
	struct buf p;
	int r = buf_view_message_body(&p, payload);
	if (r)
		return r;
	switch (type) {
	case SSH_MSG_GLOBAL_REQUEST:
		r = handle_global(tab, &p);
		break;
	case SSH_MSG_REQUEST_SUCCESS:
	case SSH_MSG_REQUEST_FAILURE:
		if (tab->host.global_answered)
			tab->host.global_answered(tab->host.owner);
		r = 0;
		break;
	case SSH_MSG_CHANNEL_OPEN:
		r = handle_open(tab, &p);
		break;
	default:
		r = handle_channel_msg(tab, type, &p);
		break;
	}
	if (r < 0)
		log_info("bad connection-protocol message %u from %s: %s", type, tab->host.peer,
			 sb_strerror(r));
	return r;
}

/* ---- fd plumbing ---- */

size_t channel_poll_prepare(struct channel_table *tab, struct pollfd *pfds, struct channel_pollref *refs,
			    size_t max)
{
	size_t n = 0;
	int bulk = host_can_send_bulk(tab);
	for (uint32_t i = 0; i < tab->n_slots && n + 3 <= max; i++) {
		struct channel *ch = &tab->ch[i];
		if (!ch->used || !ch->confirmed || !ch->fds_attached)
			continue;
		if (ch->fd_in >= 0 && buf_avail(&ch->to_child) > 0) {
			pfds[n] = (struct pollfd){.fd = ch->fd_in, .events = POLLOUT};
			refs[n] = (struct channel_pollref){.id = i, .role = 0};
			n++;
		}
		int can_send = bulk && ch->remote_window > 0 && !ch->eof_sent && !ch->close_sent;
		if (ch->fd_out >= 0 && !ch->out_eof && can_send) {
			pfds[n] = (struct pollfd){.fd = ch->fd_out, .events = POLLIN};
			refs[n] = (struct channel_pollref){.id = i, .role = 1};
			n++;
		}
		if (ch->fd_err >= 0 && !ch->err_eof && can_send) {
			pfds[n] = (struct pollfd){.fd = ch->fd_err, .events = POLLIN};
			refs[n] = (struct channel_pollref){.id = i, .role = 2};
			n++;
		}
	}
	return n;
}

static uint8_t read_buf[READ_CHUNK];

/* Reads once from fd_out/fd_err and sends within the window. */
static int read_from_child(struct channel *ch, int role)
{
	int fd = role == 1 ? ch->fd_out : ch->fd_err;
	if (fd < 0)
		return 0;
	size_t want = READ_CHUNK;
	if (want > ch->remote_window)
		want = ch->remote_window;
	if (want == 0 || ch->remote_maxpacket == 0)
		return 0;
	ssize_t n;
	do
		n = read(fd, read_buf, want);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0) {
		/* EOF, or EIO on a pty master once the slave side is gone */
		if (role == 1)
			ch->out_eof = 1;
		else
			ch->err_eof = 1;
		int in = ch->fd_in, out = ch->fd_out;
		if (role == 2 && fd != in && fd != out) {
			close(fd);
			ch->fd_err = -1;
		} else if (role == 1 && fd != in && fd != ch->fd_err) {
			close(fd);
			ch->fd_out = -1;
		}
		return 0;
	}
	ch->remote_window -= (uint32_t)n;
	int r = 0;
	for (size_t off = 0; off < (size_t)n && r == 0; off += ch->remote_maxpacket) {
		size_t len = (size_t)n - off < ch->remote_maxpacket ? (size_t)n - off : ch->remote_maxpacket;
		r = send_data(ch, role == 2, read_buf + off, len);
	}
	return r;
}

int channel_poll_service(struct channel_table *tab, struct pollfd *pfds, struct channel_pollref *refs,
			 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!pfds[i].revents)
			continue;
		struct channel *ch = lookup(tab, refs[i].id);
		if (!ch)
			continue;
		int r = 0;
		if (refs[i].role == 0) {
			if (pfds[i].fd == ch->fd_in)
				r = write_to_child(ch);
		} else {
			/* a few reads per wakeup while the window and the socket
			 * backlog allow: fewer poll() rounds for bulk output */
			for (int k = 0; k < 8 && r == 0; k++) {
				int fd = refs[i].role == 1 ? ch->fd_out : ch->fd_err;
				if (pfds[i].fd != fd || fd < 0 || !host_can_send_bulk(tab) ||
				    ch->remote_window == 0 || ch->eof_sent || ch->close_sent)
					break;
				uint32_t w = ch->remote_window;
				r = read_from_child(ch, refs[i].role);
				if (ch->remote_window == w) /* nothing read (EAGAIN or EOF) */
					break;
			}
		}
		if (r < 0)
			return r;
	}
	channel_progress(tab);
	return 0;
}

void channel_progress(struct channel_table *tab)
{
	for (uint32_t i = 0; i < tab->n_slots; i++) {
		struct channel *ch = &tab->ch[i];
		if (!ch->used || !ch->confirmed)
			continue;
		if (ch->fds_attached && ch->out_eof && ch->err_eof && !ch->eof_sent && !ch->close_sent &&
		    !ch->close_rcvd) {
			if (!ch->output_eof_called) {
				ch->output_eof_called = 1;
				if (ch->ops && ch->ops->output_eof)
					ch->ops->output_eof(tab->host.owner, ch);
			}
			if (buf_avail(&ch->pending_exit) > 0) {
				host_send(tab, &ch->pending_exit);
				buf_reset(&ch->pending_exit);
			}
			if (!ch->hold_close) {
				send_simple(tab, SSH_MSG_CHANNEL_EOF, ch->remote_id);
				ch->eof_sent = 1;
			}
		}
		if (!ch->close_sent &&
		    (ch->close_rcvd || (!ch->hold_close && ch->fds_attached && ch->eof_sent &&
					(!ch->close_after_input || ch->in_closed)))) {
			send_simple(tab, SSH_MSG_CHANNEL_CLOSE, ch->remote_id);
			ch->close_sent = 1;
		}
		/* data the client sent before its CLOSE is written out first */
		if (ch->close_sent && ch->close_rcvd && (ch->fd_in < 0 || buf_avail(&ch->to_child) == 0)) {
			log_debug("channel %u: closed", ch->id);
			free_channel(ch);
		}
	}
}
