#!/usr/bin/env bash
# Runs an experiment, SIGKILLs the runner after each of the given delays (seconds
# after each start), then runs it to the end: the tables must equal those of an
# uninterrupted run. Used for docs/REPRODUCIBILITY.md.
#
#   bash tools/kill_resume.sh BUILD EXP.toml RESULTS "20 60 100" [extra run options]
set -uo pipefail
BIN="$1/bin/mstransfer"; EXP=$2; RESULTS=$3; DELAYS=$4; shift 4
OPTS=(--data-root demo_data --jobs 2 --threads 2 --no-progress "$@")
for t in $DELAYS; do
  "$BIN" run "$EXP" --results "$RESULTS" "${OPTS[@]}" >>"$RESULTS.log" 2>&1 &
  pid=$!
  sleep "$t"
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    echo "killed after ${t} s: $(find "$RESULTS/_shared/runs" -name run.json 2>/dev/null | wc -l) runs recorded"
  else
    echo "finished before ${t} s"
  fi
done
"$BIN" run "$EXP" --results "$RESULTS" "${OPTS[@]}" >>"$RESULTS.log" 2>&1
echo "final run: exit $?"
