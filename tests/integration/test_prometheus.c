// SPDX-License-Identifier: MIT
/*
 * Integration: --prometheus end to end. bpfprof profiles the whole machine
 * with /metrics on a free loopback port, a real Prometheus (Debian's
 * package, temp config and storage, its own free port) scrapes it, io_target
 * does its known I/O, and queries through Prometheus's HTTP API must return
 * io_target's exact counts. Also: the real text passes promtool, only
 * /metrics is served, and the default bind is loopback.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/helper.h"
#include "targets/target_common.h"

/* What io_target wrote, in bytes (target_common.h). */
#define WRITTEN                                                                                    \
	(IO_WRITES * IO_WRITE_SIZE + IO_PWRITES * IO_BLOCK + IO_WRITEVS * 100 +                    \
	 IO_DGRAMS * IO_DGRAM_SIZE + IO_MSGS * IO_MSG_SIZE + IO_MMSG_VLEN * IO_MMSG_SIZE)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A port nobody listens on right now (the kernel's pick). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	if (port < 0)
		fail_msg("no free port: %s", strerror(errno));
	return port;
}

/*
 * GET with curl; the body in a malloc'd string, the status in *status.
 * query (may be NULL) is URL-encoded as ?query=...
 */
static char *http_get(const char *url, const char *query, const char *method, int *status)
{
	char cmd[2048], *body = NULL, *nl;
	size_t len = 0;
	FILE *p, *mem = open_memstream(&body, &len);
	int c;

	if (query)
		snprintf(cmd, sizeof(cmd),
			 "curl -sS -g -G --max-time 10 --data-urlencode 'query=%s' "
			 "-w '\\n%%{http_code}' '%s' 2>/dev/null",
			 query, url);
	else
		snprintf(cmd, sizeof(cmd),
			 "curl -sS -g --max-time 10 -X %s -w '\\n%%{http_code}' '%s' 2>/dev/null",
			 method, url);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((c = fgetc(p)) != EOF)
		fputc(c, mem);
	pclose(p);
	fclose(mem);
	nl = strrchr(body, '\n');
	*status = nl ? atoi(nl + 1) : 0;
	if (nl)
		*nl = '\0';
	return body;
}

struct prom {
	pid_t pid;
	int port;
	char url[64];
	char log[256];
};

/* What a test started, so a failed assertion still stops it (teardown). */
static struct {
	struct proc_run target, bpfprof;
	struct prom prom;
	char dir[64];
} run;

static void prom_stop(struct prom *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
}

static void show_log(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	print_error("%s:\n%s\n", path, buf);
}

/* Prometheus on a free loopback port, scraping target every second. */
static void prom_start(struct prom *p, const char *dir, const char *target)
{
	char cfg[256], data[256], listen[64], cfgarg[300], dataarg[300];
	FILE *f;

	snprintf(cfg, sizeof(cfg), "%s/prometheus.yml", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(p->log, sizeof(p->log), "%s/prometheus.log", dir);
	f = fopen(cfg, "w");
	assert_non_null(f);
	fprintf(f,
		"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
		"scrape_configs:\n  - job_name: bpfprof\n    static_configs:\n"
		"      - targets: ['%s']\n",
		target);
	fclose(f);
	snprintf(cfgarg, sizeof(cfgarg), "--config.file=%s", cfg);
	snprintf(dataarg, sizeof(dataarg), "--storage.tsdb.path=%s", data);
	/* The free port may be taken before Prometheus binds it: try again. */
	for (int attempt = 0; attempt < 3; attempt++) {
		double end;

		p->port = free_port();
		snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", p->port);
		snprintf(p->url, sizeof(p->url), "http://127.0.0.1:%d", p->port);
		p->pid = fork();
		assert_true(p->pid >= 0);
		if (p->pid == 0) {
			int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

			dup2(fd, 1);
			dup2(fd, 2);
			execlp("prometheus", "prometheus", cfgarg, dataarg, listen,
			       "--log.level=warn", (char *)NULL);
			_exit(127);
		}
		for (end = now() + 60; now() < end;) {
			char ready[128];
			int status = 0;
			char *b;

			if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
				p->pid = 0;
				break;
			}
			snprintf(ready, sizeof(ready), "%s/-/ready", p->url);
			b = http_get(ready, NULL, "GET", &status);
			free(b);
			if (status == 200)
				return;
			usleep(200000);
		}
		prom_stop(p);
	}
	show_log(p->log);
	fail_msg("Prometheus did not start (log above)");
}

