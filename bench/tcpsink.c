// SPDX-License-Identifier: GPL-2.0
/*
 * tcpsink: accept one TCP connection on an address and port and count the
 * bytes it brings, from the first one on, for a fixed time; then close it.
 * Prints "received N in S seconds" (N bytes; 0 when nothing came within
 * 10 seconds), like udpsink. With SAVE, the first 64 KiB received are
 * written to that file (what the far side of the router really got).
 *
 * usage: tcpsink IP PORT SECONDS [SAVE]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	static char buf[1 << 16], saved[1 << 16];
	size_t nsaved = 0;
	FILE *save;
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct timeval tick = { .tv_sec = 0, .tv_usec = 100000 };
	unsigned long long received = 0;
	double start = 0, seconds, opened;
	int fd, conn, one = 1, rcvbuf = 1 << 22;
	struct pollfd pfd;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: tcpsink IP PORT SECONDS [SAVE]\n");
		return 2;
	}
	seconds = atof(argv[3]);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, argv[1], &addr.sin_addr);
	addr.sin_port = htons(atoi(argv[2]));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 1)) {
		perror("tcpsink: bind");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1) {
		printf("received 0 in 0.000 seconds\n");
		return 0;
	}
	conn = accept(fd, NULL, NULL);
	if (conn < 0) {
		perror("tcpsink: accept");
		return 1;
	}
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick));
	opened = now();
	for (;;) {
		ssize_t n = recv(conn, buf, sizeof(buf), 0);

		if (n == 0)
			break; /* the sender stopped */
		if (n > 0) {
			if (!start)
				start = now();
			received += n;
			if (nsaved < sizeof(saved)) {
				size_t take = sizeof(saved) - nsaved;

				if (take > (size_t)n)
					take = n;
				memcpy(saved + nsaved, buf, take);
				nsaved += take;
			}
		}
		if (start && now() - start >= seconds)
			break;
		if (!start && now() - opened > 10)
			break;
	}
	printf("received %llu in %.3f seconds\n", received,
	       start ? now() - start : 0.0);
	close(conn);
	if (argc == 5) {
		save = fopen(argv[4], "wb");
		if (!save || fwrite(saved, 1, nsaved, save) != nsaved ||
		    fclose(save)) {
			perror("tcpsink: save");
			return 1;
		}
	}
	return 0;
}
