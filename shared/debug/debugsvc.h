/* debugsvc: the debug service of the sshd listener (Teleport RFD 0167
 * style): HTTP/1.1 over the unix socket <DataDirectory>/debug.sock.
 *
 * It runs in its own threads inside the LISTENER process (one accept
 * thread, one short-lived thread per client, at most DEBUGSVC_MAX_CLIENTS),
 * with every signal blocked in those threads, so it never blocks the
 * listener's poll loop and the CPU profiler samples the listener's main
 * thread. Connection processes forked by the listener do not run it; they
 * share the log level page (log_share_level) and the metrics page
 * (metrics_init), so PUT /log-level reaches them at once.
 *
 * Listener integration (C):
 *     log_share_level(); metrics_init();          // before the first fork
 *     debugsvc_start(&cfg);                       // after config is final and after
 *                                                 // daemonizing (it starts threads), before
 *                                                 // forking connections; never fatal
 *     ... in each forked connection child: debugsvc_after_fork_child();
 *     ... at shutdown (listener only): debugsvc_stop();
 *
 * Security: every client's SO_PEERCRED is checked: uid 0 and the daemon's
 * own uid are always allowed, plus DebugAllowUsers (names or numeric uids)
 * and members of DebugAllowGroups (primary or supplementary group). Others
 * get 403 and a log line. Socket mode 0600 (owner: the daemon's user) when
 * both lists are empty; with an allow-list 0666, and the DataDirectory gets
 * o+x, so that listed users can connect and the peer check alone decides.
 *
 * Endpoints: GET/PUT /log-level, GET /readyz, GET /metrics, GET /sessions,
 * GET /debug/pprof/profile?seconds=N[&pid=P] (N <= PROFILE_MAX_SECONDS, one
 * at a time, DEBUGSVC_PROFILE_INTERVAL_MS between profiles, else 429; P a
 * connection process listed in /sessions, default the listener),
 * GET /debug/pprof/heap, /debug/pprof/cmdline, /debug/status, /debug/fds.
 */
#ifndef SSHBOX_DEBUGSVC_H
#define SSHBOX_DEBUGSVC_H

#include <stddef.h>
#include <sys/types.h>

struct sshd_config;
struct buf;
struct http_request;

#define DEBUGSVC_SOCKET_NAME "debug.sock"
#define DEBUGSVC_MAX_CLIENTS 8
#define DEBUGSVC_PROFILE_INTERVAL_MS 2000
#define DEBUGSVC_MAX_ALLOW 64

struct debugsvc_opts {
	const char *datadir;                /* socket is datadir/debug.sock */
	const char *const *allow_users;     /* names or numeric uids */
	size_t n_allow_users;
	const char *const *allow_groups;    /* names or numeric gids */
	size_t n_allow_groups;
};

/* Starts the service from the daemon's final config (does nothing but
 * return 0 when DebugService is no). Returns 0 when listening, -1 after
 * logging an error; the caller must keep serving SSH either way. */
int debugsvc_start(const struct sshd_config *cfg);
int debugsvc_start_opts(const struct debugsvc_opts *o);
/* Clients being served right now (each holds one of the
 * DEBUGSVC_MAX_CLIENTS slots until it is answered or times out). */
int debugsvc_active_clients(void);
/* Closes the listening socket in a forked child (no unlink). */
void debugsvc_after_fork_child(void);
/* Stops accepting and unlinks the socket (only in the process that
 * created it). */
void debugsvc_stop(void);
/* The socket path in use, or NULL. */
const char *debugsvc_socket_path(void);

/* Serves one parsed request from a peer uid/gid/pid (the core, exposed
 * for tests and the fuzzer; profile requests block for their duration).
 * Appends a complete HTTP response to out. Returns the status code. */
int debugsvc_serve(const struct http_request *req, pid_t peer_pid, uid_t peer_uid, gid_t peer_gid, int client_fd,
		   struct buf *out);

#endif
