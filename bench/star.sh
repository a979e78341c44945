#!/usr/bin/env bash
# Builds the star lab (N namespaces on one bridge: veth, address, lo up,
# links up, default route) with netscript and with iproute2, each in a fresh
# sandbox, alternating, and prints median times and ratios measured in this
# one run; netscript's `down` against iproute2's fastest teardown of the lab
# netscript built (down_batches). Run as root:   bench/star.sh [N...]   (default: 100 500 1000)
# Environment: RUNS (default 3), NETSCRIPT (the binary; default: a release
# build of this tree), PER_STEP_MAX (largest N for the one-`ip`-per-step form,
# which takes about a minute at N=1000; default 1000), IPV6 (default true;
# false builds the hosts without IPv6, star.rhai's ipv6=false, and the
# iproute2 forms turn it off in each namespace the way a user would).
# `bench/star.sh --emit DIR N` writes the iproute2 forms for N into DIR
# (host.batch, ns$i.batch, steps.sh) and exits: the tests check that they
# build the same lab as star.rhai, so the comparison is like for like.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

# The lab as scripts/star.rhai builds it: bridge star0 with 10.10.0.1/16;
# host i is namespace h$i with eth0 = 10.10.0.0/16 host i+1, its peer h$i-br
# on star0.
addr() { local n=$(($1 + 1)); echo "10.10.$((n / 256)).$((n % 256))/16"; }

# The host side, one `ip -batch`: what the kernel cannot do much faster.
host_batch() {
    local n=$1
    echo "link add star0 type bridge"
    echo "addr add 10.10.0.1/16 dev star0"
    echo "link set star0 up"
    for i in $(seq "$n"); do
        echo "netns add h$i"
        echo "link add h$i-br type veth peer name eth0 netns h$i"
        echo "link set h$i-br master star0"
        echo "link set h$i-br up"
    done
}

# The fastest teardown iproute2 has for the lab netscript built: the host
# ends of the veths in one group deleted at once (which takes their peers
# along), then the namespaces.
down_batches() {
    for i in $(seq "$1"); do echo "link set h$i-br group 77"; done >"$work/group.batch"
    echo "link del group 77" >>"$work/group.batch"
    for i in $(seq "$1"); do echo "netns del h$i"; done >"$work/netns.batch"
}

IPV6=${IPV6:-true}
# What turns IPv6 off in namespace h$i, when IPV6=false.
ipv6_off() {
    [ "$IPV6" = false ] || return 0
    echo "ip netns exec h$1 sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6'"
}

# Each namespace's side, one `ip -n h$i -batch` per namespace.
ns_batch() {
    echo "link set lo up"
    echo "addr add $(addr "$1") dev eth0"
    echo "link set eth0 up"
    echo "route add default via 10.10.0.1"
}

# The tutorials' way: one `ip` per step.
per_step() {
    local n=$1
    echo "ip link add star0 type bridge"
    echo "ip addr add 10.10.0.1/16 dev star0"
    echo "ip link set star0 up"
    for i in $(seq "$n"); do
        echo "ip netns add h$i"
        ipv6_off "$i"
        echo "ip -n h$i link set lo up"
        echo "ip link add h$i-br type veth peer name eth0 netns h$i"
        echo "ip link set h$i-br master star0"
        echo "ip link set h$i-br up"
        echo "ip -n h$i addr add $(addr "$i") dev eth0"
        echo "ip -n h$i link set eth0 up"
        echo "ip -n h$i route add default via 10.10.0.1"
    done
}

if [ "${1:-}" = --emit ]; then
    dir=$2 n=$3
    host_batch "$n" >"$dir/host.batch"
    for i in $(seq "$n"); do ns_batch "$i" >"$dir/ns$i.batch"; ipv6_off "$i"; done >"$dir/ipv6_off.sh"
    per_step "$n" >"$dir/steps.sh"
    exit 0
fi

RUNS=${RUNS:-3}
PER_STEP_MAX=${PER_STEP_MAX:-1000}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 500 1000)
prepare
STAR=$PWD/scripts/star.rhai

