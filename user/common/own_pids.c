// SPDX-License-Identifier: MIT
#include <unistd.h>
#include "common/own_pids.h"

/* A handful at most: the stats helper, and room for more. */
#define MAX_OWN_PIDS 8

static pid_t own[MAX_OWN_PIDS];

void own_pids_add(pid_t pid)
{
	for (int i = 0; i < MAX_OWN_PIDS; i++)
		if (!own[i] || own[i] == pid) {
			own[i] = pid;
			return;
		}
}

void own_pids_remove(pid_t pid)
{
	for (int i = 0; i < MAX_OWN_PIDS; i++)
		if (own[i] == pid)
			own[i] = 0;
}

bool own_pid(pid_t pid)
{
	if (pid == getpid())
		return true;
	for (int i = 0; i < MAX_OWN_PIDS; i++)
		if (own[i] && own[i] == pid)
			return true;
	return false;
}
