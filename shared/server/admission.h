/* Listener admission control for unauthenticated connections: which
 * accepted connection gets a connection process now, which waits in the
 * listener (an accepted socket without a process), which is dropped.
 *
 * Policy (defended in docs/design.md, "Admission"):
 *  - at most max_running unauthenticated connection processes in total
 *    (MaxStartups full) and per_source_running per source netblock
 *    (PerSourceMaxStartups, PerSourceNetBlockSize);
 *  - a connection that cannot start waits; at most max_waiting wait in total
 *    and per_source_waiting per netblock; beyond its source's waiting share
 *    a connection is dropped (only a flood from one netblock loses
 *    connections);
 *  - when no process slot is free and the waiting room is full, the listener
 *    stops accepting: clients stay in the kernel's listen backlog instead of
 *    being dropped;
 *  - a freed process slot goes to the waiting connection whose netblock has
 *    the fewest running connections (oldest first among equals), so a flood
 *    never delays another source by more than one slot.
 *
 * Pure bookkeeping: no sockets are read; the caller closes fds it is given.
 * All tables are fixed-size (listener memory stays bounded). Not thread-safe.
 */
#ifndef SSHBOX_ADMISSION_H
#define SSHBOX_ADMISSION_H

#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define ADM_MAX_SOURCES 1024 /* netblocks with a running or waiting connection */
#define ADM_MAX_WAITING 512  /* upper bound of the waiting room */

struct adm_limits {
	int max_running;	/* >= 1 */
	int per_source_running; /* >= 1 (callers map "none" to max_running) */
	int max_waiting;	/* 0..ADM_MAX_WAITING */
	int per_source_waiting; /* 0..max_waiting */
	int v4_bits, v6_bits;	/* netblock prefix lengths: 0..32, 0..128 */
	int wait_timeout;	/* seconds a connection may wait; 0 = no limit */
};

enum adm_verdict { ADM_START, ADM_WAIT, ADM_DROP };

struct adm_source {
	uint8_t key[17]; /* family tag + masked address (16 bytes) */
	int running, waiting;
};

struct adm_waiter {
	int fd; /* -1 = free entry */
	int src;
	time_t since;
	uint64_t seq; /* arrival order, for oldest-first */
};

struct admission {
	struct adm_limits lim;
	struct adm_source src[ADM_MAX_SOURCES];
	struct adm_waiter wait[ADM_MAX_WAITING];
	int running, waiting;
	uint64_t seq;
};

/* Clamps the limits into their ranges and empties all tables. */
void adm_init(struct admission *a, const struct adm_limits *lim);

/* The netblock index of a peer address (created with no connections if
 * new), or -1 if the source table is full. Families other than IPv4/IPv6
 * all share one netblock.
 * A source entry lives while it has running or waiting connections; call
 * adm_decide right after and act on its verdict. */
int adm_source(struct admission *a, const struct sockaddr_storage *ss);

/* Verdict for a newly accepted connection from netblock src. */
enum adm_verdict adm_decide(const struct admission *a, int src);

/* A connection process for netblock src started / left the unauthenticated
 * state (authenticated or exited). */
void adm_running_add(struct admission *a, int src);
void adm_running_done(struct admission *a, int src);

/* Puts fd (ADM_WAIT verdict) into the waiting room. -1 if it is full. */
int adm_wait_push(struct admission *a, int src, int fd, time_t now);

/* Takes the next waiting connection that may start now (fairness rule
 * above) into *fd / *src and counts it as running. -1 if none may. */
int adm_wait_pop(struct admission *a, int *fd, int *src);

/* Takes one waiting connection that waited longer than wait_timeout into
 * *fd (removed, not counted as running; the caller closes it). -1 if none. */
int adm_wait_expired(struct admission *a, time_t now, int *fd);

/* 1 while the listener should accept: a process slot is free or the
 * waiting room is not full. */
int adm_accepting(const struct admission *a);

/* Milliseconds until the oldest waiter expires (>= 0), or -1 if none. */
int adm_next_timeout_ms(const struct admission *a, time_t now);

#endif
