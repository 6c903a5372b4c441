#include "profile.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "util.h"
#if CONFIG_ZLIB
#include <zlib.h>
#endif

/* ---------------- sampling ----------------
 * One profile at a time, of one process (the target). The state lives in
 * a mapping that the listener makes MAP_SHARED before it forks (see
 * profile_shared_init), so a connection process -- a fork of the listener
 * with the same binary at the same addresses and the same handlers --
 * records into the buffer the listener encodes. The target arms its own
 * ITIMER_PROF when it gets PROFILE_CTL_SIGNAL and disarms it when the
 * profile is over (active cleared, or past the deadline). */

struct prof_state {
	int active;          /* a profile is running */
	int target;          /* its pid */
	int in_handler;      /* handlers currently inside (all processes) */
	uint32_t nsamples;   /* claimed slots (may exceed the max: dropped) */
	int64_t deadline_ns; /* CLOCK_MONOTONIC: the target disarms itself after it */
	struct profile_sample samples[PROFILE_MAX_SAMPLES];
};

static struct prof_state *ps;
static int ps_shared;
static uintptr_t stack_hi; /* top of the main thread's stack (same in forks) */
static int64_t start_ns;
static pid_t cur_target;

static int64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int profile_ctl_signal(void) { return SIGRTMIN + 4; }

static void set_timer(int on)
{
	struct itimerval it;
	memset(&it, 0, sizeof(it));
	if (on) {
		it.it_interval.tv_usec = 1000000 / PROFILE_HZ;
		it.it_value = it.it_interval;
	}
	setitimer(ITIMER_PROF, &it, NULL);
}

static int is_target(struct prof_state *p)
{
	return __atomic_load_n(&p->active, __ATOMIC_SEQ_CST) &&
	       __atomic_load_n(&p->target, __ATOMIC_SEQ_CST) == (int)getpid() && mono_ns() < p->deadline_ns;
}

/* Only async-signal-safe work: syscalls, atomics, plain stores. */
static void on_sigprof(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	struct prof_state *p = ps;
	if (!p)
		return;
	int saved = errno;
	__atomic_fetch_add(&p->in_handler, 1, __ATOMIC_SEQ_CST);
	if (!is_target(p)) {
		set_timer(0);
		goto out;
	}
	uint32_t i = __atomic_fetch_add(&p->nsamples, 1, __ATOMIC_SEQ_CST);
	if (i < PROFILE_MAX_SAMPLES) {
		struct profile_sample *s = &p->samples[i];
		uintptr_t pc = 0, fp = 0;
		const ucontext_t *uc = ctx;
#if defined(__x86_64__)
		pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
		fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
#elif defined(__aarch64__)
		pc = (uintptr_t)uc->uc_mcontext.pc;
		fp = (uintptr_t)uc->uc_mcontext.regs[29];
#else
		(void)uc;
#endif
		/* Interrupted frames lie above this handler's frame on the same
		 * stack and below the stack's top: only such frame pointers are
		 * followed, so garbage in the frame-pointer register (code built
		 * without frame pointers) ends the walk instead of faulting. */
		uintptr_t lo = (uintptr_t)&i;
		/* Only on the main thread, and not on an alternate signal stack. */
		if ((pid_t)syscall(SYS_gettid) != getpid() || lo >= stack_hi || stack_hi - lo > (64u << 20))
			fp = 0;
		uint32_t d = 0;
		s->pc[d++] = pc;
		while (d < PROFILE_MAX_DEPTH && fp > lo && stack_hi && fp <= stack_hi - 2 * sizeof(uintptr_t) &&
		       (fp & (sizeof(uintptr_t) - 1)) == 0) {
			const uintptr_t *frame = (const uintptr_t *)fp;
			uintptr_t next = frame[0], ret = frame[1];
			if (ret < 4096)
				break;
			s->pc[d++] = ret;
			if (next <= fp)
				break;
			fp = next;
		}
		s->depth = d;
	}
out:
	__atomic_fetch_sub(&p->in_handler, 1, __ATOMIC_SEQ_CST);
	errno = saved;
}

/* Start/stop request from the listener. */
static void on_ctl(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	(void)ctx;
	int saved = errno;
	if (ps && is_target(ps))
		set_timer(1);
	else
		set_timer(0);
	errno = saved;
}

