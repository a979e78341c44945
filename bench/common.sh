# Shared by the benchmarks: sandboxes, settling, medians and ratios.
# Sourced, not run.

# Runs a shell snippet in a fresh sandbox; the snippet prints its timings.
sandboxed() {
    unshare --net --mount --propagation private bash -c "
        set -e
        mount -t tmpfs bench /run && mkdir -p /run/netns
        ip link set lo up
        now() { date +%s%N; }
        $1"
}

# The kernel frees a sandbox's namespaces after it exits, in the background:
# let that finish before the next measurement, or it competes for the CPU.
# Done when the count of namespace objects (slabinfo) holds still for a
# second; at least 1 s, at most 60 s.
netns_objects() { awk '$1 == "net_namespace" { print $2 }' /proc/slabinfo 2>/dev/null; }
settle() {
    local last now
    sleep 1
    last=$(netns_objects)
    for _ in $(seq 60); do
        sleep 1
        now=$(netns_objects)
        [ "$now" = "$last" ] && break
        last=$now
    done
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
secs() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }


# The binary to time (a release build, unless NETSCRIPT names one) and a
# work directory removed on exit: $NETSCRIPT and $work.
prepare() {
    if [ -z "${NETSCRIPT:-}" ]; then
        cargo build --release --quiet
        NETSCRIPT=$PWD/target/release/netscript
    fi
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
}
