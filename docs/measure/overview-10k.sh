#!/bin/sh
# Measures the generated overview of a 10,000-tag project (20 simulated
# devices x 500 tags, 100 groups, no decimals) under Xvfb: first frame,
# resident memory and idle CPU over 30 s. docs/displays.md has the figures.
#
#   docs/measure/overview-10k.sh [DISPLAY_NUMBER]    (default 99)
set -eu
n=${1:-99}
dir=$(mktemp -d)
trap 'kill $vig $xvfb 2>/dev/null || true; wait 2>/dev/null; rm -rf "$dir"' EXIT
go build -o "$dir/vigil" ./cmd/vigil
addrs="tank1.level pump1.current pump1.temperature meter1.power field1.moisture"
{
  echo "project: Ten thousand"
  echo "devices:"
  for d in $(seq -w 0 19); do echo "  - {name: dev$d, driver: sim}"; done
  echo "tags:"
  i=0
  for d in $(seq -w 0 19); do
    for k in $(seq 0 499); do
      a=$(echo $addrs | cut -d' ' -f$((k % 5 + 1)))
      echo "  - {name: Dev$d.Tag$k, device: dev$d, address: $a, group: G$((i / 100)), history: {enabled: false}}"
      i=$((i + 1))
    done
  done
} > "$dir/big.vigil.yaml"
Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 & xvfb=$!
sleep 1
start=$(date +%s%N)
DISPLAY=":$n" HOME="$dir" "$dir/vigil" open "$dir/big.vigil.yaml" --screen Overview >"$dir/log" 2>&1 & vig=$!
# First frame: the HMI grey (#DCDCDC-ish) covers most of the screen.
while :; do
  if import -display ":$n" -window root -colors 8 -format '%[fx:mean]' info: 2>/dev/null | awk '{exit !($1 > 0.6)}'; then break; fi
  sleep 0.1
done
echo "first frame: $(( ($(date +%s%N) - start) / 1000000 )) ms (from exec, includes loading the project)"
sleep 5
t0=$(awk '{print $14 + $15}' /proc/$vig/stat)
sleep 30
t1=$(awk '{print $14 + $15}' /proc/$vig/stat)
hz=$(getconf CLK_TCK)
echo "idle CPU over 30 s: $(echo "$t0 $t1 $hz" | awk '{printf "%.1f", ($2 - $1) / $3 / 30 * 100}') % of a core"
echo "RSS: $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' /proc/$vig/status)"