/* Top of the main thread's stack from /proc/self/maps. */
static void find_stack(void)
{
	static char text[1 << 16];
	if (read_text_file("/proc/self/maps", text, sizeof(text)) < 0)
		return;
	char *line = text;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (strstr(line, "[stack]")) {
			unsigned long lo, hi;
			if (sscanf(line, "%lx-%lx", &lo, &hi) == 2)
				stack_hi = hi;
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
}

static int install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigprof;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPROF, &sa, NULL) != 0)
		return -1;
	sa.sa_sigaction = on_ctl;
	return sigaction(profile_ctl_signal(), &sa, NULL);
}

static int ensure_state(int shared)
{
	if (ps)
		return 0;
	void *m = mmap(NULL, sizeof(struct prof_state), PROT_READ | PROT_WRITE,
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	find_stack();
	ps = m;
	ps_shared = shared;
	if (install_handlers() != 0) {
		munmap(m, sizeof(struct prof_state));
		ps = NULL;
		return -1;
	}
	return 0;
}

int profile_shared_init(void)
{
	if (ps && !ps_shared && !__atomic_load_n(&ps->active, __ATOMIC_SEQ_CST)) {
		munmap(ps, sizeof(struct prof_state));
		ps = NULL;
	}
	return ensure_state(1);
}

int profile_running(void) { return ps && __atomic_load_n(&ps->active, __ATOMIC_SEQ_CST); }

/* Does pid catch both signals (i.e. is it a fork that kept our handlers)?
 * Never signal a process for which the default action would kill it. */
static int catches_our_signals(pid_t pid)
{
	char path[64], text[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = 0;
	const char *c = strstr(text, "\nSigCgt:");
	if (!c)
		return 0;
	unsigned long long mask = strtoull(c + 8, NULL, 16);
	int a = SIGPROF, b = profile_ctl_signal();
	return (mask >> (a - 1) & 1) && (mask >> (b - 1) & 1);
}

int profile_start_pid(pid_t pid)
{
	int self = pid <= 0 || pid == getpid();
	if (!self && !ps_shared) {
		errno = EINVAL; /* needs profile_shared_init before the fork */
		return -1;
	}
	if (ensure_state(0) != 0)
		return -1;
	if (__atomic_load_n(&ps->active, __ATOMIC_SEQ_CST)) {
		errno = EBUSY;
		return -1;
	}
	if (!self && !catches_our_signals(pid)) {
		errno = ESRCH;
		return -1;
	}
	cur_target = self ? getpid() : pid;
	__atomic_store_n(&ps->nsamples, 0, __ATOMIC_SEQ_CST);
	ps->deadline_ns = mono_ns() + (int64_t)(PROFILE_MAX_SECONDS + 5) * 1000000000;
	__atomic_store_n(&ps->target, (int)cur_target, __ATOMIC_SEQ_CST);
	start_ns = realtime_ns();
	__atomic_store_n(&ps->active, 1, __ATOMIC_SEQ_CST);
	if (self) {
		set_timer(1);
	} else if (kill(pid, profile_ctl_signal()) != 0) {
		int e = errno;
		__atomic_store_n(&ps->active, 0, __ATOMIC_SEQ_CST);
		errno = e;
		return -1;
	}
	return 0;
}

int profile_start(void) { return profile_start_pid(0); }

int profile_stop(struct buf *out)
{
	if (!ps || !__atomic_load_n(&ps->active, __ATOMIC_SEQ_CST))
		return BUF_ERR_FORMAT;
	__atomic_store_n(&ps->active, 0, __ATOMIC_SEQ_CST);
	if (cur_target == getpid())
		set_timer(0);
	else
		(void)kill(cur_target, profile_ctl_signal()); /* disarm (it would at its next tick anyway) */
	/* Let a handler that is still writing finish. */
	for (int i = 0; i < 1000 && __atomic_load_n(&ps->in_handler, __ATOMIC_SEQ_CST); i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	int64_t dur = realtime_ns() - start_ns;
	uint32_t n = __atomic_load_n(&ps->nsamples, __ATOMIC_SEQ_CST);
	if (n > PROFILE_MAX_SAMPLES)
		n = PROFILE_MAX_SAMPLES;
	struct buf raw;
	int r = buf_init(&raw, 32u << 20);
	/* A connection process is a fork of this one (same binary at the same
	 * addresses), so this process's maps and symbols describe it too. */
	if (r == 0)
		r = profile_encode(ps->samples, n, NULL, 1000000000ull / PROFILE_HZ, start_ns, dur, &raw);
	if (r == 0)
		r = gzip_compress(buf_rptr(&raw), buf_avail(&raw), out);
	buf_free(&raw);
	return r;
}

/* ---------------- protobuf writer ---------------- */

static int pb_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		tmp[n++] = c | (v ? 0x80 : 0);
	} while (v);
	return buf_put(b, tmp, n);
}

static int pb_key(struct buf *b, unsigned field, unsigned wire) { return pb_varint(b, ((uint64_t)field << 3) | wire); }

/* A varint field; proto3 zero values are omitted. */
static int pb_uint(struct buf *b, unsigned field, uint64_t v)
{
	if (v == 0)
		return 0;
	int r = pb_key(b, field, 0);
	return r ? r : pb_varint(b, v);
}

static int pb_bytes(struct buf *b, unsigned field, const void *p, size_t n)
{
	int r = pb_key(b, field, 2);
	if (r == 0)
		r = pb_varint(b, n);
	if (r == 0 && n)
		r = buf_put(b, p, n);
	return r;
}

static int pb_msg(struct buf *b, unsigned field, const struct buf *m)
{
	return pb_bytes(b, field, buf_rptr(m), buf_avail(m));
}

/* ---------------- encoding ---------------- */

struct strtab {
	const char *s[4096];
	size_t n;
};

static int64_t str_id(struct strtab *t, const char *s)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->s[i], s) == 0)
			return (int64_t)i;
	if (t->n >= sizeof(t->s) / sizeof(t->s[0]))
		return 0; /* "" */
	t->s[t->n] = s;
	return (int64_t)t->n++;
}

