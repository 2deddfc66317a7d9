// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A service that calls another for each request it serves, for the
 * propagation benchmark: `relay PORT UPSTREAM_PORT`. A thread per client
 * connection, each with a keep-alive connection of its own to
 * 127.0.0.1:UPSTREAM_PORT; per request (no body) one GET upstream, whose
 * response (Content-Length framed) is read whole, then "ok". */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int upstream_port;

static int dial(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)upstream_port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Reads until a blank line ends the head; returns the bytes in buf. */
static ssize_t read_head(int fd, char *buf, size_t cap, size_t *have, size_t *head_len)
{
	char *end;
	ssize_t n;

	for (;;) {
		buf[*have] = 0;
		end = strstr(buf, "\r\n\r\n");
		if (end) {
			*head_len = (size_t)(end - buf) + 4;
			return (ssize_t)*have;
		}
		if (*have + 1 >= cap)
			return -1;
		n = read(fd, buf + *have, cap - 1 - *have);
		if (n <= 0)
			return -1;
		*have += (size_t)n;
	}
}

static void *serve(void *arg)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: upstream\r\n\r\n";
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	int fd = (int)(intptr_t)arg, up = dial();
	char in[4096], out[8192];
	size_t have = 0, head, uhave, uhead, body;
	const char *cl;

	while (up >= 0 && read_head(fd, in, sizeof(in), &have, &head) > 0) {
		memmove(in, in + head, have - head);
		have -= head;
		if (write(up, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
			break;
		uhave = 0;
		if (read_head(up, out, sizeof(out), &uhave, &uhead) < 0)
			break;
		cl = strcasestr(out, "content-length:");
		body = cl ? strtoul(cl + 15, NULL, 10) : 0;
		while (uhave < uhead + body) {
			ssize_t n = read(up, out, sizeof(out));

			if (n <= 0)
				goto out;
			uhave += (size_t)n;
		}
		if (write(fd, ok, sizeof(ok) - 1) != (ssize_t)sizeof(ok) - 1)
			break;
	}
out:
	if (up >= 0)
		close(up);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	pthread_t t;

	if (argc != 3)
		return 2;
	upstream_port = atoi(argv[2]);
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 128)) {
		perror("relay");
		return 1;
	}
	for (;;) {
		int fd = accept(ls, NULL, NULL);

		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pthread_create(&t, NULL, serve, (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	}
}
