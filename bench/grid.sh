#!/usr/bin/env bash
# Builds the grid lab (scripts/grid.rhai: rows x cols router namespaces,
# each joined to its right and lower neighbour by a veth, an address per
# link end, forwarding on) with netscript and with its fastest iproute2
# form, each in a fresh sandbox, alternating, and prints median times and
# ratios measured in this one run. Run as root:   bench/grid.sh [SIDE...]
# (default: 16 32; a side of 32 is 1024 routers and 1984 links).
# Environment: RUNS (default 3), NETSCRIPT (default: a release build of this
# tree), IPV6 (default true; false: IPv6 off in the routers, both ways).
# `bench/grid.sh --emit DIR SIDE` writes the iproute2 form into DIR
# (netns.batch, links.batch, r$R-$C.batch, sysctl.sh) and exits: a test
# checks that it builds the same lab as grid.rhai.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

IPV6=${IPV6:-true}

# Link k's two addresses: 10.0.0.0/8 host 4k+1 and 4k+2, each a /30.
addr() { local v=$((4 * $1 + $2)); echo "10.$((v >> 16 & 255)).$((v >> 8 & 255)).$((v & 255))/30"; }

# The links in grid.rhai's order: "a a_dev b b_dev".
links() {
    local side=$1 r c
    for r in $(seq "$side"); do for c in $(seq $((side - 1))); do echo "r$r-$c e r$r-$((c + 1)) w"; done; done
    for r in $(seq $((side - 1))); do for c in $(seq "$side"); do echo "r$r-$c s r$((r + 1))-$c n"; done; done
}

# The fastest iproute2 form: one `ip -batch` makes the namespaces, one more
# the veths (both ends born in their namespaces), one `ip -n NS -batch` per
# router its addresses and ups, and `ip -all netns exec` the sysctls.
emit() {
    local dir=$1 side=$2 k=0 r c a ad b bd
    for r in $(seq "$side"); do for c in $(seq "$side"); do
        echo "netns add r$r-$c"
        echo "link set lo up" >"$dir/r$r-$c.batch"
    done; done >"$dir/netns.batch"
    : >"$dir/links.batch"
    while read -r a ad b bd; do
        echo "link add $ad netns $a type veth peer name $bd netns $b" >>"$dir/links.batch"
        echo "addr add $(addr $k 1) dev $ad" >>"$dir/$a.batch"
        echo "addr add $(addr $k 2) dev $bd" >>"$dir/$b.batch"
        echo "link set dev $ad up" >>"$dir/$a.batch"
        echo "link set dev $bd up" >>"$dir/$b.batch"
        k=$((k + 1))
    done < <(links "$side")
    {
        if [ "$IPV6" = false ]; then
            echo "ip -all netns exec sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null"
        fi
    } >"$dir/ipv6_off.sh"
    echo "ip -all netns exec sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null" >"$dir/sysctl.sh"
}

build_iproute2() {
    local dir=$1 side=$2
    echo "ip -batch $dir/netns.batch; bash -e $dir/ipv6_off.sh; ip -batch $dir/links.batch
          for f in $dir/r*-*.batch; do n=\${f##*/}; ip -n \${n%.batch} -batch \$f; done; bash -e $dir/sysctl.sh"
}

if [ "${1:-}" = --emit ]; then
    emit "$2" "$3"
    echo "$(build_iproute2 "$2" "$3")" >"$2/build.sh"
    exit 0
fi

RUNS=${RUNS:-3}
SIDES=("$@")
[ ${#SIDES[@]} -gt 0 ] || SIDES=(16 32)
prepare
GRID=$PWD/scripts/grid.rhai

measure() {
    local way=$1 side=$2
    settle
    case $way in
        netscript) sandboxed "
            t0=\$(now); $NETSCRIPT $GRID rows=$side cols=$side ipv6=$IPV6 2>/dev/null; t1=\$(now)
            $NETSCRIPT down grid >/dev/null; t2=\$(now)
            echo \$(( (t1 - t0) / 1000 )) \$(( (t2 - t1) / 1000 ))" ;;
        iproute2) rm -rf "$work/emit"; mkdir "$work/emit"; emit "$work/emit" "$side"
            sandboxed "t0=\$(now); $(build_iproute2 "$work/emit" "$side"); t1=\$(now); echo \$(( (t1 - t0) / 1000 ))" ;;
    esac
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
echo "runs per cell: $RUNS (median); each build in a fresh sandbox; ways alternate within a run; IPv6 in the routers: $IPV6"
echo
printf '| side | routers | links | netscript | netscript down | fastest iproute2 | netscript / iproute2 | down / build |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n'
for side in "${SIDES[@]}"; do
    : >"$work/ns" >"$work/down" >"$work/ip"
    for _ in $(seq "$RUNS"); do
        read -r up down < <(measure netscript "$side"); echo "$up" >>"$work/ns"; echo "$down" >>"$work/down"
        measure iproute2 "$side" >>"$work/ip"
    done
    ns=$(median <"$work/ns"); down=$(median <"$work/down"); ip=$(median <"$work/ip")
    echo "| $side | $((side * side)) | $((2 * side * (side - 1))) | $(secs "$ns") s | $(secs "$down") s | $(secs "$ip") s | $(ratio "$ns" "$ip") | $(ratio "$down" "$ns") |"
done
