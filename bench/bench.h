/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VM benchmark's traffic tools share: a monotonic clock in
 * seconds and a send that writes all of a buffer.
 */
#ifndef SIPALG_BENCH_H
#define SIPALG_BENCH_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 0 once all len bytes are sent, -1 if the connection fails first. */
static inline int send_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, 0);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

#endif /* SIPALG_BENCH_H */
