#!/usr/bin/env bash
# make demo: the study's three comparisons end to end on the built-in
# synthetic cohorts (CPU scale), then the tables. Rerunning continues where
# an interrupted demo stopped; finished runs are not repeated.
set -euo pipefail
BUILD="${1:-build}"
BIN="$BUILD/bin/mstransfer"
THREADS="${MST_THREADS:-$(nproc)}"
JOBS="${MST_JOBS:-$THREADS}"   # small networks: one run per core beats several cores per run
RESULTS="${MST_RESULTS:-results}"
start=$(date +%s)
echo "== mstransfer run experiments/demo/{flair,new_lesions,enhancement}.toml (one queue; jobs $JOBS, threads $THREADS)"
"$BIN" run experiments/demo/flair.toml experiments/demo/new_lesions.toml experiments/demo/enhancement.toml \
  --results "$RESULTS" --data-root demo_data --jobs "$JOBS" --threads "$THREADS"
end=$(date +%s)
echo
for task in flair new_lesions enhancement; do
  cat "$RESULTS/demo_$task/table.md"
  echo
  grep "^- source" "$RESULTS/demo_$task/report.md" | sed 's/^- /source model /' || true
  echo
done
echo "figures: $RESULTS/demo_*/figure.png; everything else: $RESULTS/demo_*/report.md"
echo "demo wall time: $((end - start)) s (after the build)"
