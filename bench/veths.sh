#!/usr/bin/env bash
# How netscript's build time and memory grow with the lab: N veth pairs in
# one namespace (bench/veths.rhai), against one `ip -batch` of the same, each
# in a fresh sandbox. Prints time, peak memory and the ratio to the smallest
# N. Run as root:   bench/veths.sh [N...]   (default: 2500 5000 10000 20000)
# Environment: RUNS (default 3), NETSCRIPT (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

RUNS=${RUNS:-3}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(2500 5000 10000 20000)
prepare

measure() {
    local way=$1 n=$2
    settle
    case $way in
        netscript) sandboxed "
            t0=\$(now); /usr/bin/time -f '%M' -o $work/rss $NETSCRIPT $PWD/bench/veths.rhai pairs=$n 2>/dev/null; t1=\$(now)
            $NETSCRIPT down veths >/dev/null; t2=\$(now)
            echo \$(( (t1 - t0) / 1000 )) \$(( (t2 - t1) / 1000 )) \$(cat $work/rss)" ;;
        batch) for i in $(seq 0 $((n - 1))); do echo "link add a$i type veth peer name b$i"; done >"$work/veths.batch"
            sandboxed "t0=\$(now); ip -batch $work/veths.batch; t1=\$(now); echo \$(( (t1 - t0) / 1000 ))" ;;
    esac
}

echo "machine: $(nproc) cores, kernel $(uname -r); runs per cell: $RUNS (median)"
echo
printf '| veth pairs | netscript | down | peak memory | ip -batch | netscript / ip -batch | time / time at first N | N / first N |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n'
first_t=""; first_n=""
for n in "${SIZES[@]}"; do
    : >"$work/ns" >"$work/down" >"$work/mem" >"$work/ip"
    for _ in $(seq "$RUNS"); do
        read -r up down rss < <(measure netscript "$n")
        echo "$up" >>"$work/ns"; echo "$down" >>"$work/down"; echo "$rss" >>"$work/mem"
        measure batch "$n" >>"$work/ip"
    done
    ns=$(median <"$work/ns"); down=$(median <"$work/down"); mem=$(median <"$work/mem"); ip=$(median <"$work/ip")
    [ -n "$first_t" ] || { first_t=$ns; first_n=$n; }
    echo "| $n | $(secs "$ns") s | $(secs "$down") s | $((${mem%.*} / 1024)) MiB | $(secs "$ip") s | $(ratio "$ns" "$ip") | $(ratio "$ns" "$first_t") | $(ratio "$n" "$first_n") |"
done