struct mapping {
	uint64_t start, limit, offset;
	char path[256];
};

#define MAX_MAPPINGS 256

static size_t parse_maps(const char *text, struct mapping *m, size_t max)
{
	size_t n = 0;
	const char *line = text;
	while (line && *line && n < max) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char tmp[512];
		if (len >= sizeof(tmp))
			len = sizeof(tmp) - 1;
		memcpy(tmp, line, len);
		tmp[len] = 0;
		unsigned long lo, hi, off;
		char perms[8];
		int pathpos = 0;
		if (sscanf(tmp, "%lx-%lx %7s %lx %*s %*s %n", &lo, &hi, perms, &off, &pathpos) >= 4 &&
		    perms[0] && perms[1] && perms[2] == 'x') {
			m[n].start = lo;
			m[n].limit = hi;
			m[n].offset = off;
			snprintf(m[n].path, sizeof(m[n].path), "%s", pathpos > 0 ? tmp + pathpos : "");
			n++;
		}
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

static int cmp_uptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

/* ---------------- self-symbolization ----------------
 * When the running binary still has its .symtab (the full sshbox binary
 * is not stripped), locations get Function entries so the profile reads
 * well without the binary at hand. The load bias comes from the address
 * of a known function (this one's caller) against its symbol value. */

struct sym {
	uintptr_t addr;
	uintptr_t size;
	const char *name;
	uint64_t fid; /* function id once used, 0 before */
};

struct symtab {
	struct sym *v;
	size_t n;
	char *strs;
};

static int cmp_sym(const void *a, const void *b)
{
	uintptr_t x = ((const struct sym *)a)->addr, y = ((const struct sym *)b)->addr;
	return x < y ? -1 : x > y;
}

static int pread_full(int fd, void *p, size_t n, off_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(fd, (char *)p + done, n - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

static void symtab_free(struct symtab *t)
{
	free(t->v);
	free(t->strs);
	memset(t, 0, sizeof(*t));
}

static void load_self_symbols(struct symtab *t)
{
	memset(t, 0, sizeof(*t));
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	Elf64_Sym *syms = NULL;
	if (pread_full(fd, &eh, sizeof(eh), 0) != 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
	    eh.e_shnum > 4096)
		goto out;
	sh = calloc(eh.e_shnum, sizeof(*sh));
	if (!sh || pread_full(fd, sh, eh.e_shnum * sizeof(*sh), (off_t)eh.e_shoff) != 0)
		goto out;
	const Elf64_Shdr *ss = NULL, *strsec = NULL;
	for (size_t i = 0; i < eh.e_shnum; i++)
		if (sh[i].sh_type == SHT_SYMTAB && sh[i].sh_link < eh.e_shnum) {
			ss = &sh[i];
			strsec = &sh[sh[i].sh_link];
		}
	if (!ss || ss->sh_size > (32u << 20) || strsec->sh_size > (32u << 20) || strsec->sh_size == 0 ||
	    ss->sh_entsize != sizeof(Elf64_Sym))
		goto out;
	size_t nsyms = ss->sh_size / sizeof(Elf64_Sym);
	syms = malloc(ss->sh_size ? ss->sh_size : 1);
	t->strs = malloc(strsec->sh_size + 1);
	t->v = calloc(nsyms ? nsyms : 1, sizeof(*t->v));
	if (!syms || !t->strs || !t->v || pread_full(fd, syms, ss->sh_size, (off_t)ss->sh_offset) != 0 ||
	    pread_full(fd, t->strs, strsec->sh_size, (off_t)strsec->sh_offset) != 0)
		goto fail;
	t->strs[strsec->sh_size] = 0;
	uintptr_t anchor = 0;
	for (size_t i = 0; i < nsyms; i++) {
		if (ELF64_ST_TYPE(syms[i].st_info) != STT_FUNC || syms[i].st_value == 0 ||
		    syms[i].st_name >= strsec->sh_size)
			continue;
		const char *name = t->strs + syms[i].st_name;
		if (strcmp(name, "profile_encode") == 0)
			anchor = (uintptr_t)syms[i].st_value;
		t->v[t->n].addr = (uintptr_t)syms[i].st_value;
		t->v[t->n].size = (uintptr_t)syms[i].st_size;
		t->v[t->n].name = name;
		t->n++;
	}
	if (!anchor)
		goto fail;
	uintptr_t bias = (uintptr_t)&profile_encode - anchor;
	for (size_t i = 0; i < t->n; i++)
		t->v[i].addr += bias;
	qsort(t->v, t->n, sizeof(*t->v), cmp_sym);
	goto out;
fail:
	symtab_free(t);
out:
	free(syms);
	free(sh);
	close(fd);
}

static struct sym *sym_lookup(struct symtab *t, uintptr_t a)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	struct sym *s = &t->v[lo - 1];
	return a < s->addr + (s->size ? s->size : 1) ? s : NULL;
}

static char *read_self_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *t = malloc(cap);
	while (t) {
		if (len + 1 >= cap) {
			if (cap >= (1u << 22))
				break;
			char *nt = realloc(t, cap * 2);
			if (!nt)
				break;
			t = nt;
			cap *= 2;
		}
		ssize_t r = read(fd, t + len, cap - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (t)
		t[len] = 0;
	return t;
}

/* The address pprof shows for a frame: the PC itself for the leaf, the
 * call instruction (return address - 1) for callers. */
static uintptr_t frame_addr(const struct profile_sample *s, uint32_t k) { return k == 0 ? s->pc[0] : s->pc[k] - 1; }

/* What the message parts below share while one profile is encoded. */
struct encoder {
	struct buf *out; /* the Profile message */
	struct buf m;	 /* scratch for one sub-message */
	struct strtab *st;
	struct mapping *maps;
	size_t nmaps;
	uintptr_t *addrs; /* unique frame addresses, sorted: location id = index + 1 */
	size_t nu;
	struct symtab syt;
	uint64_t nfuncs; /* function ids handed out */
	int64_t s_cpu, s_ns;
};

/* Every frame address of the samples, sorted, each once (into e->addrs). */
static void unique_addresses(struct encoder *e, const struct profile_sample *s, size_t n)
{
	size_t na = 0;
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < s[i].depth && k < PROFILE_MAX_DEPTH; k++)
			e->addrs[na++] = frame_addr(&s[i], k);
	qsort(e->addrs, na, sizeof(uintptr_t), cmp_uptr);
	size_t nu = 0;
	for (size_t i = 0; i < na; i++)
		if (nu == 0 || e->addrs[nu - 1] != e->addrs[i])
			e->addrs[nu++] = e->addrs[i];
	e->nu = nu;
}

/* A ValueType sub-message {type, unit} (string ids) as field `field`. */
static int encode_value_type(struct encoder *e, uint32_t field, int64_t type, int64_t unit)
{
	int r;
	buf_reset(&e->m);
	if ((r = pb_uint(&e->m, 1, (uint64_t)type)) || (r = pb_uint(&e->m, 2, (uint64_t)unit)))
		return r;
	return pb_msg(e->out, field, &e->m);
}

/* sample = 2: location ids (packed), values [1, period_ns] */
static int encode_samples(struct encoder *e, const struct profile_sample *s, size_t n, uint64_t period_ns)
{
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		struct buf packed;
		uint8_t pk[PROFILE_MAX_DEPTH * 10];
		buf_reset(&e->m);
		buf_wrap(&packed, pk, sizeof(pk));
		for (uint32_t k = 0; r == 0 && k < s[i].depth && k < PROFILE_MAX_DEPTH; k++) {
			uintptr_t a = frame_addr(&s[i], k);
			uintptr_t *f = bsearch(&a, e->addrs, e->nu, sizeof(uintptr_t), cmp_uptr);
			r = pb_varint(&packed, f ? (uint64_t)(f - e->addrs) + 1 : 0);
		}
		if (r == 0 && buf_avail(&packed))
			r = pb_bytes(&e->m, 1, buf_rptr(&packed), buf_avail(&packed));
		uint8_t vals[24];
		struct buf vb;
		buf_wrap(&vb, vals, sizeof(vals));
		if (r == 0)
			r = pb_varint(&vb, 1);
		if (r == 0)
			r = pb_varint(&vb, period_ns);
		if (r == 0)
			r = pb_bytes(&e->m, 2, buf_rptr(&vb), buf_avail(&vb));
		if (r == 0)
			r = pb_msg(e->out, 2, &e->m);
		if (r)
			return r;
	}
	return 0;
}

/* mapping = 3 */
static int encode_mappings(struct encoder *e)
{
	int r;
	for (size_t i = 0; i < e->nmaps; i++) {
		const struct mapping *mp = &e->maps[i];
		buf_reset(&e->m);
		if ((r = pb_uint(&e->m, 1, i + 1)) || (r = pb_uint(&e->m, 2, mp->start)) ||
		    (r = pb_uint(&e->m, 3, mp->limit)) || (r = pb_uint(&e->m, 4, mp->offset)) ||
		    (r = pb_uint(&e->m, 5, (uint64_t)str_id(e->st, mp->path))))
			return r;
		int has_fn = 0;
		for (size_t k = 0; e->syt.n && !has_fn && k < e->nu; k++)
			has_fn = e->addrs[k] >= mp->start && e->addrs[k] < mp->limit &&
				 sym_lookup(&e->syt, e->addrs[k]);
		if ((r = pb_uint(&e->m, 7, (uint64_t)has_fn)) || (r = pb_msg(e->out, 3, &e->m)))
			return r;
	}
	return 0;
}

/* location = 4; hands out function ids to the symbols it uses */
static int encode_locations(struct encoder *e)
{
	int r;
	for (size_t i = 0; i < e->nu; i++) {
		uint64_t mid = 0;
		for (size_t j = 0; j < e->nmaps; j++)
			if (e->addrs[i] >= e->maps[j].start && e->addrs[i] < e->maps[j].limit)
				mid = j + 1;
		buf_reset(&e->m);
		if ((r = pb_uint(&e->m, 1, i + 1)) || (r = pb_uint(&e->m, 2, mid)) ||
		    (r = pb_uint(&e->m, 3, e->addrs[i])))
			return r;
		struct sym *fn = e->syt.n ? sym_lookup(&e->syt, e->addrs[i]) : NULL;
		if (fn) {
			if (!fn->fid)
				fn->fid = ++e->nfuncs;
			uint8_t lb[16];
			struct buf line;
			buf_wrap(&line, lb, sizeof(lb));
			if ((r = pb_uint(&line, 1, fn->fid)) ||
			    (r = pb_bytes(&e->m, 4, buf_rptr(&line), buf_avail(&line))))
				return r;
		}
		if ((r = pb_msg(e->out, 4, &e->m)))
			return r;
	}
	return 0;
}

/* function = 5: the symbols used by the locations */
static int encode_functions(struct encoder *e)
{
	int r;
	for (size_t i = 0; e->nfuncs && i < e->syt.n; i++) {
		if (!e->syt.v[i].fid)
			continue;
		int64_t nm = str_id(e->st, e->syt.v[i].name);
		buf_reset(&e->m);
		if ((r = pb_uint(&e->m, 1, e->syt.v[i].fid)) || (r = pb_uint(&e->m, 2, (uint64_t)nm)) ||
		    (r = pb_uint(&e->m, 3, (uint64_t)nm)) || (r = pb_msg(e->out, 5, &e->m)))
			return r;
	}
	return 0;
}

/* string_table = 6 (entry 0 must be ""), then time_nanos = 9,
 * duration_nanos = 10, period_type = 11, period = 12, comment = 13 */
static int encode_trailer(struct encoder *e, uint64_t period_ns, int64_t time_nanos, int64_t duration_nanos,
			  int64_t s_comment)
{
	int r;
	for (size_t i = 0; i < e->st->n; i++)
		if ((r = pb_bytes(e->out, 6, e->st->s[i], strlen(e->st->s[i]))))
			return r;
	if ((r = pb_uint(e->out, 9, (uint64_t)time_nanos)) ||
	    (r = pb_uint(e->out, 10, (uint64_t)duration_nanos)) ||
	    (r = encode_value_type(e, 11, e->s_cpu, e->s_ns)))
		return r;
	if ((r = pb_uint(e->out, 12, period_ns)) || (r = pb_uint(e->out, 13, (uint64_t)s_comment)))
		return r;
	return 0;
}

/* pprof takes the first mapping as the main binary: put ours first. */
static void own_mapping_first(struct mapping *maps, size_t nmaps)
{
	for (size_t j = 1; j < nmaps; j++) {
		uintptr_t self = (uintptr_t)&profile_encode;
		if (self >= maps[j].start && self < maps[j].limit) {
			struct mapping tmp = maps[0];
			maps[0] = maps[j];
			maps[j] = tmp;
		}
	}
}

int profile_encode(const struct profile_sample *s, size_t n, const char *maps_text, uint64_t period_ns,
		   int64_t time_nanos, int64_t duration_nanos, struct buf *out)
{
	int r = 0;
	char *own_maps = NULL;
	struct encoder e;
	memset(&e, 0, sizeof(e));
	e.out = out;
	if (!maps_text) {
		/* The live process: its own maps and symbols. */
		own_maps = read_self_maps();
		maps_text = own_maps ? own_maps : "";
		load_self_symbols(&e.syt);
	}
	e.maps = calloc(MAX_MAPPINGS, sizeof(*e.maps));
	e.st = calloc(1, sizeof(*e.st));
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += s[i].depth < PROFILE_MAX_DEPTH ? s[i].depth : PROFILE_MAX_DEPTH;
	e.addrs = malloc((total ? total : 1) * sizeof(uintptr_t));
	int m_ok = buf_init(&e.m, 1u << 20) == 0;
	if (!e.maps || !e.st || !e.addrs || !m_ok) {
		r = BUF_ERR_NOMEM;
		goto out;
	}
	e.nmaps = parse_maps(maps_text, e.maps, MAX_MAPPINGS);
	if (own_maps)
		own_mapping_first(e.maps, e.nmaps);
	/* The string ids are handed out in this order (then the mapping
	 * paths, then the function names). */
	str_id(e.st, "");
	int64_t s_samples = str_id(e.st, "samples"), s_count = str_id(e.st, "count");
	e.s_cpu = str_id(e.st, "cpu");
	e.s_ns = str_id(e.st, "nanoseconds");
	int64_t s_comment = str_id(e.st, "sshbox CPU profile (SIGPROF sampling, frame-pointer unwinding)");
	unique_addresses(&e, s, n);

	/* sample_type = 1: [samples/count, cpu/nanoseconds] */
	if ((r = encode_value_type(&e, 1, s_samples, s_count)) ||
	    (r = encode_value_type(&e, 1, e.s_cpu, e.s_ns)) || (r = encode_samples(&e, s, n, period_ns)) ||
	    (r = encode_mappings(&e)) || (r = encode_locations(&e)) || (r = encode_functions(&e)))
		goto out;
	r = encode_trailer(&e, period_ns, time_nanos, duration_nanos, s_comment);
out:
	if (m_ok)
		buf_free(&e.m);
	free(e.addrs);
	free(e.st);
	free(e.maps);
	free(own_maps);
	symtab_free(&e.syt);
	return r;
}

int gzip_compress(const void *in, size_t n, struct buf *out)
{
#if CONFIG_ZLIB
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return BUF_ERR_NOMEM;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	int r = 0, zr = Z_OK;
	while (zr != Z_STREAM_END) {
		uint8_t *p;
		size_t chunk = 16384;
		r = buf_reserve(out, chunk, &p);
		if (r)
			break;
		z.next_out = p;
		z.avail_out = (uInt)chunk;
		zr = deflate(&z, Z_FINISH);
		(void)buf_consume_end(out, z.avail_out);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			r = BUF_ERR_FORMAT;
			break;
		}
	}
	deflateEnd(&z);
	return r;
#else
	(void)in;
	(void)n;
	(void)out;
	return BUF_ERR_FORMAT;
#endif
}
