/* sshd applet: flags (OpenSSH semantics), the listener and its accept
 * loop (MaxStartups, per-source penalties, SIGHUP re-exec, SIGTERM drain),
 * one forked process per connection running conn_run().
 *
 *   sshbox sshd [-f file] [-D] [-e] [-d] [-p port] [-h hostkey]
 *               [-o Keyword=value] [-t] [-T] [-i]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admission.h"
#include "applets.h"
#include "buildinfo.h"
#include "cipher.h"
#include "config.h"
#include "conn.h"
#include "crypto.h"
#if CONFIG_DEBUG_SERVICE /* shared/debug is not built without it */
#include "debugsvc.h"
#endif
#include "cert.h"
#include "hostkey.h"
#include "keys.h"
#include "krl.h"
#include "log.h"
#include "metrics.h"
#include "spawn.h"
#include "sshd_config.h"
#include "util.h"

#define MAX_LISTEN 16
#define MAX_CHILDREN 1024
#define MAX_PENALTY_SOURCES 1024

/* Per-source penalties (OpenSSH PerSourcePenalties defaults, simplified):
 * seconds added per event, and a source is refused while its accumulated
 * penalty exceeds PENALTY_MIN. */
#define PENALTY_CRASH 90
#define PENALTY_AUTHFAIL 5
#define PENALTY_NOAUTH 1
#define PENALTY_MIN 15
#define PENALTY_MAX 600

/* The kernel caps this at net.core.somaxconn (4096 by default): when no
 * process slot is free and the waiting room is full, new clients wait here
 * instead of being dropped. */
#define LISTEN_BACKLOG 1024
/* descriptors kept free for the listener's own use (logs, debug service,
 * pipes) when sizing the waiting room under RLIMIT_NOFILE */
#define FD_RESERVE 64
/* connections accepted per poll wakeup and listening socket */
#define ACCEPT_BATCH 64

struct child {
	pid_t pid;
	int startup_rfd; /* open while the connection is pre-auth */
	int src;	 /* admission netblock index while startup_rfd is open */
	char addr[64];
};

static struct child children[MAX_CHILDREN];
static int n_children;
static struct admission adm;

/* Listening sockets, closed in every connection process. */
static int lfd[MAX_LISTEN];
static int nl;

struct penalty {
	char addr[64];
	time_t until; /* penalty expiry (wall seconds) */
};
static struct penalty penalties[MAX_PENALTY_SOURCES];

static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_hup, got_term, got_chld;

static void on_signal(int sig)
{
	int e = errno;
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
	if (sig_pipe[1] >= 0) {
		char b = (char)sig;
		ssize_t w = write(sig_pipe[1], &b, 1);
		(void)w;
	}
	errno = e;
}

/* `sshbox sshd --help` (and `sshbox --help sshd`): the flags, on stdout. */
static void help(void)
{
	fputs("usage: sshbox sshd [-46DdeiqTt] [-f config_file] [-h host_key_file] [-o option] [-p port]\n"
	      "  -4 / -6          IPv4 / IPv6 only (AddressFamily)\n"
	      "  -D               do not detach          -d  debug: one connection, DEBUG log, foreground\n"
	      "  -e               log to stderr          -q  quiet (LogLevel QUIET)\n"
	      "  -E log_file      accepted for OpenSSH compatibility and ignored\n"
	      "  -f config_file   default " SSHD_CONFIG_DEFAULT_PATH "\n"
	      "  -h host_key_file host key (ed25519, ecdsa or rsa; added before HostKey lines)\n"
	      "  -i               inetd mode: one connection on stdin/stdout\n"
	      "  -o option        one sshd_config line, e.g. -o PasswordAuthentication=no\n"
	      "  -p port          listen port (Port)\n"
	      "  -t / -T          check the configuration / print the effective one\n"
	      "Keywords and defaults: docs/config.md.\n",
	      stdout);
}

static void usage(void)
{
	fputs("usage: sshbox sshd [-46DdeiqTt] [-f config_file] [-h host_key_file] [-o option] [-p port]\n", stderr);
}

