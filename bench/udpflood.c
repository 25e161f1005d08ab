// SPDX-License-Identifier: GPL-2.0
/*
 * udpflood: send one datagram (a file's bytes) as fast as possible for a
 * while, from a number of source ports in turn, with sendmmsg batches.
 * Prints "sent N". Used by the VM benchmark; only ever aimed at the test
 * network inside the VM.
 *
 * usage: udpflood SRC_IP DST_IP DST_PORT FILE SECONDS FLOWS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_FLOWS 4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static int socks[MAX_FLOWS];
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	char buf[65536];
	unsigned long long sent = 0;
	double deadline;
	int flows, i, f = 0;
	size_t len;
	FILE *in;

	if (argc != 7) {
		fprintf(stderr, "usage: udpflood SRC_IP DST_IP DST_PORT FILE SECONDS FLOWS\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1) {
		fprintf(stderr, "udpflood: bad address\n");
		return 2;
	}
	dst.sin_port = htons(atoi(argv[3]));
	in = fopen(argv[4], "rb");
	if (!in) {
		perror(argv[4]);
		return 1;
	}
	len = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	flows = atoi(argv[6]);
	if (flows < 1 || flows > MAX_FLOWS) {
		fprintf(stderr, "udpflood: FLOWS must be 1..%d\n", MAX_FLOWS);
		return 2;
	}
	for (i = 0; i < flows; i++) {
		socks[i] = socket(AF_INET, SOCK_DGRAM, 0);
		/* One flow: the SIP port itself; many: ephemeral ports. */
		src.sin_port = htons(flows == 1 ? 5060 : 0);
		if (socks[i] < 0 ||
		    bind(socks[i], (struct sockaddr *)&src, sizeof(src)) ||
		    connect(socks[i], (struct sockaddr *)&dst, sizeof(dst))) {
			perror("udpflood: socket");
			return 1;
		}
	}
	iov.iov_base = buf;
	iov.iov_len = len;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	deadline = now() + atof(argv[5]);
	while (now() < deadline) {
		int n = sendmmsg(socks[f], msgs, BATCH, 0);

		if (n > 0)
			sent += n;
		f = (f + 1) % flows;
	}
	printf("sent %llu\n", sent);
	return 0;
}
