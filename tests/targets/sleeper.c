// SPDX-License-Identifier: MIT
/* Sleeps in short naps until killed or until argv[1] seconds have passed:
 * a target that is alive and makes few syscalls. */
#include <time.h>
#include "targets/target_common.h"

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 30;
	struct timespec nap = { 0, 50 * 1000 * 1000 };

	for (double t = 0; t < secs; t += 0.05)
		nanosleep(&nap, NULL);
	return 0;
}