/* Replace every `from` in s (at most len bytes) with `to`. */
static void replace_all(char *s, size_t len, const char *from, const char *to)
{
	char tmp[2048], *at;

	while ((at = strstr(s, from))) {
		snprintf(tmp, sizeof(tmp), "%s", at + strlen(from));
		snprintf(at, len - (size_t)(at - s), "%s%s", to, tmp);
	}
}

/* Every query of the shipped Grafana dashboard is valid PromQL to a real
 * Prometheus (with Grafana's variables filled in), and the shipped scrape
 * config passes promtool. */
static void check_shipped_docs(struct prom *p)
{
	const char *src = getenv("BPFPROF_SRC") ? getenv("BPFPROF_SRC") : ".";
	char path[512], url[128], q[2048], cmd[600];
	json_t *dash, *panel, *target;
	size_t i, k;
	int n = 0;

	snprintf(path, sizeof(path), "%s/docs/prometheus.yml", src);
	snprintf(cmd, sizeof(cmd), "promtool check config %s >/dev/null", path);
	if (system(cmd) != 0)
		fail_msg("promtool check config rejected %s", path);
	snprintf(path, sizeof(path), "%s/docs/grafana-dashboard.json", src);
	dash = helper_load_json(path);
	assert_non_null(dash);
	snprintf(url, sizeof(url), "%s/api/v1/query", p->url);
	json_array_foreach (json_object_get(dash, "panels"), i, panel) {
		json_array_foreach (json_object_get(panel, "targets"), k, target) {
			int status;
			char *body;

			snprintf(q, sizeof(q), "%s",
				 json_string_value(json_object_get(target, "expr")));
			replace_all(q, sizeof(q), "$__rate_interval", "5s");
			replace_all(q, sizeof(q), "$instance", ".*");
			replace_all(q, sizeof(q), "$comm", ".*");
			assert_null(strchr(q, '\'')); /* it goes to curl in single quotes */
			body = http_get(url, q, NULL, &status);
			if (status != 200 || !strstr(body, "\"status\":\"success\""))
				fail_msg("dashboard query %s: HTTP %d %s", q, status, body);
			free(body);
			n++;
		}
	}
	assert_true(n >= 10);
	json_decref(dash);
}

/* The single value of an instant query; -1 when it returns no series. */
static double prom_query(struct prom *p, const char *q)
{
	char url[128];
	int status;
	char *body;
	json_t *j, *res;
	double v = -1;

	snprintf(url, sizeof(url), "%s/api/v1/query", p->url);
	body = http_get(url, q, NULL, &status);
	if (status != 200)
		fail_msg("query %s: HTTP %d: %s", q, status, body);
	j = json_loads(body, 0, NULL);
	assert_non_null(j);
	res = json_object_get(json_object_get(j, "data"), "result");
	if (json_array_size(res) > 1)
		fail_msg("query %s: %zu series, expected one: %s", q, json_array_size(res), body);
	if (json_array_size(res) == 1)
		v = strtod(json_string_value(json_array_get(
				   json_object_get(json_array_get(res, 0), "value"), 1)),
			   NULL);
	json_decref(j);
	free(body);
	return v;
}

