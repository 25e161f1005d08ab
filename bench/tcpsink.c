// SPDX-License-Identifier: GPL-2.0
/*
 * tcpsink: accept one TCP connection on an address and port and count the
 * bytes it brings, from the first one on, for a fixed time; then close it.
 * Prints "received N in S seconds" (N bytes; 0 when nothing came within
 * 10 seconds), like udpsink. With PHONE, the whole stream is also framed
 * as SIP messages as it comes (each ends its headers with an empty line
 * and has as many body bytes as its Content-Length says), and a second
 * line says what the far side of the router really got:
 * "messages COUNT MEAN_LENGTH PRIVATE BROKEN": how many whole messages,
 * their mean length, how many name the address PHONE (text), and 1 when
 * the stream stopped being whole SIP messages (the count ends there).
 *
 * usage: tcpsink IP PORT SECONDS [PHONE]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* A longer head, or body, is not one of the stream's messages. */
#define MESSAGE_MAX 65536

struct framer {
	const char *phone;
	unsigned char pending[2 * MESSAGE_MAX];
	size_t len;		/* bytes in pending */
	size_t scanned;		/* of them, searched for the empty line */
	unsigned long long count, total, private;
	int broken;
};

/* The Content-Length (or l) of a head, -1 when it has none or a bad one. */
static long content_length(const unsigned char *head, size_t len)
{
	const unsigned char *line = head, *end = head + len;

	while (line < end) {
		const unsigned char *eol = memchr(line, '\n', end - line);
		const unsigned char *p = line;
		size_t name;

		if (!eol)
			eol = end;
		while (p < eol && *p != ':' && *p != ' ' && *p != '\t')
			p++;
		name = p - line;
		if ((name == 14 && !strncasecmp((const char *)line,
						"content-length", 14)) ||
		    (name == 1 && tolower(*line) == 'l')) {
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			if (p < eol && *p == ':') {
				char *digits_end;
				long n;

				p++;
				n = strtol((const char *)p, &digits_end, 10);
				if (digits_end != (const char *)p && n >= 0 &&
				    n < MESSAGE_MAX)
					return n;
				return -1;
			}
		}
		line = eol + 1;
	}
	return -1;
}

/* Take in n more bytes of the stream; frame what is whole. */
static void frame(struct framer *f, const unsigned char *p, size_t n)
{
	while (n && !f->broken) {
		size_t take = sizeof(f->pending) - f->len;
		size_t used = 0;

		if (take > n)
			take = n;
		memcpy(f->pending + f->len, p, take);
		f->len += take;
		p += take;
		n -= take;
		for (;;) {
			size_t from = f->scanned > 3 ? f->scanned - 3 : 0;
			const unsigned char *blank;
			size_t head, whole;
			long body;

			blank = memmem(f->pending + used + from,
				       f->len - used - from, "\r\n\r\n", 4);
			if (!blank) {
				f->scanned = f->len - used;
				if (f->scanned > MESSAGE_MAX)
					f->broken = 1;
				break;
			}
			head = blank + 4 - (f->pending + used);
			body = content_length(f->pending + used, head);
			/* (Both bounded: a whole message fits in pending.) */
			if (body < 0 || head > MESSAGE_MAX) {
				f->broken = 1;
				break;
			}
			whole = head + body;
			if (whole > f->len - used) {
				f->scanned = head - 4;
				break;
			}
			f->count++;
			f->total += whole;
			f->private += memmem(f->pending + used, whole, f->phone,
					     strlen(f->phone)) != NULL;
			used += whole;
			f->scanned = 0;
		}
		memmove(f->pending, f->pending + used, f->len - used);
		f->len -= used;
	}
}

int main(int argc, char **argv)
{
	static unsigned char buf[1 << 16];
	static struct framer framer;
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct timeval tick = { .tv_sec = 0, .tv_usec = 100000 };
	unsigned long long received = 0;
	double start = 0, seconds, opened;
	int fd, conn, one = 1, rcvbuf = 1 << 22;
	struct pollfd pfd;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: tcpsink IP PORT SECONDS [PHONE]\n");
		return 2;
	}
	seconds = atof(argv[3]);
	framer.phone = argc == 5 ? argv[4] : NULL;
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
			if (argc == 5)
				frame(&framer, buf, n);
		}
		if (start && now() - start >= seconds)
			break;
		if (!start && now() - opened > 10)
			break;
	}
	printf("received %llu in %.3f seconds\n", received,
	       start ? now() - start : 0.0);
	close(conn);
	if (argc == 5)
		printf("messages %llu %llu %llu %d\n", framer.count,
		       framer.count ? framer.total / framer.count : 0,
		       framer.private, framer.broken);
	return 0;
}
