/* Listener admission control: see admission.h for the policy. */
#include "admission.h"

#include <netinet/in.h>
#include <string.h>

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void adm_init(struct admission *a, const struct adm_limits *lim)
{
	memset(a, 0, sizeof(*a));
	a->lim = *lim;
	a->lim.max_running = clamp(lim->max_running, 1, 1 << 20);
	a->lim.per_source_running = clamp(lim->per_source_running, 1, a->lim.max_running);
	a->lim.max_waiting = clamp(lim->max_waiting, 0, ADM_MAX_WAITING);
	a->lim.per_source_waiting = clamp(lim->per_source_waiting, 0, a->lim.max_waiting);
	a->lim.v4_bits = clamp(lim->v4_bits, 0, 32);
	a->lim.v6_bits = clamp(lim->v6_bits, 0, 128);
	a->lim.wait_timeout = clamp(lim->wait_timeout, 0, 1 << 20);
	for (int i = 0; i < ADM_MAX_WAITING; i++)
		a->wait[i].fd = -1;
}

/* Keeps the first `bits` bits of addr[0..len) and zeroes the rest. */
static void mask_prefix(uint8_t *addr, int len, int bits)
{
	for (int i = 0; i < len; i++) {
		int keep = bits - 8 * i;
		if (keep >= 8)
			continue;
		addr[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
}

/* key[0] is the family tag (4, 6, or 0 for anything else); key[1..16] the
 * masked address. An IPv4-mapped IPv6 address counts as IPv4. */
static void source_key(const struct admission *a, const struct sockaddr_storage *ss, uint8_t key[17])
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memset(key, 0, 17);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		key[0] = 4;
		memcpy(key + 1, &in->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		if (memcmp(&in6->sin6_addr, v4mapped, sizeof(v4mapped)) == 0) {
			key[0] = 4;
			memcpy(key + 1, (const uint8_t *)&in6->sin6_addr + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, &in6->sin6_addr, 16);
		}
	}
	if (key[0] == 4)
		mask_prefix(key + 1, 4, a->lim.v4_bits);
	else if (key[0] == 6)
		mask_prefix(key + 1, 16, a->lim.v6_bits);
}

static int source_in_use(const struct adm_source *s)
{
	return s->running > 0 || s->waiting > 0;
}

int adm_source(struct admission *a, const struct sockaddr_storage *ss)
{
	uint8_t key[17];
	int free_slot = -1;
	source_key(a, ss, key);
	for (int i = 0; i < ADM_MAX_SOURCES; i++) {
		struct adm_source *s = &a->src[i];
		if (!source_in_use(s)) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (memcmp(s->key, key, sizeof(key)) == 0)
			return i;
	}
	if (free_slot >= 0)
		memcpy(a->src[free_slot].key, key, sizeof(key));
	return free_slot;
}

static int can_start(const struct admission *a, int src)
{
	return a->running < a->lim.max_running && a->src[src].running < a->lim.per_source_running;
}

enum adm_verdict adm_decide(const struct admission *a, int src)
{
	if (src < 0 || src >= ADM_MAX_SOURCES)
		return ADM_DROP;
	if (can_start(a, src))
		return ADM_START;
	if (a->waiting < a->lim.max_waiting && a->src[src].waiting < a->lim.per_source_waiting)
		return ADM_WAIT;
	return ADM_DROP;
}

void adm_running_add(struct admission *a, int src)
{
	if (src < 0 || src >= ADM_MAX_SOURCES)
		return;
	a->src[src].running++;
	a->running++;
}

void adm_running_done(struct admission *a, int src)
{
	if (src < 0 || src >= ADM_MAX_SOURCES || a->src[src].running <= 0)
		return;
	a->src[src].running--;
	a->running--;
}

int adm_wait_push(struct admission *a, int src, int fd, time_t now)
{
	if (src < 0 || src >= ADM_MAX_SOURCES || a->waiting >= a->lim.max_waiting)
		return -1;
	for (int i = 0; i < a->lim.max_waiting; i++) {
		struct adm_waiter *w = &a->wait[i];
		if (w->fd >= 0)
			continue;
		*w = (struct adm_waiter){.fd = fd, .src = src, .since = now, .seq = ++a->seq};
		a->src[src].waiting++;
		a->waiting++;
		return 0;
	}
	return -1;
}

static void wait_remove(struct admission *a, struct adm_waiter *w)
{
	a->src[w->src].waiting--;
	a->waiting--;
	w->fd = -1;
}

int adm_wait_pop(struct admission *a, int *fd, int *src)
{
	struct adm_waiter *best = NULL;
	for (int i = 0; i < a->lim.max_waiting; i++) {
		struct adm_waiter *w = &a->wait[i];
		if (w->fd < 0 || !can_start(a, w->src))
			continue;
		if (!best)
			best = w;
		int r = a->src[w->src].running, rb = a->src[best->src].running;
		if (r < rb || (r == rb && w->seq < best->seq))
			best = w;
	}
	if (!best)
		return -1;
	*fd = best->fd;
	*src = best->src;
	/* count as running before the source's waiting count drops to 0, so
	 * the source entry is never free in between */
	adm_running_add(a, best->src);
	wait_remove(a, best);
	return 0;
}

int adm_wait_expired(struct admission *a, time_t now, int *fd)
{
	if (a->lim.wait_timeout <= 0)
		return -1;
	for (int i = 0; i < a->lim.max_waiting; i++) {
		struct adm_waiter *w = &a->wait[i];
		if (w->fd >= 0 && now - w->since >= a->lim.wait_timeout) {
			*fd = w->fd;
			wait_remove(a, w);
			return 0;
		}
	}
	return -1;
}

int adm_accepting(const struct admission *a)
{
	return a->waiting < a->lim.max_waiting || a->running < a->lim.max_running;
}

int adm_next_timeout_ms(const struct admission *a, time_t now)
{
	if (a->lim.wait_timeout <= 0 || a->waiting == 0)
		return -1;
	time_t oldest = 0;
	int any = 0;
	for (int i = 0; i < a->lim.max_waiting; i++) {
		const struct adm_waiter *w = &a->wait[i];
		if (w->fd >= 0 && (!any || w->since < oldest))
			oldest = w->since, any = 1;
	}
	time_t left = oldest + a->lim.wait_timeout - now;
	return left <= 0 ? 0 : (int)(left * 1000);
}