/* The query (printf-formatted) returns exactly want through Prometheus. */
static void __attribute__((format(printf, 3, 4)))
expect_query(struct prom *p, double want, const char *fmt, ...)
{
	char q[512];
	double got;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	got = prom_query(p, q);
	if (got != want)
		fail_msg("%s = %.0f through Prometheus, expected %.0f", q, got, want);
}

/* The value of a sample line "name value" in an exposition text. */
static long long sample_value(const char *text, const char *name)
{
	char needle[128];
	const char *at;

	snprintf(needle, sizeof(needle), "\n%s ", name);
	at = strstr(text, needle);
	return at ? atoll(at + strlen(needle)) : -1;
}

/* The listening socket on port is bound to 127.0.0.1 (/proc/net/tcp). */
static bool listens_on_loopback_only(int port)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512], want[32];
	bool found = false, other = false;

	assert_non_null(f);
	snprintf(want, sizeof(want), ":%04X ", port);
	while (fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned int st;

		if (sscanf(line, "%*d: %63s %*s %X", local, &st) != 2 || st != 0x0A)
			continue;
		strcat(local, " ");
		if (!strstr(local, want))
			continue;
		if (!strncmp(local, "0100007F:", 9))
			found = true;
		else
			other = true;
	}
	fclose(f);
	return found && !other;
}

static void test_prometheus_scrapes_exact_counts(void **state)
{
	char *dir = run.dir, bin[256], target[256], url[128], addr[64], path[300], cmd[400];
	struct proc_run *tp = &run.target, *rp = &run.bpfprof;
	struct prom *pp = &run.prom;
	const char *at;
	char *body;
	int status, port;
	long long flushes;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(run.dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/io_target");
	char *argv[] = { bin, "-i", "0.5", "--prometheus", "0", NULL };
	char *targv[] = { target, "gate", NULL };

	assert_int_equal(helper_spawn(tp, targv, true, -1), 0);
	assert_int_equal(helper_spawn(rp, argv, false, -1), 0);
	if (!helper_wait_stderr(rp, "profiling all processes", 30))
		fail_msg("bpfprof did not start: %s", rp->err);
	at = strstr(rp->err, "serving metrics on http://");
	assert_non_null(at);
	assert_int_equal(sscanf(at, "serving metrics on http://%63[^/]", addr), 1);
	/* No address given: loopback only. */
	assert_true(!strncmp(addr, "127.0.0.1:", 10));
	port = atoi(addr + 10);
	assert_true(port > 0);
	assert_true(listens_on_loopback_only(port));

	/* Only GET /metrics. */
	snprintf(url, sizeof(url), "http://%s/", addr);
	free(http_get(url, NULL, "GET", &status));
	assert_int_equal(status, 404);
	snprintf(url, sizeof(url), "http://%s/metricsx", addr);
	free(http_get(url, NULL, "GET", &status));
	assert_int_equal(status, 404);
	snprintf(url, sizeof(url), "http://%s/metrics", addr);
	free(http_get(url, NULL, "POST", &status));
	assert_int_equal(status, 405);

	prom_start(pp, dir, addr);
	helper_send(tp, "g");
	assert_int_equal(helper_wait_exit(tp, 30), 0);

	/* io_target is done: the flush after this scrape holds all of it. */
	body = http_get(url, NULL, "GET", &status);
	assert_int_equal(status, 200);
	flushes = sample_value(body, "bpfprof_flushes_total");
	assert_true(flushes >= 0);
	/* The real text of a whole machine passes promtool too. */
	snprintf(path, sizeof(path), "%s/metrics.txt", dir);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(body, f);
		fclose(f);
	}
	free(body);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	if (system(cmd) != 0)
		fail_msg("promtool check metrics rejected %s", path);

	for (double end = now() + 60;;) {
		if (prom_query(pp, "bpfprof_flushes_total") > (double)flushes)
			break;
		if (now() > end) {
			show_log(pp->log);
			fail_msg("Prometheus never scraped a flush after flush %lld", flushes);
		}
		usleep(250000);
	}
	expect_query(pp, 1, "up{job=\"bpfprof\"}");
	expect_query(pp, IO_WRITES,
		     "bpfprof_syscalls_total{pid=\"%d\",comm=\"io_target\",syscall=\"write\"}",
		     tp->pid);
	expect_query(pp, IO_READS + IO_BAD_READS,
		     "bpfprof_syscalls_total{pid=\"%d\",syscall=\"read\"}", tp->pid);
	expect_query(pp, IO_BAD_READS, "bpfprof_syscall_errors_total{pid=\"%d\",syscall=\"read\"}",
		     tp->pid);
	expect_query(pp, 1, "bpfprof_syscalls_total{pid=\"%d\",syscall=\"exit_group\"}", tp->pid);
	expect_query(pp, (IO_PREADS - IO_PREADS_AT_EOF) * IO_BLOCK,
		     "bpfprof_io_bytes_total{pid=\"%d\",syscall=\"pread64\"}", tp->pid);
	expect_query(pp, WRITTEN, "sum(bpfprof_io_bytes_total{pid=\"%d\",direction=\"write\"})",
		     tp->pid);
	expect_query(pp, IO_WRITES,
		     "bpfprof_syscall_duration_seconds_count{pid=\"%d\",syscall=\"write\"}",
		     tp->pid);
	expect_query(pp, IO_READVS,
		     "bpfprof_syscall_duration_seconds_bucket{pid=\"%d\",syscall=\"readv\","
		     "le=\"+Inf\"}",
		     tp->pid);
	/* Buckets are cumulative: the one at 68.7 s holds every write too. */
	expect_query(pp, IO_WRITES,
		     "bpfprof_syscall_duration_seconds_bucket{pid=\"%d\",syscall=\"write\","
		     "le=\"68.719476735\"}",
		     tp->pid);
	check_shipped_docs(pp);
	/* Losses (other processes may cause some machine-wide) add up. */
	expect_query(pp, 0,
		     "bpfprof_lost_total - on() sum(bpfprof_audit_events_total{loss=\"true\"})");

	kill(rp->pid, SIGINT);
	assert_int_equal(helper_wait_exit(rp, 30), 0);
	/* Once bpfprof is gone, so is the port. */
	free(http_get(url, NULL, "GET", &status));
	assert_int_equal(status, 0);
	prom_stop(pp);
}

