// SPDX-License-Identifier: MIT
/*
 * The README's example server: it handles requests that arrive on a
 * socketpair from its own client thread, each parsed, looked up in a small
 * file-backed "database" and answered, until SECONDS pass (default: until
 * killed). Its functions are named the way the README's -u examples expect:
 * handle_request calls handle_parse and db_query once per request.
 *   demo_server [SECONDS]
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define REQUEST_BYTES 64
#define RECORD_BYTES 256
#define RECORDS 64

static int db_fd;
static volatile sig_atomic_t stop;
static volatile unsigned long sink;

static void on_signal(int sig)
{
	stop = 1;
}

NOINLINE unsigned int handle_parse(const char *req, size_t len)
{
	unsigned int key = 0;

	for (size_t i = 0; i < len; i++)
		key = key * 31 + (unsigned char)req[i];
	return key % RECORDS;
}

NOINLINE ssize_t db_query(unsigned int key, char *out)
{
	return pread(db_fd, out, RECORD_BYTES, (off_t)key * RECORD_BYTES);
}

NOINLINE int handle_request(int fd)
{
	char req[REQUEST_BYTES], *reply = malloc(RECORD_BYTES);
	ssize_t n = read(fd, req, sizeof(req));
	int rc = -1;

	if (n > 0 && reply && db_query(handle_parse(req, (size_t)n), reply) == RECORD_BYTES)
		rc = write(fd, reply, RECORD_BYTES) == RECORD_BYTES ? 0 : -1;
	free(reply);
	return rc;
}

/* The client: a request every 2 ms, its reply read back. */
static void *client(void *arg)
{
	int fd = *(int *)arg;
	char req[REQUEST_BYTES], reply[RECORD_BYTES];
	struct timespec nap = { 0, 2 * 1000 * 1000 };

	for (unsigned long i = 0; !stop; i++) {
		snprintf(req, sizeof(req), "GET /item/%lu", i);
		if (write(fd, req, sizeof(req)) != sizeof(req) ||
		    read(fd, reply, sizeof(reply)) <= 0)
			break;
		nanosleep(&nap, NULL);
	}
	shutdown(fd, SHUT_RDWR);
	return NULL;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 0;
	char path[] = "/tmp/bpfprof-demo-db-XXXXXX", record[RECORD_BYTES];
	struct timespec start, now;
	pthread_t thread;
	int sv[2];

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	db_fd = mkstemp(path);
	if (db_fd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	unlink(path);
	for (int i = 0; i < RECORDS; i++) {
		memset(record, 'a' + i % 26, sizeof(record));
		if (write(db_fd, record, sizeof(record)) != sizeof(record))
			return 1;
	}
	if (pthread_create(&thread, NULL, client, &sv[1]))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!stop && handle_request(sv[0]) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (secs > 0 && now.tv_sec - start.tv_sec + (now.tv_nsec - start.tv_nsec) / 1e9 >= secs)
			stop = 1;
	}
	stop = 1;
	shutdown(sv[0], SHUT_RDWR);
	pthread_join(thread, NULL);
	return 0;
}
