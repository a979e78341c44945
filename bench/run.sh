#!/usr/bin/env bash
# Every benchmark in one run, each against its iproute2 baseline measured in
# the same run: the star (IPv6 on and off), the grid, and veth scaling.
# Run as root:   bench/run.sh      (about 16 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
export NETSCRIPT=$PWD/target/release/netscript
echo "## star, IPv6 on"; bench/star.sh
echo; echo "## star, IPv6 off"; IPV6=false PER_STEP_MAX=0 bench/star.sh
echo; echo "## grid, IPv6 on"; bench/grid.sh
echo; echo "## grid, IPv6 off"; IPV6=false bench/grid.sh
echo; echo "## veth pairs"; bench/veths.sh
