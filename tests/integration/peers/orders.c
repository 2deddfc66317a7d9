// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A program whose functions sonde times from outside, compiled as any C
 * program is. It waits for a file to exist (its probes are in), then:
 *   orders calls N ERRORS GO   process_order N times, ERRORS of them -1
 *   orders recurse DEPTH GO    walk_tree(DEPTH), which calls itself
 *   orders threads T N GO      T threads calling process_order N times
 *   orders serve PORT GO       an HTTP/1.1 server calling process_order on
 *                              the thread serving each request, one a
 *                              connection, until killed
 *   orders hold GO             one process_order that never returns
 *   orders charge LIB N ERRORS GO
 *                              loads the library LIB, then calls its
 *                              lib_charge N times, ERRORS of them failing
 *   orders spin N GO [framed]  N calls of tick, a function doing nothing
 *                              that starts with a mov (or of tick_framed,
 *                              one that starts with push rbp); prints the
 *                              calls per second
 * Each process_order lasts about 2 ms, each level of walk_tree 1 ms. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) int process_order(int fail)
{
	if (fail == 2)
		pause();
	sleep_ms(2);
	return fail ? -1 : 0;
}

__attribute__((noinline)) int walk_tree(int depth)
{
	int below = depth > 0 ? walk_tree(depth - 1) : 0;

	sleep_ms(1);
	return below + 1;
}

__attribute__((noinline)) int tick(int i)
{
	__asm__ volatile("" : : "r"(i) : "memory");
	return i;
}

/* As a compiler keeping frame pointers writes it. */
int tick_framed(int i);
__asm__(".globl tick_framed\n"
	".type tick_framed, @function\n"
	"tick_framed:\n"
	"push %rbp\n"
	"mov %rsp, %rbp\n"
	"mov %edi, %eax\n"
	"pop %rbp\n"
	"ret\n"
	".size tick_framed, .-tick_framed\n");

static int calls_per_thread;

static void *order_loop(void *arg)
{
	(void)arg;
	for (int i = 0; i < calls_per_thread; i++)
		process_order(0);
	return NULL;
}

static void wait_for(const char *path)
{
	while (access(path, F_OK))
		sleep_ms(10);
}

static int serve(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16))
		return 1;
	for (;;) {
		static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
		char buf[4096];
		int c = accept(s, NULL, NULL);

		if (c < 0)
			continue;
		if (read(c, buf, sizeof(buf)) > 0) {
			process_order(0);
			if (write(c, reply, sizeof(reply) - 1) < 0)
				perror("write");
		}
		close(c);
	}
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "calls")) {
		int n = atoi(argv[2]), errors = atoi(argv[3]);

		wait_for(argv[4]);
		for (int i = 0; i < n; i++)
			process_order(i < errors);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "recurse")) {
		wait_for(argv[3]);
		return walk_tree(atoi(argv[2])) == atoi(argv[2]) + 1 ? 0 : 1;
	}
	if (argc == 5 && !strcmp(argv[1], "threads")) {
		pthread_t t[64];
		int n = atoi(argv[2]);

		calls_per_thread = atoi(argv[3]);
		wait_for(argv[4]);
		for (int i = 0; i < n && i < 64; i++)
			pthread_create(&t[i], NULL, order_loop, NULL);
		for (int i = 0; i < n && i < 64; i++)
			pthread_join(t[i], NULL);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "charge")) {
		void *lib = dlopen(argv[2], RTLD_NOW);
		int (*charge)(int) = lib ? (int (*)(int))dlsym(lib, "lib_charge") : NULL;
		int n = atoi(argv[3]), errors = atoi(argv[4]);

		if (!charge)
			return 1;
		wait_for(argv[5]);
		for (int i = 0; i < n; i++)
			charge(i < errors);
		return 0;
	}
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "spin")) {
		int (*fn)(int) = argc == 5 && !strcmp(argv[4], "framed") ? tick_framed : tick;
		struct timespec a, b;
		long n = atol(argv[2]);

		wait_for(argv[3]);
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < n; i++)
			fn((int)i);
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("%.0f\n", (double)n / ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "hold")) {
		wait_for(argv[2]);
		return process_order(2);
	}
	if (argc == 4 && !strcmp(argv[1], "serve")) {
		wait_for(argv[3]);
		return serve(atoi(argv[2]));
	}
	fprintf(stderr,
		"usage: orders calls N ERRORS GO | recurse DEPTH GO | threads T N GO | serve PORT GO | hold GO | charge LIB N ERRORS GO |\n"
		"       spin N GO [framed]\n");
	return 2;
}