/* An address in use is one clear line, exit 1, nothing started. */
static void test_port_in_use(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	char bin[256], spec[32], dir[64], out[128];
	struct proc_run r;
	int fd;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", ntohs(a.sin_port));
	helper_path(bin, sizeof(bin), "bpfprof");
	char *argv[] = { bin, "--prometheus", spec, "-o", out, "-d", "1", NULL };

	assert_int_equal(helper_run(argv, 30, &r), 1);
	assert_non_null(strstr(r.err, "bpfprof: --prometheus: cannot listen on 127.0.0.1:"));
	assert_non_null(strstr(r.err, "Address already in use"));
	/* One line. */
	assert_true(r.err_len > 0 && strchr(r.err, '\n') == r.err + r.err_len - 1);
	assert_false(helper_exists(out));
	close(fd);
	helper_rmtree(dir);
}

static int stop_all(void **state)
{
	struct proc_run *procs[] = { &run.bpfprof, &run.target };

	for (int i = 0; i < 2; i++) {
		if (procs[i]->pid <= 0 || waitpid(procs[i]->pid, NULL, WNOHANG) != 0)
			continue;
		kill(procs[i]->pid, i == 0 ? SIGINT : SIGKILL);
		helper_wait_exit(procs[i], 30);
	}
	prom_stop(&run.prom);
	if (run.dir[0])
		helper_rmtree(run.dir);
	memset(&run, 0, sizeof(run));
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test_teardown(test_prometheus_scrapes_exact_counts, stop_all),
	};

	return cmocka_run_group_tests_name("integration_prometheus", tests, NULL, NULL);
}
