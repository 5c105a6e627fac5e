// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/errmsg.h"
#include "run/privileges.h"

#define MAX_KEPT 4

/* Effective and permitted hold exactly caps[0..n). */
static int set_caps(const cap_value_t *caps, int n)
{
	cap_t c = cap_init();
	int rc = -1;

	if (!c)
		return -1;
	if (n && (cap_set_flag(c, CAP_EFFECTIVE, n, caps, CAP_SET) ||
		  cap_set_flag(c, CAP_PERMITTED, n, caps, CAP_SET)))
		goto cleanup;
	rc = cap_set_proc(c);
cleanup:
	cap_free(c);
	return rc;
}

static bool in(const cap_value_t *caps, int n, cap_value_t v)
{
	for (int i = 0; i < n; i++)
		if (caps[i] == v)
			return true;
	return false;
}

/* Whether bpfprof's user may create files in dirfd without the DAC
 * capabilities: asks the kernel (permission bits, ACLs) with them out of
 * the effective set for a moment (still permitted, so they come back). */
static int dir_needs_dac_override(int dirfd, bool *need)
{
	static const cap_value_t dac[] = { CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH };
	cap_t c = cap_get_proc(), saved = cap_dup(c);
	int rc = -1;

	if (!c || !saved || cap_set_flag(c, CAP_EFFECTIVE, 2, dac, CAP_CLEAR) || cap_set_proc(c))
		goto cleanup;
	*need = faccessat(dirfd, ".", W_OK | X_OK, AT_EACCESS) != 0;
	rc = cap_set_proc(saved);
cleanup:
	cap_free(c);
	cap_free(saved);
	return rc;
}

int privileges_drop(const struct priv_needs *needs, char *kept, size_t keptlen, char *err,
		    size_t errlen)
{
	cap_value_t keep[MAX_KEPT];
	bool dac = false;
	int n = 0, ret = -1;
	size_t used = 0;

	if (needs->output_dirfd >= 0 && dir_needs_dac_override(needs->output_dirfd, &dac)) {
		set_err(err, errlen, "checking the output directory's permissions: %s",
			strerror(errno));
		goto cleanup;
	}
	if (needs->proc_io || needs->proc_maps) {
		keep[n++] = CAP_SYS_PTRACE;
		keep[n++] = CAP_DAC_READ_SEARCH;
	}
	if (dac)
		keep[n++] = CAP_DAC_OVERRIDE;
	if (needs->low_port)
		keep[n++] = CAP_NET_BIND_SERVICE;
	/* The bounding set first, so no later exec regains anything: this
	 * needs CAP_SETPCAP, which goes next. */
	for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++) {
		if (in(keep, n, v) || !CAP_IS_SUPPORTED(v))
			continue;
		if (cap_drop_bound(v)) {
			set_err(err, errlen, "dropping %d from the bounding set: %s", (int)v,
				strerror(errno));
			goto cleanup;
		}
	}
	if (cap_reset_ambient() && errno != EINVAL) {
		set_err(err, errlen, "clearing the ambient capabilities: %s", strerror(errno));
		goto cleanup;
	}
	if (set_caps(keep, n)) {
		set_err(err, errlen, "setting capabilities: %s", strerror(errno));
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (kept && keptlen) {
		kept[0] = '\0';
		for (int i = 0; i < n && !ret; i++) {
			char *name = cap_to_name(keep[i]);

			if (used < keptlen)
				used += (size_t)snprintf(kept + used, keptlen - used, "%s%s",
							 i ? "," : "", name ? name : "?");
			cap_free(name);
		}
		if (!kept[0])
			snprintf(kept, keptlen, "%s", ret ? "unchanged" : "none");
	}
	return ret;
}