static int penalty_active(const char *addr, time_t now)
{
	for (int i = 0; i < MAX_PENALTY_SOURCES; i++)
		if (penalties[i].addr[0] && strcmp(penalties[i].addr, addr) == 0)
			return penalties[i].until - now > PENALTY_MIN;
	return 0;
}

/* Set from PerSourcePenalties: when off nothing is recorded (or logged). */
static int penalties_enabled = 1;

static void penalty_add(const char *addr, int secs, const char *why)
{
	if (!penalties_enabled)
		return;
	time_t now = time(NULL);
	struct penalty *slot = NULL, *oldest = &penalties[0];
	for (int i = 0; i < MAX_PENALTY_SOURCES; i++) {
		if (penalties[i].addr[0] && strcmp(penalties[i].addr, addr) == 0) {
			slot = &penalties[i];
			break;
		}
		if (!slot && (!penalties[i].addr[0] || penalties[i].until < now))
			slot = &penalties[i], slot->addr[0] = 0;
		if (penalties[i].until < oldest->until)
			oldest = &penalties[i];
	}
	if (!slot)
		slot = oldest;
	if (!slot->addr[0] || strcmp(slot->addr, addr) != 0) {
		snprintf(slot->addr, sizeof(slot->addr), "%s", addr);
		slot->until = now;
	}
	if (slot->until < now)
		slot->until = now;
	slot->until += secs;
	if (slot->until > now + PENALTY_MAX)
		slot->until = now + PENALTY_MAX;
	log_debug("penalty: %s +%ds (%s), total %lds", addr, secs, why, (long)(slot->until - now));
	/* The source is refused only while the accumulated penalty exceeds
	 * PENALTY_MIN: log how long that really is, not the whole penalty. */
	long total = (long)(slot->until - now);
	if (total > PENALTY_MIN)
		log_info("penalty: %s for %s: refusing it for %lds (accumulated penalty %lds, refused above %ds)", why,
			 addr, total - PENALTY_MIN, total, PENALTY_MIN);
}

