#!/bin/sh
# Instructions per request of bench/http/begin.micro.ts under callgrind: two runs that differ only in
# loop length (N1, N2 requests after the same warm-up), divided. Independent of machine load.
#   bench/http/instructions.sh                       # VARIANT, STORE, WORKLOAD, SEED as in begin.micro.ts
set -eu
N1=${N1:-2000}
N2=${N2:-6000}
dir=$(mktemp -d)
count() {
  N=$1 ROUNDS=1 WARMUP=${WARMUP:-5000} valgrind --tool=callgrind --callgrind-out-file="$dir/cg.$1" \
    node --import tsx --conditions=tessera-source "$(dirname "$0")/begin.micro.ts" >/dev/null 2>"$dir/log.$1"
  grep -E '^summary:|^totals:' "$dir/cg.$1" | head -1 | awk '{print $2}'
}
a=$(count "$N1")
b=$(count "$N2")
echo "${VARIANT:-tessera} ${STORE:-memory} ${WORKLOAD:-realistic}: $(( (b - a) / (N2 - N1) )) instructions/request (callgrind, $dir)"
