// SPDX-License-Identifier: GPL-2.0
/*
 * udpsink: count the datagrams arriving on an address and port, from the
 * first one on, for a fixed time. Prints "received N in S seconds" (N is 0
 * when nothing came within 10 seconds).
 *
 * usage: udpsink IP PORT SECONDS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define BATCH 64

int main(int argc, char **argv)
{
	static char bufs[BATCH][2048];
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct timeval tick = { .tv_sec = 0, .tv_usec = 100000 };
	struct mmsghdr msgs[BATCH] = { 0 };
	struct iovec iovs[BATCH];
	unsigned long long received = 0;
	double start = 0, seconds, opened;
	int fd, i, rcvbuf = 1 << 22;

	if (argc != 4) {
		fprintf(stderr, "usage: udpsink IP PORT SECONDS\n");
		return 2;
	}
	seconds = atof(argv[3]);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	inet_pton(AF_INET, argv[1], &addr.sin_addr);
	addr.sin_port = htons(atoi(argv[2]));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("udpsink: bind");
		return 1;
	}
	for (i = 0; i < BATCH; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	printf("ready\n");
	fflush(stdout);
	opened = now();
	for (;;) {
		int n = recvmmsg(fd, msgs, BATCH, 0, NULL);

		if (n > 0) {
			if (!start)
				start = now();
			received += n;
		}
		if (start && now() - start >= seconds)
			break;
		/* Nothing at all for a while: the path is closed. */
		if (!start && now() - opened > 10)
			break;
	}
	printf("received %llu in %.3f seconds\n", received,
	       start ? now() - start : 0.0);
	return 0;
}
