#!/usr/bin/busybox sh
# /init of the kernel-matrix VM (tests/support/vm): mounts what a Linux
# system has, runs the integration test binary with the arguments given in
# NETSCRIPT_VM_ARGS (comma-separated, on the kernel's command line), prints
# its exit status as a marker line the harness reads from the serial
# console, and powers off.
bb=/usr/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
$bb mkdir -p /dev/pts /dev/shm
$bb mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
$bb mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# No udev: the node whose open loads tun (char-major-10-200).
$bb mkdir -p /dev/net
$bb mknod -m 666 /dev/net/tun c 10 200
$bb ln -sf /proc/self/fd /dev/fd
$bb ln -sf /proc/self/fd/0 /dev/stdin
$bb ln -sf /proc/self/fd/1 /dev/stdout
$bb ln -sf /proc/self/fd/2 /dev/stderr
$bb mount -t tmpfs -o mode=755 tmpfs /run
$bb mount -t tmpfs -o mode=1777 tmpfs /tmp
$bb mount -t tmpfs -o mode=1777 tmpfs /var/tmp
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/libexec/netscript-vm/busybox
export HOME=/root NETSCRIPT_IN_VM=1 RUST_BACKTRACE=1
# The kernel gives init TERM=linux; the tests get the harness's TERM, or none.
unset TERM
if [ -n "$NETSCRIPT_VM_TERM" ]; then export TERM="$NETSCRIPT_VM_TERM"; fi
unset NETSCRIPT_VM_TERM
. /netscript-vm/env
export NETSCRIPT_VM_KERNEL
$bb hostname netscript-vm
ip link set lo up
# Kernel messages stay in dmesg, off the console the harness parses.
$bb dmesg -n 1
# Not autoloaded: bridge netfilter, so bridged traffic meets nftables as on
# a Docker host.
for module in $(echo "$NETSCRIPT_VM_LOAD" | $bb tr , ' '); do modprobe "$module" || echo "cannot load $module"; done
echo "@@netscript-vm booted uptime=$($bb cut -d' ' -f1 /proc/uptime) kernel=$($bb uname -r)"
cd "$TEST_DIR" || echo "cannot cd to $TEST_DIR"
set -f
IFS=,
set -- $NETSCRIPT_VM_ARGS
unset IFS NETSCRIPT_VM_ARGS
set +f
"$TEST_BIN" "$@" </dev/null 2>&1 &
wait $!
rc=$?
if [ "$rc" != 0 ]; then
    echo "--- dmesg (last 40 lines) ---"
    $bb dmesg | $bb tail -n 40
fi
echo "@@netscript-vm exit=$rc uptime=$($bb cut -d' ' -f1 /proc/uptime)"
$bb sync
$bb poweroff -f
