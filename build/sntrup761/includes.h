/* Shim for compiling OpenSSH's sntrup761.c (build/deps.sh puts it in the
 * deps prefix's src/) outside OpenSSH: its portability header is not
 * needed; this only switches the KEM code on. */
#ifndef SSHBOX_SNTRUP761_INCLUDES_H
#define SSHBOX_SNTRUP761_INCLUDES_H
#define USE_SNTRUP761X25519 1
#endif