static int listen_on(const struct sshd_config *cfg, int *fds, int max)
{
	int n = 0;
	for (size_t i = 0; i < cfg->n_listen && n < max; i++) {
		const struct listen_addr *la = &cfg->listen[i];
		struct addrinfo hints, *res = NULL, *ai;
		char port[16];
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		hints.ai_family = cfg->address_family == SSHD_AF_INET    ? AF_INET
				  : cfg->address_family == SSHD_AF_INET6 ? AF_INET6
									 : AF_UNSPEC;
		snprintf(port, sizeof(port), "%d", la->port);
		int g = getaddrinfo(la->host, port, &hints, &res);
		if (g != 0) {
			log_error("bad ListenAddress %s: %s", la->host ? la->host : "*", gai_strerror(g));
			continue;
		}
		for (ai = res; ai && n < max; ai = ai->ai_next) {
			int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
			if (fd < 0)
				continue;
			int one = 1;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (ai->ai_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
			char a[64];
			int p;
			sockaddr_to_str((const struct sockaddr_storage *)ai->ai_addr, a, sizeof(a), &p);
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
				log_error("Bind to port %d on %s failed: %s.", la->port, a, strerror(errno));
				close(fd);
				continue;
			}
			log_info("Server listening on %s port %d.", a, p);
			fds[n++] = fd;
		}
		freeaddrinfo(res);
	}
	return n;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -1;
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	if (mkdir(tmp, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* HostCertificate: each must be a host certificate for one of the host
 * keys; any that is not stops the daemon (a certificate silently not
 * offered would break clients that trust only the CA). Then the algorithms
 * to offer: HostKeyAlgorithms, in its order, that a key can serve. */
static int load_host_certificates(const struct sshd_config *cfg, struct hostkeys *s)
{
	for (size_t i = 0; i < cfg->host_certificates.n; i++) {
		const char *path = cfg->host_certificates.v[i];
		char why[256];
		if (hostkeys_load_certificate(s, path, why, sizeof(why)) != 0) {
			log_error("HostCertificate %s: %s", path, why);
			return -1;
		}
		log_info("loaded host certificate %s", path);
	}
	if (hostkeys_select(s, cfg->host_key_algorithms) == 0) {
		log_error("no host key can serve any of HostKeyAlgorithms %s", cfg->host_key_algorithms);
		return -1;
	}
	log_debug("host key algorithms offered: %s", hostkeys_algs(s));
	return 0;
}

/* RevokedKeys is parsed once here, so connection processes inherit the
 * tables instead of each parsing the file (they re-read it only when it
 * changes). A bad file is not fatal: every key is refused until it is fixed. */
static void preload_revoked_keys(const struct sshd_config *cfg)
{
	char why[256];
	if (cfg->revoked_keys && !krl_cached(cfg->revoked_keys, why, sizeof(why)))
		log_error("RevokedKeys %s unusable (every public key will be refused): %s", cfg->revoked_keys, why);
}

/* Every HostKey, as OpenSSH: a file that does not load is logged (one
 * line, by hostkey_load) and skipped; a second key of a type already
 * loaded is ignored; no key at all stops the daemon. The default key
 * (DataDirectory/ssh_host_ed25519_key) is created when missing, and with
 * CreateHostKeys yes every missing HostKey file (type from its name). */
static int load_hostkeys(const struct sshd_config *cfg, struct hostkeys *s)
{
	char def[4096];
	snprintf(def, sizeof(def), "%s/ssh_host_ed25519_key", cfg->data_directory ? cfg->data_directory : ".");
	for (size_t i = 0; i < cfg->host_keys.n; i++) {
		const char *path = cfg->host_keys.v[i];
		int is_default = strcmp(path, def) == 0, created = 0, r;
		struct hostkey hk;
		if (is_default && cfg->data_directory && mkdir_p(cfg->data_directory, 0700) != 0) {
			log_error("cannot create DataDirectory %s: %s", cfg->data_directory, strerror(errno));
			return -1;
		}
		if (is_default || cfg->create_host_keys == 1)
			r = hostkey_load_or_create(path, &hk, &created);
		else
			r = hostkey_load(path, &hk);
		if (r != 0)
			continue;
		struct buf b;
		char fp[64];
		buf_init(&b, 4096);
		hostkey_pub_blob(&hk, &b);
		pubkey_fingerprint(buf_rptr(&b), buf_avail(&b), fp);
		buf_free(&b);
		if (hostkeys_add(s, &hk) != 0)
			log_warn("host key %s: a %s host key is already loaded; this one is ignored", path,
				 key_type_name(hk.type));
		else
			log_info("%s host key %s: %s %s", created ? "generated" : "loaded", path,
				 key_type_name(hk.type), fp);
		hostkey_wipe(&hk);
	}
	if (s->n == 0) {
		log_error("no host keys available");
		return -1;
	}
	return 0;
}

struct opts {
	const char *config_file;
	int explicit_f;
	int no_detach, log_stderr, debug, test, dump, inetd, quiet;
	char **argv;
};

#define ENV_AUTHORIZED_KEYS "SSHBOX_AUTHORIZED_KEYS"
#define ENV_AUTHORIZED_KEYS_MAX (64 * 1024)

/* Containers: SSHBOX_AUTHORIZED_KEYS (authorized_keys lines) is written to
 * DataDirectory/authorized_keys/USER for the daemon's own user (root in the
 * image), replacing the file atomically; the image's AuthorizedKeysFile
 * lists that path. The variable is then removed from the environment, so
 * no child sees it. 0 when unset or written, -1 (logged) on error. */
static int env_authorized_keys(const struct sshd_config *cfg)
{
	const char *keys = getenv(ENV_AUTHORIZED_KEYS);
	if (!keys)
		return 0;
	size_t len = strnlen(keys, ENV_AUTHORIZED_KEYS_MAX + 1);
	struct passwd *pw = getpwuid(geteuid());
	char dir[PATH_MAX], path[PATH_MAX + 64], tmp[PATH_MAX + 80];
	int r = -1;
	if (len > ENV_AUTHORIZED_KEYS_MAX || !pw || !cfg->data_directory) {
		log_error("%s: %s", ENV_AUTHORIZED_KEYS,
			  len > ENV_AUTHORIZED_KEYS_MAX ? "longer than 64 KiB"
			  : !pw				 ? "the daemon's user has no passwd entry"
							 : "no DataDirectory");
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/authorized_keys", cfg->data_directory);
	snprintf(path, sizeof(path), "%s/%s", dir, pw->pw_name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (mkdir_p(dir, 0700) != 0) {
		log_error("%s: cannot create %s: %s", ENV_AUTHORIZED_KEYS, dir, strerror(errno));
		goto out;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write_full(fd, keys, len) != 0 || (len && keys[len - 1] != '\n' && write_full(fd, "\n", 1)) ||
	    fsync(fd) != 0) {
		log_error("%s: cannot write %s: %s", ENV_AUTHORIZED_KEYS, tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		log_error("%s: rename to %s: %s", ENV_AUTHORIZED_KEYS, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	log_info("authorized keys for %s from %s written to %s", pw->pw_name, ENV_AUTHORIZED_KEYS, path);
	r = 0;
out:
	unsetenv(ENV_AUTHORIZED_KEYS);
	return r;
}

/* Parses flags and loads the config into cfg. Exits on errors (255). */
static int load_config(struct opts *o, int argc, char **argv, struct sshd_config *cfg)
{
	char err[512];
	int ocount = 0;
	sshd_config_init(cfg);
	optind = 1;
	int ch;
	while ((ch = getopt(argc, argv, "46f:Ddeiqp:h:o:tTE:")) != -1) {
		switch (ch) {
		case '4':
			sshd_config_option(cfg, "AddressFamily inet", ++ocount, err, sizeof(err));
			break;
		case '6':
			sshd_config_option(cfg, "AddressFamily inet6", ++ocount, err, sizeof(err));
			break;
		case 'f':
			o->config_file = optarg;
			o->explicit_f = 1;
			break;
		case 'D':
			o->no_detach = 1;
			break;
		case 'd':
			o->debug = 1;
			o->no_detach = 1;
			o->log_stderr = 1;
			break;
		case 'e':
			o->log_stderr = 1;
			break;
		case 'i':
			o->inetd = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 't':
			o->test = 1;
			break;
		case 'T':
			o->dump = 1;
			break;
		case 'E':
			break;
		case 'p':
			if (sshd_config_cmdline_port(cfg, optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "%s\n", err);
				exit(255);
			}
			break;
		case 'h':
			if (sshd_config_cmdline_hostkey(cfg, optarg) < 0) {
				fprintf(stderr, "bad host key path %s\n", optarg);
				exit(255);
			}
			break;
		case 'o':
			if (sshd_config_option(cfg, optarg, ++ocount, err, sizeof(err)) < 0) {
				fprintf(stderr, "%s\n", err);
				exit(255);
			}
			break;
		default:
			usage();
			exit(255);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "Extra argument %s.\n", argv[optind]);
		exit(255);
	}
	if (!o->config_file)
		o->config_file = SSHD_CONFIG_DEFAULT_PATH;
	if (sshd_config_load(cfg, o->config_file, o->explicit_f, err, sizeof(err)) < 0 ||
	    sshd_config_finalize(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		exit(255);
	}
	return 0;
}

/* The connection process of child slot c left the unauthenticated state
 * (closed its startup pipe, or exited). */
static void startup_done(struct child *c)
{
	if (c->startup_rfd < 0)
		return;
	close(c->startup_rfd);
	c->startup_rfd = -1;
	adm_running_done(&adm, c->src);
}

static void reap(void)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int i = 0; i < MAX_CHILDREN; i++) {
			struct child *c = &children[i];
			if (c->pid != pid)
				continue;
			startup_done(c);
			if (WIFSIGNALED(st)) {
				log_warn("connection process %d from %s killed by signal %d", (int)pid, c->addr,
					 WTERMSIG(st));
				penalty_add(c->addr, PENALTY_CRASH, "crash");
			} else if (WIFEXITED(st) && WEXITSTATUS(st) == CONN_EXIT_AUTH_FAILED) {
				penalty_add(c->addr, PENALTY_AUTHFAIL, "authentication failure");
			} else if (WIFEXITED(st) && WEXITSTATUS(st) == CONN_EXIT_NO_AUTH) {
				penalty_add(c->addr, PENALTY_NOAUTH, "no authentication");
			}
			metrics_conn_unregister(pid);
			metrics_gauge_add(M_CONN_ACTIVE, -1);
			c->pid = 0;
			n_children--;
			break;
		}
	}
}

/* Admission limits from the config (see shared/server/admission.h). The
 * waiting room holds one descriptor per waiting connection: it is sized to
 * fit under RLIMIT_NOFILE next to the startup pipes and a reserve. */
static void admission_setup(const struct sshd_config *cfg)
{
	struct rlimit rl;
	int full = cfg->max_startups.full > 0 ? cfg->max_startups.full : MAX_CHILDREN;
	if (full > MAX_CHILDREN)
		full = MAX_CHILDREN;
	long budget = ADM_MAX_WAITING;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		budget = (long)rl.rlim_cur - FD_RESERVE - full;
	if (budget > ADM_MAX_WAITING)
		budget = ADM_MAX_WAITING;
	if (budget < 0)
		budget = 0;
	int per_source = cfg->per_source_max_startups > 0 ? cfg->per_source_max_startups : full;
	struct adm_limits lim = {
	    .max_running = full,
	    .per_source_running = per_source,
	    .max_waiting = (int)budget,
	    /* a netblock may queue up to MaxStartups full (at most half the
	     * room) on top of its running share; beyond that it is dropped */
	    .per_source_waiting = full < budget / 2 ? full : (int)budget / 2,
	    .v4_bits = cfg->per_source_netblock_v4,
	    .v6_bits = cfg->per_source_netblock_v6,
	    .wait_timeout = cfg->login_grace_time,
	};
	adm_init(&adm, &lim);
	log_debug("admission: %d unauthenticated processes, %d per source (/%d, /%d), waiting room %d, %d "
		  "per source",
		  adm.lim.max_running, adm.lim.per_source_running, adm.lim.v4_bits, adm.lim.v6_bits,
		  adm.lim.max_waiting, adm.lim.per_source_waiting);
}

static struct hostkeys hostkeys;

static int run_one(int sock, const struct sshd_config *cfg)
{
	log_set_prefix(NULL);
	int r = conn_run(sock, cfg, &hostkeys);
	hostkeys_wipe(&hostkeys);
	return r;
}

static void close_listeners(void)
{
	for (int i = 0; i < nl; i++)
		close(lfd[i]);
	nl = 0;
}

/* Forks the connection process for accepted socket s (netblock src,
 * already counted as running). Closes s in the listener. */
static void start_connection(int s, int src, const struct sshd_config *cfg)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[64] = "?";
	int port = 0, slot = -1, sp[2];
	if (getpeername(s, (struct sockaddr *)&ss, &sl) == 0)
		sockaddr_to_str(&ss, addr, sizeof(addr), &port);
	for (int k = 0; k < MAX_CHILDREN && slot < 0; k++)
		if (!children[k].pid)
			slot = k;
	if (slot < 0 || pipe2(sp, O_CLOEXEC) != 0) {
		log_warn("cannot start a connection process for %s (%s)", addr,
			 slot < 0 ? "too many connections" : strerror(errno));
		goto fail;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		goto fail;
	}
	if (pid == 0) {
		close(sp[0]);
		close_listeners();
		for (int k = 0; k < MAX_CHILDREN; k++)
			if (children[k].startup_rfd >= 0)
				close(children[k].startup_rfd);
		for (int k = 0; k < ADM_MAX_WAITING; k++)
			if (adm.wait[k].fd >= 0)
				close(adm.wait[k].fd);
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		sig_pipe[0] = sig_pipe[1] = -1;
#if CONFIG_DEBUG_SERVICE
		if (cfg->debug_service)
			debugsvc_after_fork_child();
#endif
		signal(SIGHUP, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		conn_set_startup_fd(sp[1]);
		int r = conn_run(s, cfg, &hostkeys);
		hostkeys_wipe(&hostkeys);
		_exit(r);
	}
	close(sp[1]);
	close(s);
	children[slot] = (struct child){.pid = pid, .startup_rfd = sp[0], .src = src};
	snprintf(children[slot].addr, sizeof(children[slot].addr), "%s", addr);
	n_children++;
	metrics_gauge_add(M_CONN_ACTIVE, 1);
	return;
fail:
	metrics_inc(M_CONN_REFUSED);
	adm_running_done(&adm, src);
	close(s);
}

/* Starts waiting connections while process slots are free; drops the ones
 * that waited longer than LoginGraceTime. */
static void serve_waiting(const struct sshd_config *cfg)
{
	int fd, src;
	while (n_children < MAX_CHILDREN && adm_wait_pop(&adm, &fd, &src) == 0)
		start_connection(fd, src, cfg);
	time_t now = time(NULL);
	while (adm_wait_expired(&adm, now, &fd) == 0) {
		log_info("drop waiting connection: no process slot within LoginGraceTime (%ds)",
			 cfg->login_grace_time);
		metrics_inc(M_CONN_REFUSED);
		close(fd);
	}
}

/* Accepts up to ACCEPT_BATCH connections from listening socket fd and
 * starts, queues or drops each (admission.h). Returns 1 if -d asked to
 * serve the connection in this process and it has ended (*rc set). */
static int accept_batch(int fd, const struct sshd_config *cfg, const struct opts *o, int *rc)
{
	static unsigned long conn_no;
	for (int b = 0; b < ACCEPT_BATCH && adm_accepting(&adm) && n_children < MAX_CHILDREN; b++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int s = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (s < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* out of descriptors/memory: do not spin on a readable socket */
				log_warn("accept: %s", strerror(errno));
				usleep(100000);
			}
			return 0;
		}
		char addr[64];
		int port;
		sockaddr_to_str(&ss, addr, sizeof(addr), &port);
		conn_no++;
		metrics_inc(M_CONN_ACCEPTED);
		if (cfg->per_source_penalties && penalty_active(addr, time(NULL))) {
			log_info("drop connection #%lu from [%s]:%d: penalty: source is penalised", conn_no,
				 addr, port);
			metrics_inc(M_PENALTIES);
			close(s);
			continue;
		}
		if (o->debug) {
			close_listeners();
			*rc = run_one(s, cfg) == 3 ? 255 : 0;
			return 1;
		}
		int src = adm_source(&adm, &ss);
		switch (adm_decide(&adm, src)) {
		case ADM_START:
			adm_running_add(&adm, src);
			start_connection(s, src, cfg);
			break;
		case ADM_WAIT:
			if (adm_wait_push(&adm, src, s, time(NULL)) == 0) {
				log_debug("connection #%lu from [%s]:%d waits for a startup slot", conn_no,
					  addr, port);
				break;
			}
			/* cannot happen after ADM_WAIT, but never leak s: drop it */
			/* fall through */
		case ADM_DROP:
			log_info("drop connection #%lu from [%s]:%d: startups %d/%d, its source %d running + "
				 "%d waiting",
				 conn_no, addr, port, adm.running, adm.lim.max_running,
				 src >= 0 ? adm.src[src].running : 0, src >= 0 ? adm.src[src].waiting : 0);
			metrics_inc(M_CONN_REFUSED);
			close(s);
			break;
		}
	}
	return 0;
}

/* SIGHUP: validates the new config in a child, then re-executes. Returns
 * only if the new config is invalid (or exec failed: *fatal set). */
static void handle_hup(char **argv, const struct sshd_config *cfg, int *fatal)
{
	static struct sshd_config test;
	struct opts o2;
	memset(&o2, 0, sizeof(o2));
	pid_t tp = fork();
	if (tp == 0) {
		int dn = open_empty_fd(NULL);
		if (dn >= 0)
			dup2(dn, 1);
		int argc = 0;
		while (argv[argc])
			argc++;
		load_config(&o2, argc, argv, &test);
		_exit(0);
	}
	int st = 1;
	if (tp > 0)
		while (waitpid(tp, &st, 0) < 0 && errno == EINTR)
			;
	if (tp > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		log_info("Received SIGHUP; restarting.");
		close_listeners();
#if CONFIG_DEBUG_SERVICE
		if (cfg->debug_service)
			debugsvc_stop();
#endif
		setenv("SSHBOX_SSHD_REEXEC", "1", 1);
		execv("/proc/self/exe", argv); /* argv[0] is "sshd": the dispatcher picks the applet */
		log_error("re-exec failed: %s", strerror(errno));
		*fatal = 1;
		return;
	}
	log_error("SIGHUP: new configuration is invalid; keeping the old one");
}

/* Builds the poll set: the signal pipe, the listening sockets while the
 * listener accepts, the startup pipes. *nfirst = index of the first pipe. */
static int build_pollset(struct pollfd *pfds, int *pidx, int *nfirst)
{
	int n = 0;
	pfds[n++] = (struct pollfd){.fd = sig_pipe[0], .events = POLLIN};
	if (adm_accepting(&adm) && n_children < MAX_CHILDREN)
		for (int i = 0; i < nl; i++)
			pfds[n++] = (struct pollfd){.fd = lfd[i], .events = POLLIN};
	*nfirst = n;
	for (int k = 0; k < MAX_CHILDREN; k++) {
		if (children[k].pid && children[k].startup_rfd >= 0) {
			pidx[n] = k;
			pfds[n++] = (struct pollfd){.fd = children[k].startup_rfd, .events = POLLIN};
		}
	}
	return n;
}

/* The listener's loop: signals, startup pipes, accepting, the waiting room. */
static int serve(const struct sshd_config *cfg, const struct opts *o, char **argv)
{
	static struct pollfd pfds[MAX_LISTEN + 1 + MAX_CHILDREN];
	static int pidx[MAX_LISTEN + 1 + MAX_CHILDREN];
	int draining = 0;
	for (;;) {
		if (got_chld) {
			got_chld = 0;
			reap();
		}
		if (got_term && !draining) {
			log_info("Received signal; terminating (no new connections; %d open continue).",
				 n_children);
			close_listeners();
#if CONFIG_DEBUG_SERVICE
			if (cfg->debug_service)
				debugsvc_stop();
#endif
			draining = 1;
		}
		if (draining && n_children == 0)
			break;
		if (got_hup) {
			int fatal = 0;
			got_hup = 0;
			handle_hup(argv, cfg, &fatal);
			if (fatal)
				return 255;
		}
		serve_waiting(cfg);
		int nfirst, n = build_pollset(pfds, pidx, &nfirst);
		int timeout = adm_next_timeout_ms(&adm, time(NULL));
		if (draining && (timeout < 0 || timeout > 500))
			timeout = 500;
		int pr = poll(pfds, (nfds_t)n, timeout);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			return 255;
		}
		/* pre-auth pipes: a closed pipe means "authenticated" (or exited) */
		for (int i = nfirst; i < n; i++) {
			struct child *ck = &children[pidx[i]];
			if (pfds[i].revents && ck->startup_rfd == pfds[i].fd)
				startup_done(ck);
		}
		if (pfds[0].revents) {
			char tmp[64];
			while (read(sig_pipe[0], tmp, sizeof(tmp)) > 0)
				;
		}
		for (int i = 1; i < nfirst; i++) {
			int rc;
			if ((pfds[i].revents & POLLIN) && accept_batch(pfds[i].fd, cfg, o, &rc))
				return rc;
		}
	}
	log_info("all connections finished; exiting");
	hostkeys_wipe(&hostkeys);
	return 0;
}

int applet_sshd_main(int argc, char **argv)
{
	static struct sshd_config cfg;
	struct opts o;
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	/* Whatever started us may have left descriptors open (a test harness,
	 * a careless init script): they would reach every connection process.
	 * Only 0-2 are ours to keep (with -i, 0 and 1 are the connection). */
	close_fds_from(3);
	log_init("sshd", LOG_INFO, LOG_TO_STDERR);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			help();
			return 0;
		}
	}
	if (crypto_init() != 0) {
		fputs("sshd: crypto initialisation failed\n", stderr);
		return 255;
	}
	load_config(&o, argc, argv, &cfg);
	if (o.dump) {
		sshd_config_dump(&cfg, stdout);
		return 0;
	}
	int level = cfg.log_level;
	if (o.debug && level > LOG_DEBUG)
		level = LOG_DEBUG;
	if (o.quiet)
		level = LOG_ERROR;
	log_init("sshd", (enum log_level)level, o.log_stderr || o.inetd == 0 ? LOG_TO_STDERR : LOG_TO_SYSLOG);
	if (!o.log_stderr && !o.debug)
		log_set_target(LOG_TO_SYSLOG);
	if (load_hostkeys(&cfg, &hostkeys) != 0 || load_host_certificates(&cfg, &hostkeys) != 0)
		return 255;
	if (o.test)
		return 0;
	preload_revoked_keys(&cfg);
	if (env_authorized_keys(&cfg) != 0)
		return 255;

	const char *method = NULL;
	switch (cfg.helper_exec_method) {
	case HELPER_EXEC_MEMFD: method = "memfd"; break;
	case HELPER_EXEC_TMPFILE: method = "tmpfile"; break;
	case HELPER_EXEC_MKSTEMP: method = "mkstemp"; break;
	case HELPER_EXEC_PROCSELF: method = "procself"; break;
	default: method = NULL; break;
	}

	if (o.inetd) {
		log_share_level();
		if (spawn_init(method) != 0) {
			log_error("Cannot start child applets (see the helper messages above); not serving.");
			return 255;
		}
		conn_set_output_fd(1);
		int r = run_one(0, &cfg);
		return r == 3 ? 255 : 0;
	}

	/* A SIGHUP re-exec is already detached: keep the pid (and the
	 * connection processes, which stay its children). */
	if (getenv("SSHBOX_SSHD_REEXEC")) {
		unsetenv("SSHBOX_SSHD_REEXEC");
		o.no_detach = 1;
	}
	if (!o.no_detach) {
		pid_t p = fork();
		if (p < 0) {
			log_error("fork: %s", strerror(errno));
			return 255;
		}
		if (p > 0)
			return 0;
		setsid();
		int dn = open_empty_fd(NULL);
		if (dn >= 0) {
			dup2(dn, 0);
			dup2(dn, 1);
			if (!o.log_stderr)
				dup2(dn, 2);
			if (dn > 2)
				close(dn);
		}
	}

	log_share_level();
	metrics_init();
	penalties_enabled = cfg.per_source_penalties;
	/* Without children no session, sftp or forwarding can start: refuse to
	 * run rather than authenticate users into sessions that cannot start
	 * (spawn_init has logged the cause of every refusal). */
	if (spawn_init(method) != 0) {
		log_error("Cannot start child applets (see the helper messages above); not starting.");
		return 255;
	}
	metrics_set_helper_method(spawn_method_name());

	nl = listen_on(&cfg, lfd, MAX_LISTEN);
	if (nl == 0) {
		log_error("Cannot bind any address.");
		return 255;
	}
	log_info("%s; helper exec method %s; crypto %s; sshd pid %d", sshbox_features_summary(), spawn_method_name(),
		 cipher_accel_summary(), (int)getpid());
	if (cfg.pid_file && !o.debug) {
		FILE *pf = fopen(cfg.pid_file, "we");
		if (pf) {
			fprintf(pf, "%d\n", (int)getpid());
			fclose(pf);
		}
	}
#if CONFIG_DEBUG_SERVICE
	if (cfg.debug_service)
		debugsvc_start(&cfg);
#endif

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return 255;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < MAX_CHILDREN; i++)
		children[i].startup_rfd = -1;
	admission_setup(&cfg);

	return serve(&cfg, &o, argv);
}
