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
           "$res"/tiny_flair/runs/*/run.log 2>/dev/null | sort | uniq -c | sed -E 's/^ *1 //; t; s/^ *([0-9]+) /\1 × /' | tr '\n' ';' | sed 's/;$//; s/;/; /g')
  echo "| $1 | $2 | ${what:-finished} | $([ "$got" = "$REF" ] && echo yes || echo "NO ($got)") |"
}

# A kill scenario: start the runner, SIGKILL it when COND holds, optionally damage a file
# (ACTION, with $R the results folder), run the same command to the end, print the row.
scenario() {  # tag fault where cond [action] [data-root]
  R=$WORK/$1
  local L=$WORK/$1.log data=${6:-$WORK/data} t
  t=$(kill_when "$R" "$data" "$L" "$4")
  if [ -n "${5:-}" ]; then eval "$5"; fi
  run_to_end "$R" "$data" "$L"
  row "$2" "$3 (killed at ${t} s)" "$R" "$L"
}
RUNS='$R/_shared/runs'   # runs are stored once there; tiny_flair/runs/<id> link to them
scenario k1 SIGKILL "synthesis, first image written" '[ -n "$(first "$WORK/data1" -name "*.nii.gz")" ]' "" "$WORK/data1"
scenario k2 SIGKILL "cache build, temporary HDF5 file open" '[ -n "$(first "$R/_shared/cache" -name ".tmp-*")" ]'
scenario k3 SIGKILL "source training, after a resume generation" '[ -n "$(first "$R/_shared/sources" -name "gen-*.optim.pt")" ]'
scenario k4 SIGKILL "sweep training, iteration 20 of 40" "[ -n \"\$(first $RUNS -name gen-000000020.optim.pt)\" ]"
scenario k5 SIGKILL "prediction, first mask written" "[ -n \"\$(first $RUNS -path '*pred*' -name '*.nii.gz')\" ]"
scenario k6 SIGKILL "report, all 8 runs recorded" "[ \$(ls $RUNS/*/run.json 2>/dev/null | wc -l) -ge 8 ]"
scenario k7 "SIGKILL, then truncated to 100 bytes" "newest resume checkpoint of a sweep run" \
  "[ -n \"\$(first $RUNS -name gen-000000030.model.pt)\" ]" \
  "truncate -s 100 \"\$(first $RUNS -name gen-000000030.model.pt)\""
scenario k8 "SIGKILL, then bytes overwritten" "every resume generation of one run (optimiser files)" \
  "[ -n \"\$(first $RUNS -name gen-000000030.optim.pt)\" ]" \
  "for g in \$(dirname \"\$(first $RUNS -name gen-000000030.optim.pt)\")/gen-*.optim.pt; do printf garbage | dd of=\$g bs=1 seek=200 conv=notrunc 2>/dev/null; done"
# 9. Cache file truncated between runs.
R=$WORK/k9; L=$R.log
cp -r "$WORK/ref" "$R"; rm -rf "$R"/_shared/runs/de_novo-n2-r1-*
c=$(first "$R/_shared/cache" -name "target-*.h5"); truncate -s 4096 "$c"
run_to_end "$R" "$WORK/data" "$L"; row "truncated to 4 KiB" "target HDF5 cache (one run to redo)" "$R" "$L"
# 10. A finished run's per_study.csv deleted; another's run.json corrupted.
R=$WORK/k10; L=$R.log
cp -r "$WORK/ref" "$R"; rm "$R"/tiny_flair/runs/de_novo-n4-r1-*/per_study.csv
printf '{"status": ' >"$(ls "$R"/tiny_flair/runs/fine_tuned-n2-r2-*/run.json)"
run_to_end "$R" "$WORK/data" "$L"; row "deleted / corrupted" "per_study.csv of one run, run.json of another" "$R" "$L"
echo "work folder: $WORK" >&2
