/* The keyboard-interactive PAM child protocol (passwd.c): frames of
 * [u8 type][u32 len][bytes] from the PAM child, parsed by the connection
 * process round by round. Input: the child's whole byte stream (written
 * into a socketpair whose write side is then shut down); every round the
 * parser accepts is answered with one "x" per prompt, as the connection
 * process would relay the client's answers. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzzutil.h"
#include "kbdint.h"

#define MAX_INPUT 65536 /* fits a socket buffer: the write never blocks */
#define MAX_ROUNDS 64

/* Reads and drops the answers the parser wrote, as the PAM child would:
 * left unread, 64 rounds of up to 16 answers fill the socket buffer with
 * small frames and the next answer blocks the harness for ever (a hang
 * found by `make fuzz-long`, not a parser bug). */
static void drain_answers(int fd)
{
	char sink[4096];
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_init();
	signal(SIGPIPE, SIG_IGN); /* answers to a peer that is gone */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	int sz = MAX_INPUT * 2;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (size && write(sv[0], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[0], SHUT_WR);
	fz_mute();
	struct kbdint *k = kbdint_from_fd(sv[1]);
	if (!k)
		abort();
	struct kbdint_query q;
	for (int round = 0; round < MAX_ROUNDS && kbdint_query(k, &q) == 1; round++) {
		if (q.n_prompts > KBDINT_MAX_PROMPTS)
			abort();
		const char *answers[KBDINT_MAX_PROMPTS];
		for (size_t i = 0; i < q.n_prompts; i++) {
			if (!q.prompts[i])
				abort();
			(void)strlen(q.prompts[i]);
			answers[i] = "x";
		}
		int more = kbdint_respond(k, q.n_prompts, answers) == KBDINT_MORE;
		drain_answers(sv[0]);
		if (!more)
			break;
	}
	kbdint_free(k);
	fz_unmute();
	close(sv[0]);
	return 0;
}
