// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* An HTTPS server with OpenSSL linked in statically, so no libssl.so is
 * mapped and sonde must find SSL_read and SSL_write in the executable.
 * One connection at a time; each request (read up to its blank line) gets
 * "200 ok", or "404" for a path under /missing/.
 *   static_tls_server PORT CERT KEY */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void serve(SSL *ssl)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
	static const char missing[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	char req[8192];
	size_t len = 0;
	int n;

	/* Keep-alive: one answer per request head until the client closes. */
	for (;;) {
		char *end;

		n = SSL_read(ssl, req + len, (int)(sizeof(req) - 1 - len));
		if (n <= 0)
			return;
		len += (size_t)n;
		req[len] = 0;
		while ((end = strstr(req, "\r\n\r\n"))) {
			const char *answer = strncmp(req, "GET /missing/", 13) ? ok : missing;
			size_t used = (size_t)(end + 4 - req);

			if (SSL_write(ssl, answer, (int)strlen(answer)) <= 0)
				return;
			memmove(req, req + used, len - used + 1);
			len -= used;
		}
		if (len == sizeof(req) - 1)
			return;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	SSL_CTX *ctx;
	int one = 1, lfd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s PORT CERT KEY\n", argv[0]);
		return 2;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx || SSL_CTX_use_certificate_file(ctx, argv[2], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_port = htons((uint16_t)atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 16)) {
		perror("listen");
		return 1;
	}
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		SSL *ssl;

		if (fd < 0)
			continue;
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1)
			serve(ssl);
		SSL_shutdown(ssl);
		SSL_free(ssl);
		close(fd);
	}
}
