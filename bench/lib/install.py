"""What runs: the peers from Debian, the workload and the floor from bench/."""
import os
import subprocess

from lib.common import BENCH, BUILD, FLOOR, ROOT, WORKLOAD, log, sh

PEER_PACKAGES = ["bpftrace", "strace", "linux-perf", "libbpf-tools"]


def install_peers():
    missing = []
    for p in PEER_PACKAGES:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True)
        if "install ok installed" not in r.stdout:
            missing.append(p)
    if missing:
        log("installing", " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        r = subprocess.run(["apt-get", "install", "-y", "-qq"] + missing, env=env)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env)
            subprocess.run(["apt-get", "install", "-y", "-qq"] + missing, env=env)


def build():
    os.makedirs(BUILD, exist_ok=True)
    wl_flags = ["-O1", "-g", "-fno-omit-frame-pointer", "-fcf-protection=none", "-Wall", "-Werror"]
    sh(["gcc"] + wl_flags + ["-o", WORKLOAD, os.path.join(BENCH, "workloads", "workload.c")])
    bpf_o = os.path.join(BUILD, "floor.bpf.o")
    sh(["clang", "-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_x86",
        "-I" + os.path.join(ROOT, "vmlinux"), "-Wall", "-Werror",
        "-c", os.path.join(BENCH, "floor.bpf.c"), "-o", bpf_o])
    with open(os.path.join(BUILD, "floor.skel.h"), "w") as f:
        sh(["bpftool", "gen", "skeleton", bpf_o], stdout=f)
    sh(["gcc", "-O2", "-g", "-Wall", "-Werror", "-I" + BUILD, os.path.join(BENCH, "floor.c"),
        "-lbpf", "-lelf", "-lz", "-o", FLOOR])


def build_many(n):
    """A program with n functions bench_f0..bench_f{n-1}, each opening with
    push %rbp, that waits on stdin and calls none of them."""
    src = os.path.join(BUILD, "many_%d.c" % n)
    exe = os.path.join(BUILD, "many_%d" % n)
    if os.path.exists(exe):
        return exe
    with open(src, "w") as f:
        f.write("#include <unistd.h>\nvolatile int sink;\n"
                "__attribute__((noinline)) int bench_leaf(int x) { sink = x; return x + 1; }\n")
        for i in range(n):
            f.write("__attribute__((noinline)) int bench_f%d(int x) { return bench_leaf(x + %d) * 3; }\n"
                    % (i, i))
        f.write("int main(void) { char c; return read(0, &c, 1) < 0; }\n")
    sh(["gcc", "-O1", "-fno-omit-frame-pointer", "-fcf-protection=none", "-o", exe, src])
    return exe
