// SPDX-License-Identifier: GPL-2.0
/*
 * tlsflood: a TLS-like TCP stream, as fast as possible for a while: a TLS
 * 1.2 ClientHello record first, then application-data records of random
 * bytes (16 KiB each, the TLS maximum). Nothing of it is SIP; a SIP helper
 * on the port should see that from the first bytes and leave the stream
 * alone. Stops early when the receiver closes. Prints "sent N bytes".
 * Used by the VM benchmark; only ever aimed at the test network inside
 * the VM.
 *
 * usage: tlsflood SRC_IP DST_IP DST_PORT SECONDS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define RECORD 16384

/*
 * A ClientHello record: handshake type 1, TLS 1.2, random bytes, one
 * cipher suite, no compression, no extensions.
 */
static size_t client_hello(unsigned char *p)
{
	size_t body = 2 + 32 + 1 + 2 + 2 + 1 + 1, i;
	unsigned char *h = p + 5;

	p[0] = 0x16; /* handshake */
	p[1] = 3;
	p[2] = 1;
	p[3] = (body + 4) >> 8;
	p[4] = (body + 4) & 0xff;
	h[0] = 1; /* ClientHello */
	h[1] = 0;
	h[2] = body >> 8;
	h[3] = body & 0xff;
	h[4] = 3;
	h[5] = 3;
	for (i = 0; i < 32; i++)
		h[6 + i] = rand();
	h[38] = 0; /* session id */
	h[39] = 0;
	h[40] = 2;
	h[41] = 0xc0; /* TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
	h[42] = 0x2f;
	h[43] = 1;
	h[44] = 0; /* null compression */
	return 5 + 4 + body;
}

int main(int argc, char **argv)
{
	static unsigned char record[5 + RECORD];
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned long long sent = 0;
	double deadline;
	size_t i, len;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: tlsflood SRC_IP DST_IP DST_PORT SECONDS\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1) {
		fprintf(stderr, "tlsflood: bad address\n");
		return 2;
	}
	dst.sin_port = htons(atoi(argv[3]));
	signal(SIGPIPE, SIG_IGN);
	srand(time(NULL));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		perror("tlsflood: connect");
		return 1;
	}
	len = client_hello(record);
	if (send_all(fd, record, len)) {
		perror("tlsflood: send");
		return 1;
	}
	sent += len;
	/*
	 * Application data: one record's random bytes, sent over and over
	 * (only the first bytes of a stream should matter to a helper).
	 */
	record[0] = 0x17;
	record[1] = 3;
	record[2] = 3;
	record[3] = RECORD >> 8;
	record[4] = RECORD & 0xff;
	for (i = 5; i < sizeof(record); i++)
		record[i] = rand();
	deadline = now() + atof(argv[4]);
	while (now() < deadline) {
		if (send_all(fd, record, sizeof(record)))
			break; /* the receiver is done */
		sent += sizeof(record);
	}
	printf("sent %llu bytes\n", sent);
	return 0;
}
