/* Shared by the libFuzzer targets in this directory (header only).
 *
 * fz_init(): module logging at TRACE so every log format with
 * client-supplied strings runs, but its lines are sent to /dev/null while a
 * target runs (fz_mute/fz_unmute around the call); sanitizer reports keep
 * going to the real stderr (__sanitizer_set_report_fd). FUZZ_VERBOSE=1
 * leaves stderr alone. */
#ifndef SSHBOX_FUZZUTIL_H
#define SSHBOX_FUZZUTIL_H

#include <fcntl.h>
#include <sanitizer/common_interface_defs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int fz_saved_fd = -1, fz_null_fd = -1;

__attribute__((unused)) static void fz_init(void)
{
	log_set_level(LOG_TRACE);
	const char *v = getenv("FUZZ_VERBOSE");
	if (v && *v == '1')
		return;
	fz_saved_fd = dup(STDERR_FILENO);
	fz_null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fz_saved_fd >= 0 && fz_null_fd >= 0)
		__sanitizer_set_report_fd((void *)(intptr_t)fz_saved_fd);
	else
		fz_null_fd = -1;
}

__attribute__((unused)) static void fz_mute(void)
{
	if (fz_null_fd >= 0)
		dup2(fz_null_fd, STDERR_FILENO);
}

__attribute__((unused)) static void fz_unmute(void)
{
	if (fz_null_fd >= 0)
		dup2(fz_saved_fd, STDERR_FILENO);
}

/* A NUL-terminated heap copy of the input. */
__attribute__((unused)) static char *fz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Splits [*p, end) at the next byte sep: returns the part's start, its
 * length in *n, and moves *p past the separator (to end if none). */
__attribute__((unused)) static const uint8_t *fz_next_part(const uint8_t **p, const uint8_t *end, uint8_t sep, size_t *n)
{
	const uint8_t *s = *p;
	const uint8_t *q = s;
	while (q < end && *q != sep)
		q++;
	*n = (size_t)(q - s);
	*p = q < end ? q + 1 : end;
	return s;
}

/* Records of the stateful targets: [u8 kind][u16 length][bytes]; the last
 * one may be short (it gets what is left). Returns 0 at the end. */
__attribute__((unused)) static int fz_record(const uint8_t **p, const uint8_t *end, uint8_t *kind, const uint8_t **rec,
					   size_t *n)
{
	if (end - *p < 3)
		return 0;
	*kind = (*p)[0];
	size_t want = ((size_t)(*p)[1] << 8) | (*p)[2];
	*p += 3;
	size_t left = (size_t)(end - *p);
	*n = want < left ? want : left;
	*rec = *p;
	*p += *n;
	return 1;
}

#endif
