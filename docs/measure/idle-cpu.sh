#!/bin/sh
# Idle CPU of the operator window per screen (issue 16): the demo under
# Xvfb at 1600x900, window 1280x800 (the default size), quiet (the demo as
# shipped: nothing in alarm at start) and flashing (the e2e tests' firing
# demo: Pump1.Vibration Bad with an unacknowledged alarm, the tank's Lo and
# LoLo alarms at start, none acknowledged, so the banner flashes all along).
# For each screen: 12 s to settle, then utime+stime from /proc/PID/stat
# over 30 s, as % of one core.
#
#   docs/measure/idle-cpu.sh [DISPLAY_NUMBER] [SCREENS...]
#       default display 94, screens Overview Trends Tags Alarms Devices
set -eu
n=${1:-94}
[ $# -gt 0 ] && shift
screens=${*:-Overview Trends Tags Alarms Devices}
dir=$(mktemp -d)
xvfb= vig=
trap 'kill $vig $xvfb 2>/dev/null || true; wait 2>/dev/null; rm -rf "$dir"' EXIT
go build -o "$dir/vigil" ./cmd/vigil
sed -e 's/{kind: bad, tag: Pump1.Vibration, at: 20m, for: 30s}/{kind: bad, tag: Pump1.Vibration, at: 0s, for: 1h}/' \
    -e 's/{kind: lo, limit: 15, deadband: 1, on_delay: 5s, priority: high, message: Tank 1 level low}/{kind: lo, limit: 80, deadband: 1, on_delay: 0s, priority: high, message: Tank 1 level low - a deliberately long alarm message a deliberately long alarm message}/' \
    -e 's/{kind: lolo, limit: 8, deadband: 1, on_delay: 2s, priority: critical, message: Tank 1 level very low - pump suction at risk}/{kind: lolo, limit: 75, deadband: 1, on_delay: 0s, priority: critical, message: Tank 1 level very low - another long alarm message another long alarm message}/' \
    assets/demo.yaml > "$dir/firing.yaml"
cp assets/demo.yaml "$dir/quiet.yaml"
Xvfb ":$n" -screen 0 1600x900x24 -nolisten tcp >/dev/null 2>&1 & xvfb=$!
sleep 1
hz=$(getconf CLK_TCK)
for kind in quiet firing; do
  for sc in $screens; do
    home="$dir/home-$kind-$sc"
    mkdir -p "$home"
    DISPLAY=":$n" HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" \
      "$dir/vigil" open "$dir/$kind.yaml" --screen "$sc" >"$dir/log" 2>&1 & vig=$!
    sleep 12
    t0=$(awk '{print $14 + $15}' /proc/$vig/stat)
    sleep 30
    t1=$(awk '{print $14 + $15}' /proc/$vig/stat)
    [ -n "${SHOT:-}" ] && import -display ":$n" -window root "$SHOT-$kind-$sc.png"
    echo "$kind $sc: $(echo "$t0 $t1 $hz" | awk '{printf "%.1f", ($2 - $1) / $3 / 30 * 100}') % of a core"
    kill $vig; wait $vig 2>/dev/null || true; vig=
  done
done
