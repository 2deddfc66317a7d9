/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A real HTTP responder on a loopback port for unit tests: a thread that
 * accepts connections one by one, keeps each request's body and answers
 * with the next status of its script (the last one repeats); status 0
 * accepts and never answers, a negative status answers -status after
 * 300 ms. */
#ifndef SONDE_TEST_LOOPBACK_HTTP_H
#define SONDE_TEST_LOOPBACK_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOOPBACK_MAX 16

struct loopback_http {
	int fd;
	uint16_t port;
	const int *script;
	size_t nscript;
	pthread_t thread;
	pthread_mutex_t mutex;
	size_t requests; /* under mutex */
	char bodies[LOOPBACK_MAX][2048]; /* under mutex */
};

static inline void *loopback_serve(void *arg)
{
	struct loopback_http *h = arg;
	char buf[8192];
	int c;

	while ((c = accept(h->fd, NULL, NULL)) >= 0) {
		ssize_t n = 0, got;
		char *end, *cl;
		size_t want = 0, i;
		int status;

		/* The head, then Content-Length bytes of body. */
		while ((got = read(c, buf + n, sizeof(buf) - 1 - (size_t)n)) > 0) {
			n += got;
			buf[n] = 0;
			end = strstr(buf, "\r\n\r\n");
			if (!end)
				continue;
			cl = strcasestr(buf, "Content-Length:");
			want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0);
			if ((size_t)n >= want)
				break;
		}
		pthread_mutex_lock(&h->mutex);
		i = h->requests++;
		if (i < LOOPBACK_MAX && (end = strstr(buf, "\r\n\r\n")))
			snprintf(h->bodies[i], sizeof(h->bodies[i]), "%s", end + 4);
		pthread_mutex_unlock(&h->mutex);
		status = h->script[i < h->nscript ? i : h->nscript - 1];
		if (status < 0) {
			usleep(300000);
			status = -status;
		}
		if (status) {
			n = snprintf(buf, sizeof(buf),
				     "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
			if (write(c, buf, (size_t)n) < 0)
				perror("loopback write");
		} else {
			sleep(2);
		}
		close(c);
	}
	return NULL;
}

static inline int loopback_start(struct loopback_http *h, const int *script, size_t nscript)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	memset(h, 0, sizeof(*h));
	h->script = script;
	h->nscript = nscript;
	pthread_mutex_init(&h->mutex, NULL);
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || bind(h->fd, (struct sockaddr *)&a, sizeof(a)) || listen(h->fd, 16) ||
	    getsockname(h->fd, (struct sockaddr *)&a, &len))
		return -1;
	h->port = ntohs(a.sin_port);
	return pthread_create(&h->thread, NULL, loopback_serve, h) ? -1 : 0;
}

static inline size_t loopback_requests(struct loopback_http *h)
{
	size_t n;

	pthread_mutex_lock(&h->mutex);
	n = h->requests;
	pthread_mutex_unlock(&h->mutex);
	return n;
}

static inline void loopback_stop(struct loopback_http *h)
{
	shutdown(h->fd, SHUT_RDWR);
	pthread_join(h->thread, NULL);
	close(h->fd);
	pthread_mutex_destroy(&h->mutex);
}

/* A loopback port nothing listens on: bound, then closed. */
static inline uint16_t loopback_closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

#endif
