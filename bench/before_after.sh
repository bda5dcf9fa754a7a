#!/usr/bin/env bash
# The full backtest and `chunyun train` of REV's code and of the working tree, side by side on one
# store (the working tree's var/chunyun.db) and one data folder, each with its own var folder;
# timed with /usr/bin/time, one after the other; then their outputs compared.
#   bash bench/before_after.sh 3c988f4        (from the project's root, after `make prepare`)
set -euo pipefail
rev=${1:?usage: bench/before_after.sh REV}
root=$(pwd)
tmp=$(mktemp -d)
mkdir -p "$tmp/src" "$tmp/bt_old" "$tmp/bt_new" "$tmp/tr_old" "$tmp/tr_new"
git archive "$rev" | tar -x -C "$tmp/src"
run() {  # label src var command...
  local label=$1 src=$2 var=$3; shift 3
  /usr/bin/time -f "$label wall %e s user %U s sys %S s maxrss %M KB" env PYTHONPATH="$src" \
    CHUNYUN_DATA_DIR="$root/data" CHUNYUN_VAR_DIR="$var" CHUNYUN_DATABASE_URL="sqlite:///$root/var/chunyun.db" "$@"
}
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
run backtest_before "$tmp/src" "$tmp/bt_old" .venv/bin/chunyun backtest --refresh --csv >"$tmp/bt_old.csv" 2>"$tmp/e"; tail -1 "$tmp/e"
run backtest_after "$root" "$tmp/bt_new" .venv/bin/chunyun backtest --refresh --csv >"$tmp/bt_new.csv" 2>"$tmp/e"; tail -1 "$tmp/e"
for i in 1 2; do
  run "train_before_$i" "$tmp/src" "$tmp/tr_old" .venv/bin/chunyun train >/dev/null 2>"$tmp/e"; tail -1 "$tmp/e"
  run "train_after_$i" "$root" "$tmp/tr_new" .venv/bin/chunyun train >/dev/null 2>"$tmp/e"; tail -1 "$tmp/e"
done
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
cmp "$tmp/bt_old.csv" "$tmp/bt_new.csv" && echo "backtest metrics CSV: identical"
.venv/bin/python bench/compare_outputs.py runs "$(ls -d "$tmp"/tr_old/runs/2* | tail -1)" "$(ls -d "$tmp"/tr_new/runs/2* | tail -1)" || true
echo "kept in $tmp"
