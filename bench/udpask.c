// SPDX-License-Identifier: GPL-2.0
/*
 * udpask: send each file's bytes as one datagram from one socket and wait
 * (up to 2 seconds) for a reply to each before the next: sets up the calls
 * of the VM benchmark (INVITEs answered by `sipua serve`) in one process.
 * Prints "answered N of M"; exits 1 unless every one was answered.
 *
 * usage: udpask SRC_IP SRC_PORT DST_IP DST_PORT FILE...
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[65536];
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct timeval wait = { .tv_sec = 2 };
	int fd, i, answered = 0;

	if (argc < 6) {
		fprintf(stderr, "usage: udpask SRC_IP SRC_PORT DST_IP DST_PORT FILE...\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[3], &dst.sin_addr) != 1) {
		fprintf(stderr, "udpask: bad address\n");
		return 2;
	}
	src.sin_port = htons(atoi(argv[2]));
	dst.sin_port = htons(atoi(argv[4]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		perror("udpask: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
	for (i = 5; i < argc; i++) {
		FILE *in = fopen(argv[i], "rb");
		size_t len;

		if (!in) {
			perror(argv[i]);
			return 1;
		}
		len = fread(buf, 1, sizeof(buf), in);
		fclose(in);
		if (send(fd, buf, len, 0) != (ssize_t)len) {
			perror("udpask: send");
			return 1;
		}
		if (recv(fd, buf, sizeof(buf), 0) > 0)
			answered++;
	}
	printf("answered %d of %d\n", answered, argc - 5);
	return answered == argc - 5 ? 0 : 1;
}
