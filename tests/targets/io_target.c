// SPDX-License-Identifier: MIT
/* Performs the I/O target_common.h describes, and nothing else. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include "targets/target_common.h"

static char buf[IO_BLOCK];

static int slow;

/* With "slow", a pause between phases so flushes land in the middle. */
static void phase_done(void)
{
	struct timespec nap = { 0, IO_SLOW_NAP_NS };

	if (slow)
		nanosleep(&nap, NULL);
}

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	char path[] = "/tmp/bpfprof-io-target-XXXXXX";
	struct iovec iov[2];
	struct mmsghdr mm[IO_MMSG_VLEN];
	struct iovec mmiov[IO_MMSG_VLEN];
	struct msghdr mh = {};
	int null_fd, zero_fd, tmp_fd, sv[2];

	for (int i = 1; i < argc; i++)
		slow |= !strcmp(argv[i], "slow");
	target_gate(argc, argv);
	null_fd = open("/dev/null", O_WRONLY);
	zero_fd = open("/dev/zero", O_RDONLY);
	tmp_fd = mkstemp(path);
	must(null_fd >= 0 && zero_fd >= 0 && tmp_fd >= 0, "open");
	unlink(path);
	must(!socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), "socketpair");

	for (int i = 0; i < IO_WRITES; i++)
		must(write(null_fd, buf, IO_WRITE_SIZE) == IO_WRITE_SIZE, "write");
	phase_done();
	for (int i = 0; i < IO_READS; i++)
		must(read(zero_fd, buf, IO_READ_SIZE) == IO_READ_SIZE, "read");
	for (int i = 0; i < IO_BAD_READS; i++)
		must(read(-1, buf, 1) < 0, "bad read");
	phase_done();
	for (int i = 0; i < IO_PWRITES; i++)
		must(pwrite(tmp_fd, buf, IO_BLOCK, (off_t)i * IO_BLOCK) == IO_BLOCK, "pwrite");
	for (int i = 0; i < IO_PREADS; i++)
		must(pread(tmp_fd, buf, IO_BLOCK, (off_t)i * IO_BLOCK) ==
			     (i < IO_PREADS - IO_PREADS_AT_EOF ? IO_BLOCK : 0),
		     "pread");
	phase_done();
	iov[0] = (struct iovec){ buf, 50 };
	iov[1] = (struct iovec){ buf + 50, 50 };
	for (int i = 0; i < IO_WRITEVS; i++)
		must(writev(null_fd, iov, 2) == 100, "writev");
	iov[0].iov_len = iov[1].iov_len = 64;
	for (int i = 0; i < IO_READVS; i++)
		must(readv(zero_fd, iov, 2) == 128, "readv");
	phase_done();
	for (int i = 0; i < IO_DGRAMS; i++) {
		must(sendto(sv[0], buf, IO_DGRAM_SIZE, 0, NULL, 0) == IO_DGRAM_SIZE, "sendto");
		must(recvfrom(sv[1], buf, IO_BLOCK, 0, NULL, NULL) == IO_DGRAM_SIZE, "recvfrom");
	}
	iov[0].iov_len = IO_MSG_SIZE;
	mh.msg_iov = iov;
	mh.msg_iovlen = 1;
	for (int i = 0; i < IO_MSGS; i++) {
		must(sendmsg(sv[0], &mh, 0) == IO_MSG_SIZE, "sendmsg");
		iov[0].iov_len = IO_BLOCK;
		must(recvmsg(sv[1], &mh, 0) == IO_MSG_SIZE, "recvmsg");
		iov[0].iov_len = IO_MSG_SIZE;
	}
	phase_done();
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < IO_MMSG_VLEN; i++) {
		mmiov[i] = (struct iovec){ buf + i * 64, IO_MMSG_SIZE };
		mm[i].msg_hdr.msg_iov = &mmiov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	must(sendmmsg(sv[0], mm, IO_MMSG_VLEN, 0) == IO_MMSG_VLEN, "sendmmsg");
	for (int i = 0; i < IO_MMSG_VLEN; i++)
		mmiov[i].iov_len = 64;
	must(recvmmsg(sv[1], mm, IO_MMSG_VLEN, 0, NULL) == IO_MMSG_VLEN, "recvmmsg");
	target_hold(argc, argv);
	return 0;
}