# Prints the microseconds one way to build N takes ("down" too for netscript).
measure() {
    local way=$1 n=$2
    settle "$n"
    case $way in
        netscript) sandboxed "
            t0=\$(now); $NETSCRIPT $STAR hosts=$n ipv6=$IPV6 2>/dev/null; t1=\$(now)
            $NETSCRIPT down star >/dev/null; t2=\$(now)
            echo \$(( (t1 - t0) / 1000 )) \$(( (t2 - t1) / 1000 ))" ;;
        batch) host_batch "$n" >"$work/host.batch"
            for i in $(seq "$n"); do ns_batch "$i" >"$work/ns$i.batch"; ipv6_off "$i"; done >"$work/ipv6_off.sh"
            sandboxed "
            t0=\$(now); ip -batch $work/host.batch; bash -e $work/ipv6_off.sh
            for i in \$(seq $n); do ip -n h\$i -batch $work/ns\$i.batch; done; t1=\$(now)
            echo \$(( (t1 - t0) / 1000 ))" ;;
        down_floor) down_batches "$n"
            sandboxed "
            $NETSCRIPT $STAR hosts=$n ipv6=$IPV6 >/dev/null 2>&1
            t0=\$(now); ip -batch $work/group.batch; ip -batch $work/netns.batch; t1=\$(now)
            echo \$(( (t1 - t0) / 1000 ))" ;;
        floor) host_batch "$n" >"$work/host.batch"
            sandboxed "t0=\$(now); ip -batch $work/host.batch; t1=\$(now); echo \$(( (t1 - t0) / 1000 ))" ;;
        per_step) per_step "$n" >"$work/steps.sh"
            sandboxed "t0=\$(now); bash -e $work/steps.sh; t1=\$(now); echo \$(( (t1 - t0) / 1000 ))" ;;
    esac
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
echo "runs per cell: $RUNS (median); each build in a fresh sandbox; ways alternate within a run; IPv6 in the hosts: $IPV6"
echo
printf '| N | netscript | netscript down | ip -batch (fastest iproute2) | ip per step | host-side floor | netscript / ip -batch | netscript / floor | down / build | iproute2 down | down / iproute2 down |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
for n in "${SIZES[@]}"; do
    : >"$work/ns" >"$work/down" >"$work/batch" >"$work/floor" >"$work/steps" >"$work/down_floor"
    for _ in $(seq "$RUNS"); do
        read -r up down < <(measure netscript "$n"); echo "$up" >>"$work/ns"; echo "$down" >>"$work/down"
        measure batch "$n" >>"$work/batch"
        measure floor "$n" >>"$work/floor"
        measure down_floor "$n" >>"$work/down_floor"
        if [ "$n" -le "$PER_STEP_MAX" ]; then measure per_step "$n" >>"$work/steps"; fi
    done
    ns=$(median <"$work/ns"); down=$(median <"$work/down"); batch=$(median <"$work/batch"); floor=$(median <"$work/floor")
    down_floor=$(median <"$work/down_floor")
    steps=$( [ -s "$work/steps" ] && secs "$(median <"$work/steps")" || echo "-")
    echo "| $n | $(secs "$ns") s | $(secs "$down") s | $(secs "$batch") s | $steps s | $(secs "$floor") s | $(ratio "$ns" "$batch") | $(ratio "$ns" "$floor") | $(ratio "$down" "$ns") | $(secs "$down_floor") s | $(ratio "$down" "$down_floor") |"
    echo "$n $ns" >>"$work/scaling"
done

# Scaling: time at the largest N over time at the smallest.
if [ ${#SIZES[@]} -gt 1 ]; then
    first=$(head -1 "$work/scaling"); last=$(tail -1 "$work/scaling")
    echo
    echo "scaling: netscript at N=${last% *} takes $(ratio "${last#* }" "${first#* }") x its time at N=${first% *}"
fi

# Start-up, memory, and the big lab still works.
echo 'let x = 1;' >"$work/empty.rhai"
for _ in $(seq 21); do t0=$(date +%s%N); "$NETSCRIPT" "$work/empty.rhai"; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 )); done | median >"$work/empty"
echo "empty script, start to exit: $(awk -v us="$(cat "$work/empty")" 'BEGIN { printf "%.1f", us / 1000 }') ms (median of 21)"
# Time to the REPL's first prompt, through a pseudo-terminal.
python3 - "$NETSCRIPT" <<'PY'
import os, pty, select, statistics, sys, time
times = []
for _ in range(11):
    start = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[1], [sys.argv[1], "--sandbox"])
    seen = b""
    while b"> " not in seen:
        ready, _, _ = select.select([fd], [], [], 5)
        if not ready:
            break
        seen += os.read(fd, 1024)
    times.append(time.monotonic() - start)
    os.write(fd, b"\x04")
    os.waitpid(pid, 0)
print(f"REPL (--sandbox) to first prompt: {statistics.median(times) * 1000:.1f} ms (median of 11)")
PY
big=${SIZES[${#SIZES[@]}-1]}
sandboxed "
    /usr/bin/time -f '%M' -o $work/rss $NETSCRIPT $STAR hosts=$big 2>/dev/null
    echo \"peak memory at N=$big: \$(( \$(cat $work/rss) / 1024 )) MiB\"
    echo 'let r = netns(\"h1\").ping(\"$(addr "$big" | cut -d/ -f1)\", #{count: 3, timeout: 3}); print(\`ping h1 -> h$big: \${r.received}/\${r.sent} received\`);' >$work/ping.rhai
    $NETSCRIPT --lab check $work/ping.rhai"
