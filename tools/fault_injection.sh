#!/usr/bin/env bash
# Fault injection on the tiny experiment (tests/e2e/tiny.toml): kill the runner
# with SIGKILL at each stage, or damage a file it wrote, run the same command
# again to the end, and compare per_study.csv with an uninterrupted run.
# Prints a Markdown table (docs/REPRODUCIBILITY.md holds its last output).
#
#   bash tools/fault_injection.sh [BUILD_DIR] [WORK_DIR]
set -uo pipefail
BUILD=${1:-build}
WORK=${2:-$(mktemp -d /tmp/mst-faults.XXXXXX)}
BIN=$(realpath "$BUILD/bin/mstransfer")
EXP=$(realpath "$(dirname "$0")/../tests/e2e/tiny.toml")
mkdir -p "$WORK"
ARGS=(--jobs 2 --threads 2 --no-progress)

run_to_end() {  # results data-root log
  "$BIN" run "$EXP" --results "$1" --data-root "$2" "${ARGS[@]}" >>"$3" 2>&1
}
# Starts the runner, SIGKILLs it as soon as `cond` (a shell test) holds; prints the elapsed seconds.
kill_when() {  # results data-root log cond
  local t0=$SECONDS
  "$BIN" run "$EXP" --results "$1" --data-root "$2" "${ARGS[@]}" >>"$3" 2>&1 &
  local pid=$!
  for _ in $(seq 1 6000); do
    if ! kill -0 "$pid" 2>/dev/null; then echo "ended-before-kill"; return; fi
    if eval "$4"; then kill -9 "$pid"; wait "$pid" 2>/dev/null; echo "$((SECONDS - t0))"; return; fi
    sleep 0.02
  done
  kill -9 "$pid"; wait "$pid" 2>/dev/null; echo "timeout"
}
first() { find "$@" 2>/dev/null | sort | head -1; }

echo "reference run..." >&2
run_to_end "$WORK/ref" "$WORK/data" "$WORK/ref.log" || { echo "reference run failed" >&2; exit 1; }
REF=$(md5sum <"$WORK/ref/tiny_flair/per_study.csv" | cut -c1-32)

