/* SPDX-License-Identifier: MIT */
/*
 * --prometheus: GET /metrics over HTTP (libmicrohttpd, in its own thread).
 * The run loop publishes the exposition text at every flush; a scrape
 * serves the latest text, so the loop never waits for a scraper and a
 * scraper never waits for the loop.
 */
#ifndef BPFPROF_PROMETHEUS_SERVER_H
#define BPFPROF_PROMETHEUS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct prom_listen {
	struct sockaddr_storage addr;
	socklen_t len;
};

/*
 * "[ADDR:]PORT": PORT alone binds 127.0.0.1; ADDR is a numeric IPv4
 * address or a bracketed IPv6 one ("[::1]:9464"), never looked up in DNS.
 * PORT 0 picks a free port. 0, or -1 with a one-line reason in err.
 */
int prom_parse_listen(const char *spec, struct prom_listen *out, char *err, size_t errlen);
/* Whether spec (NULL: no server) binds a port below 1024. */
bool prom_listen_low_port(const char *spec);

struct prom_server;

/* Binds and starts serving (503 until the first publish). NULL with a
 * one-line reason in err. */
struct prom_server *prom_server_start(const struct prom_listen *l, char *err, size_t errlen);
/* "127.0.0.1:9464", "[::1]:9464": the address really bound. */
const char *prom_server_address(const struct prom_server *s);
/* Serve this text from now on; takes ownership of the malloc'd text. */
void prom_server_publish(struct prom_server *s, char *text, size_t len);
/* Stops the thread, closes the socket, frees everything (NULL is fine). */
void prom_server_stop(struct prom_server *s);

#endif
