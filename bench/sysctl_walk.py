#!/usr/bin/env python3
"""What opening a namespace's IPv6 sysctl costs as namespaces add up.

Makes N network namespaces one after another (each kept alive by a bind
mount, as `ip netns add` does) and, in each new one, times opening the two
files netscript writes to turn IPv6 off, and /proc/sys/net alone. The
kernel keeps one cached /proc/sys dentry per namespace for "net/ipv6", all
in one hash chain, and a new namespace's first lookup walks all of them
before it makes its own: the cost grows with the namespaces already there.
Run as root, in a sandbox:
    unshare --net --mount --propagation private sh -c \\
      'mount -t tmpfs x /run && mkdir /run/netns && bench/sysctl_walk.py 1000'
"""
import ctypes
import os
import sys
import time

CLONE_NEWNET = 0x40000000
MS_BIND = 4096
libc = ctypes.CDLL(None, use_errno=True)


def opened(path):
    start = time.perf_counter()
    os.close(os.open(path, os.O_RDONLY))
    return time.perf_counter() - start


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    ipv6, net = [], []
    for i in range(n):
        if libc.unshare(CLONE_NEWNET) != 0:
            sys.exit(f"unshare: {os.strerror(ctypes.get_errno())}")
        net.append(opened("/proc/sys/net"))
        ipv6.append(sum(opened(f"/proc/sys/net/ipv6/conf/{s}/disable_ipv6") for s in ("all", "default")))
        keep = f"/run/netns/walk{i}"
        open(keep, "w").close()
        if libc.mount(b"/proc/self/ns/net", keep.encode(), None, MS_BIND, None) != 0:
            sys.exit(f"mount: {os.strerror(ctypes.get_errno())}")
    print("| namespaces before | IPv6 off (2 opens) | /proc/sys/net |")
    print("| --- | --- | --- |")
    step = max(n // 5, 1)
    for start in range(0, n, step):
        part = slice(start, min(start + 100, n))
        count = len(ipv6[part])
        print(f"| {start} to {start + count} | {sum(ipv6[part]) / count * 1e6:.0f} us "
              f"| {sum(net[part]) / count * 1e6:.0f} us |")
    print(f"all {n}: {sum(ipv6) * 1000:.0f} ms opening the IPv6 files, {sum(net) * 1000:.0f} ms /proc/sys/net")


if __name__ == "__main__":
    main()
