// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/errmsg.h"
#include "output/prometheus_server.h"

#define METRICS_PATH "/metrics"
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define MAX_CONNECTIONS 16
#define CONNECTION_TIMEOUT_S 10

/* One published text, shared by the responses still sending it. */
struct snapshot {
	atomic_int refs;
	size_t len;
	char *text;
};

struct prom_server {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock; /* guards current */
	struct snapshot *current;
	char address[INET6_ADDRSTRLEN + 16];
};

static void snapshot_put(struct snapshot *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
		free(s->text);
		free(s);
	}
}

int prom_parse_listen(const char *spec, struct prom_listen *out, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST };
	struct addrinfo *res = NULL;
	const char *colon = strrchr(spec, ':'), *port_s = colon ? colon + 1 : spec, *addr = spec;
	char host[256] = "127.0.0.1", *end;
	size_t hlen;
	long port;
	int rc;

	errno = 0;
	port = strtol(port_s, &end, 10);
	if (!*port_s || *end || errno || port < 0 || port > 65535) {
		set_err(err, errlen,
			"invalid --prometheus '%s': expected [ADDR:]PORT, PORT 0..65535", spec);
		return -1;
	}
	if (colon) {
		hlen = (size_t)(colon - spec);
		/* [v6addr]:port */
		if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
			addr++;
			hlen -= 2;
		}
		if (!hlen || hlen >= sizeof(host) || memchr(addr, '[', hlen) ||
		    memchr(addr, ']', hlen)) {
			set_err(err, errlen,
				"invalid --prometheus '%s': expected [ADDR:]PORT, [IPV6]:PORT for "
				"IPv6",
				spec);
			return -1;
		}
		memcpy(host, addr, hlen);
		host[hlen] = '\0';
	}
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		set_err(err, errlen, "--prometheus address '%s': not an IPv4 or IPv6 address (%s)",
			host, gai_strerror(rc));
		return -1;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	if (out->addr.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&out->addr)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)&out->addr)->sin_port = htons((uint16_t)port);
	freeaddrinfo(res);
	return 0;
}

bool prom_listen_low_port(const char *spec)
{
	struct prom_listen l;
	unsigned int port;

	if (!spec || prom_parse_listen(spec, &l, NULL, 0))
		return false;
	port = l.addr.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&l.addr)->sin6_port)
					    : ntohs(((struct sockaddr_in *)&l.addr)->sin_port);
	return port && port < 1024;
}

static ssize_t read_snapshot(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct snapshot *s = cls;
	size_t n;

	if (pos >= s->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = s->len - (size_t)pos < max ? s->len - (size_t)pos : max;
	memcpy(buf, s->text + pos, n);
	return (ssize_t)n;
}

static void release_snapshot(void *cls)
{
	snapshot_put(cls);
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status,
				  const char *text)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Runs in libmicrohttpd's thread. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct prom_server *srv = cls;
	struct MHD_Response *r;
	struct snapshot *snap;
	enum MHD_Result ret;

	if (strcmp(url, METRICS_PATH))
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: bpfprof serves /metrics\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	pthread_mutex_lock(&srv->lock);
	snap = srv->current;
	if (snap)
		atomic_fetch_add(&snap->refs, 1);
	pthread_mutex_unlock(&srv->lock);
	if (!snap)
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no profile yet\n");
	r = MHD_create_response_from_callback(snap->len, 64 * 1024, read_snapshot, snap,
					      release_snapshot);
	if (!r) {
		snapshot_put(snap);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	fprintf(stderr, "bpfprof: /metrics server: ");
	vfprintf(stderr, fmt, ap);
}

/* "127.0.0.1:9464" or "[::1]:9464" */
static void sockaddr_text(const struct sockaddr_storage *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)a;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		const struct sockaddr_in *in4 = (const void *)a;

		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in4->sin_port));
	}
}

struct prom_server *prom_server_start(const struct prom_listen *l, char *err, size_t errlen)
{
	struct prom_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage bound;
	socklen_t bound_len;
	int fd = -1, one = 1;

	if (!s) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		set_err(err, errlen, "--prometheus: socket: %s", strerror(errno));
		goto cleanup;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&l->addr, l->len) || listen(fd, MAX_CONNECTIONS)) {
		int e = errno;

		sockaddr_text(&l->addr, s->address, sizeof(s->address));
		set_err(err, errlen, "--prometheus: cannot listen on %s: %s", s->address,
			strerror(e));
		goto cleanup;
	}
	/* With port 0 the kernel picked one: say which. */
	bound_len = sizeof(bound);
	if (getsockname(fd, (struct sockaddr *)&bound, &bound_len))
		bound = l->addr;
	sockaddr_text(&bound, s->address, sizeof(s->address));
	s->daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, handle, s,
				     MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
				     MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
				     (unsigned int)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
				     (unsigned int)CONNECTION_TIMEOUT_S, MHD_OPTION_END);
	if (!s->daemon) {
		set_err(err, errlen, "--prometheus: cannot start the HTTP server on %s",
			s->address);
		goto cleanup;
	}
	/* The daemon owns the socket now and closes it when stopped. */
	return s;
cleanup:
	if (fd >= 0)
		close(fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

const char *prom_server_address(const struct prom_server *s)
{
	return s->address;
}

void prom_server_publish(struct prom_server *s, char *text, size_t len)
{
	struct snapshot *snap = malloc(sizeof(*snap)), *old;

	if (!snap) {
		/* Keep serving the previous text rather than none. */
		free(text);
		return;
	}
	atomic_init(&snap->refs, 1);
	snap->text = text;
	snap->len = len;
	pthread_mutex_lock(&s->lock);
	old = s->current;
	s->current = snap;
	pthread_mutex_unlock(&s->lock);
	snapshot_put(old);
}

void prom_server_stop(struct prom_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	snapshot_put(s->current);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
