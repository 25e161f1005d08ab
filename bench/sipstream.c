// SPDX-License-Identifier: GPL-2.0
/*
 * sipstream: a file's bytes (a SIP message) written over and over on one
 * TCP connection, back to back and as fast as possible, for a while. The
 * writes are large (as many whole copies as fit in 64 KiB), so where the
 * stream's segments end has nothing to do with where its messages end.
 * With MSS, the socket's TCP_MAXSEG is set before it connects (a message
 * then spans several segments). Stops early when the receiver closes.
 * Prints "sent N bytes (M messages of L bytes)". Used by the VM benchmark;
 * only ever aimed at the test network inside the VM.
 *
 * usage: sipstream SRC_IP DST_IP DST_PORT FILE SECONDS [MSS]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define CHUNK 65536

int main(int argc, char **argv)
{
	static unsigned char message[CHUNK], chunk[CHUNK];
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned long long sent = 0;
	size_t len, copies, i;
	double deadline;
	FILE *f;
	int fd, mss;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: sipstream SRC_IP DST_IP DST_PORT FILE SECONDS [MSS]\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1) {
		fprintf(stderr, "sipstream: bad address\n");
		return 2;
	}
	dst.sin_port = htons(atoi(argv[3]));
	f = fopen(argv[4], "rb");
	if (!f) {
		perror("sipstream: open");
		return 1;
	}
	len = fread(message, 1, sizeof(message), f);
	fclose(f);
	if (!len || len == sizeof(message)) {
		fprintf(stderr, "sipstream: %s: empty or not below %d bytes\n",
			argv[4], CHUNK);
		return 2;
	}
	copies = sizeof(chunk) / len;
	for (i = 0; i < copies; i++)
		memcpy(chunk + i * len, message, len);
	signal(SIGPIPE, SIG_IGN);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("sipstream: socket");
		return 1;
	}
	if (argc == 7) {
		mss = atoi(argv[6]);
		if (setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss))) {
			perror("sipstream: TCP_MAXSEG");
			return 1;
		}
	}
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		perror("sipstream: connect");
		return 1;
	}
	deadline = now() + atof(argv[5]);
	while (now() < deadline) {
		if (send_all(fd, chunk, copies * len))
			break; /* the receiver is done */
		sent += copies * len;
	}
	printf("sent %llu bytes (%llu messages of %zu bytes)\n", sent,
	       sent / len, len);
	return 0;
}
