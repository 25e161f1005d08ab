// SPDX-License-Identifier: GPL-2.0
/*
 * udpflood: send one datagram (a file's bytes) as fast as possible for a
 * while, from a number of source ports in turn, with sendmmsg batches.
 * Prints "sent N". Used by the VM benchmark; only ever aimed at the test
 * network inside the VM.
 *
 * usage: udpflood SRC_IP DST_IP DST_PORT FILE SECONDS FLOWS [BATCH [PORT]]
 *   BATCH  datagrams per flow in turn (default 64, at most 64)
 *   PORT   the flows' source ports are PORT, PORT+1, ... (default: 5060
 *          for one flow, ephemeral ports for more), so that a second run
 *          sends on the conntracks of the first
 * SECONDS 0 sends one batch on each flow and stops: it creates the flows.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define BATCH 64
#define MAX_FLOWS 16384

int main(int argc, char **argv)
{
	static int socks[MAX_FLOWS];
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	char buf[65536];
	unsigned long long sent = 0;
	double deadline, seconds;
	int flows, batch = BATCH, port = 0, i, f = 0;
	size_t len;
	FILE *in;

	if (argc < 7 || argc > 9) {
		fprintf(stderr,
			"usage: udpflood SRC_IP DST_IP DST_PORT FILE SECONDS FLOWS [BATCH [PORT]]\n");
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
	if (argc > 7)
		batch = atoi(argv[7]);
	if (argc > 8)
		port = atoi(argv[8]);
	if (batch < 1 || batch > BATCH || port < 0 || port + flows > 65536) {
		fprintf(stderr, "udpflood: BATCH must be 1..%d, PORT+FLOWS at most 65536\n", BATCH);
		return 2;
	}
	for (i = 0; i < flows; i++) {
		socks[i] = socket(AF_INET, SOCK_DGRAM, 0);
		/* One flow: the SIP port itself; many: ephemeral ports. */
		if (port)
			src.sin_port = htons(port + i);
		else
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
	seconds = atof(argv[5]);
	deadline = now() + seconds;
	for (;;) {
		int n = sendmmsg(socks[f], msgs, batch, 0);

		if (n > 0)
			sent += n;
		f = (f + 1) % flows;
		if (seconds > 0 ? now() >= deadline : f == 0)
			break;
	}
	printf("sent %llu\n", sent);
	return 0;
}