echo "| fault | where | what happened on the next run | per_study.csv equal |"
echo "|---|---|---|---|"
row() {  # name where results log
  local res=$3 log=$4 got="(no result)" what
  [ -f "$res/tiny_flair/per_study.csv" ] && got=$(md5sum <"$res/tiny_flair/per_study.csv" | cut -c1-32)
  what=$(grep -hoE "resuming at iteration [0-9]+|unusable, [a-z ]+|trains from the start|is not usable \([^)]*\)|rebuilding it|[0-9]+ runs completed, [0-9]+ already done" "$log" \
           "$res"/tiny_flair/runs/*/run.log 2>/dev/null | sort | uniq -c | sed 's/^ *//' | tr '\n' ';' | sed 's/;$//; s/;/; /g')
  echo "| $1 | $2 | ${what:-finished} | $([ "$got" = "$REF" ] && echo yes || echo "NO ($got)") |"
}

# 1. SIGKILL during synthesis (fresh data root).
R=$WORK/k1; L=$R.log
t=$(kill_when "$R" "$WORK/data1" "$L" '[ -n "$(first "$WORK/data1" -name "*.nii.gz")" ]')
run_to_end "$R" "$WORK/data1" "$L"; row "SIGKILL" "synthesis, ${t}s (first image written)" "$R" "$L"
# 2. SIGKILL during the target cache build.
R=$WORK/k2; L=$R.log
t=$(kill_when "$R" "$WORK/data" "$L" '[ -n "$(first "$R/_shared/cache" -name ".tmp-*")" ]')
run_to_end "$R" "$WORK/data" "$L"; row "SIGKILL" "cache build, ${t}s (temporary HDF5 file open)" "$R" "$L"
# 3. SIGKILL during source training, after its first resume generation.
R=$WORK/k3; L=$R.log
t=$(kill_when "$R" "$WORK/data" "$L" '[ -n "$(first "$R/_shared/sources" -name "gen-*.optim.pt")" ]')
run_to_end "$R" "$WORK/data" "$L"; row "SIGKILL" "source training, ${t}s (after a resume generation)" "$R" "$L"
# 4. SIGKILL while two sweep runs train.
R=$WORK/k4; L=$R.log
t=$(kill_when "$R" "$WORK/data" "$L" '[ -n "$(first "$R/tiny_flair/runs" -name "gen-000000020.optim.pt")" ]')
run_to_end "$R" "$WORK/data" "$L"; row "SIGKILL" "sweep training, ${t}s (iteration 20 of 40)" "$R" "$L"
# 5. SIGKILL during prediction of the test set.
R=$WORK/k5; L=$R.log
t=$(kill_when "$R" "$WORK/data" "$L" '[ -n "$(first "$R/tiny_flair/runs" -path "*pred*" -name "*.nii.gz")" ]')
run_to_end "$R" "$WORK/data" "$L"; row "SIGKILL" "prediction, ${t}s (first mask written)" "$R" "$L"
# 6. SIGKILL during the report (after the last run recorded its result).
R=$WORK/k6; L=$R.log
t=$(kill_when "$R" "$WORK/data" "$L" '[ "$(ls "$R"/tiny_flair/runs/*/run.json 2>/dev/null | wc -l)" -ge 8 ]')
run_to_end "$R" "$WORK/data" "$L"; row "SIGKILL" "report, ${t}s (all 8 runs recorded)" "$R" "$L"
# 7. Resume checkpoint truncated to 100 bytes (a disk fault) after a kill.
R=$WORK/k7; L=$R.log
t=$(kill_when "$R" "$WORK/data" "$L" '[ -n "$(first "$R/tiny_flair/runs" -name "gen-000000030.model.pt")" ]')
f=$(first "$R/tiny_flair/runs" -name "gen-000000030.model.pt"); truncate -s 100 "$f"
run_to_end "$R" "$WORK/data" "$L"; row "truncated to 100 bytes" "newest resume checkpoint of a sweep run (${f##*/})" "$R" "$L"
# 8. Both resume generations of a run damaged.
R=$WORK/k8; L=$R.log
t=$(kill_when "$R" "$WORK/data" "$L" '[ -n "$(first "$R/tiny_flair/runs" -name "gen-000000030.optim.pt")" ]')
d=$(dirname "$(first "$R/tiny_flair/runs" -name "gen-000000030.optim.pt")")
for g in "$d"/gen-*.optim.pt; do printf 'garbage' | dd of="$g" bs=1 seek=200 conv=notrunc 2>/dev/null; done
run_to_end "$R" "$WORK/data" "$L"; row "bytes overwritten" "every resume generation of one run (optimiser files)" "$R" "$L"
# 9. Cache file truncated between runs.
R=$WORK/k9; L=$R.log
cp -r "$WORK/ref" "$R"; rm -rf "$R"/tiny_flair/runs/de_novo-n2-r1-*
c=$(first "$R/_shared/cache" -name "target-*.h5"); truncate -s 4096 "$c"
run_to_end "$R" "$WORK/data" "$L"; row "truncated to 4 KiB" "target HDF5 cache (one run to redo)" "$R" "$L"
# 10. A finished run's per_study.csv deleted; another's run.json corrupted.
R=$WORK/k10; L=$R.log
cp -r "$WORK/ref" "$R"; rm "$R"/tiny_flair/runs/de_novo-n4-r1-*/per_study.csv
printf '{"status": ' >"$(ls "$R"/tiny_flair/runs/fine_tuned-n2-r2-*/run.json)"
run_to_end "$R" "$WORK/data" "$L"; row "deleted / corrupted" "per_study.csv of one run, run.json of another" "$R" "$L"
echo "work folder: $WORK" >&2
