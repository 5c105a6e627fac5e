// SPDX-License-Identifier: MIT
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cost/probe_recheck.h"

static void sort_doubles(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static double median(double *v, int n)
{
	sort_doubles(v, n);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Sleeps until the next period or a stop; false when stopped. */
static bool wait_period(struct probe_recheck *r)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += RECHECK_PERIOD_S;
	pthread_mutex_lock(&r->lock);
	while (!r->stop && pthread_cond_timedwait(&r->wake, &r->lock, &until) != ETIMEDOUT)
		;
	stop = r->stop;
	pthread_mutex_unlock(&r->lock);
	return !stop;
}

static void *recheck_thread(void *arg)
{
	struct probe_recheck *r = arg;
	double three[3][PROBE_MECHS], now[PROBE_MECHS];
	cpu_set_t cpus;

	/* Where the target runs, as the calibration did. */
	if (r->target > 0 && !sched_getaffinity(r->target, sizeof(cpus), &cpus))
		sched_setaffinity(0, sizeof(cpus), &cpus);
	for (int i = 0; i < 3; i++)
		machinery_measure(&r->mp, three[i]);
	pthread_mutex_lock(&r->lock);
	for (int m = 0; m < PROBE_MECHS; m++) {
		double v[3] = { three[0][m], three[1][m], three[2][m] };

		r->base[m] = r->last[m] = r->min[m] = r->max[m] = median(v, 3);
	}
	r->have_base = true;
	pthread_mutex_unlock(&r->lock);
	while (wait_period(r)) {
		machinery_measure(&r->mp, now);
		pthread_mutex_lock(&r->lock);
		for (int m = 0; m < PROBE_MECHS; m++) {
			r->recent[r->measured % RECHECK_KEEP][m] = now[m];
			r->last[m] = now[m];
			if (now[m] < r->min[m])
				r->min[m] = now[m];
			if (now[m] > r->max[m])
				r->max[m] = now[m];
		}
		r->measured++;
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

int probe_recheck_open(struct probe_recheck *r, enum uprobe_link_kind link_kind,
		       const bool mechs[PROBE_MECHS], pid_t target, char *err, size_t errlen)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->target = target;
	if ((rc = machinery_open(&r->mp, link_kind, mechs, err, errlen)))
		return rc;
	r->opened = true;
	return 0;
}

int probe_recheck_run(struct probe_recheck *r, char *err, size_t errlen)
{
	int rc;

	if (!r->opened)
		return 0;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	rc = pthread_create(&r->thread, NULL, recheck_thread, r);
	if (rc) {
		snprintf(err, errlen, "cannot start the thread that times the probes again: %s",
			 strerror(rc));
		machinery_close(&r->mp);
		r->opened = false;
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		return -rc;
	}
	r->running = r->inited = true;
	return 0;
}

bool probe_recheck_delta(struct probe_recheck *r, unsigned int m, double *delta)
{
	double v[RECHECK_KEEP];
	int n;
	bool ok;

	if (!r->inited || m >= PROBE_MECHS)
		return false;
	pthread_mutex_lock(&r->lock);
	n = r->measured < RECHECK_KEEP ? (int)r->measured : RECHECK_KEEP;
	ok = r->have_base && r->base[m] >= 0;
	for (int i = 0; i < n; i++)
		v[i] = r->recent[i][m];
	if (ok)
		*delta = n ? median(v, n) - r->base[m] : 0;
	pthread_mutex_unlock(&r->lock);
	return ok;
}

bool probe_recheck_figures(struct probe_recheck *r, unsigned int m, double *base, double *last,
			   double *min, double *max, unsigned int *measured)
{
	bool ok;

	if (!r->inited || m >= PROBE_MECHS)
		return false;
	pthread_mutex_lock(&r->lock);
	ok = r->have_base && r->base[m] >= 0;
	*base = r->base[m];
	*last = r->last[m];
	*min = r->min[m];
	*max = r->max[m];
	*measured = r->measured;
	pthread_mutex_unlock(&r->lock);
	return ok;
}

void probe_recheck_stop(struct probe_recheck *r)
{
	if (r->opened && !r->running)
		machinery_close(&r->mp);
	r->opened = false;
	if (!r->running)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	r->running = false;
	machinery_close(&r->mp);
}
