/* pty: pseudo-terminal allocation for sessions and the RFC 4254 s8
 * terminal-mode encoding mapped onto termios.
 *
 * The connection process (root or the user) allocates the pair, hands the
 * slave to the exec child (fds 0/1/2) and keeps the master for the channel.
 */
#ifndef SSHBOX_PTY_H
#define SSHBOX_PTY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#include "buf.h"

#define PTY_NAME_MAX 64

/* Opens a master/slave pair (both O_CLOEXEC, slave O_NOCTTY). name gets
 * the slave path ("/dev/pts/N"). 0 or -1 (errno). */
int pty_open(int *master, int *slave, char *name, size_t namelen);

/* As root: slave owned by uid, group "tty" (or gid when there is no tty
 * group), mode 0620 (0600 without a tty group). Not root: nothing (the
 * slave already belongs to us). 0 or -1. */
int pty_chown_slave(int slave, uid_t uid, gid_t gid);

/* Applies an encoded terminal-modes string (pty-req) to t. Opcodes
 * 1..159 carry a u32; 0 ends; 160..255 stop parsing (RFC 4254 s8).
 * Unknown opcodes in range are skipped. Control characters: 255 means
 * disabled (_POSIX_VDISABLE); values > 255 are ignored. Speeds accept
 * the standard baud rates only. Returns the number of modes applied, or
 * -1 if the encoding is truncated (t may have been partially updated). */
int pty_modes_apply(struct buf *modes, struct termios *t);

/* tcgetattr + pty_modes_apply + tcsetattr on fd. 0 or -1. */
int pty_set_modes(int fd, const uint8_t *modes, size_t len);

/* TIOCSWINSZ; values are clamped to 16 bits. 0 or -1. */
int pty_set_winsize(int fd, uint32_t cols, uint32_t rows, uint32_t xpix, uint32_t ypix);

#endif
