#!/usr/bin/env bash
# make demo: the study's three comparisons end to end on the built-in
# synthetic cohorts (CPU scale), then the tables. Rerunning continues where
# an interrupted demo stopped; finished runs are not repeated.
#   tools/demo.sh [BUILD] [EXPERIMENTS_DIR]   (default build, experiments/demo;
#   experiments/demo/three_repeats: three repeats per cell, reusing the demo's runs)
set -euo pipefail
BUILD="${1:-build}"
DIR="${2:-experiments/demo}"
BIN="$BUILD/bin/mstransfer"
THREADS="${MST_THREADS:-$(nproc)}"
JOBS="${MST_JOBS:-$THREADS}"   # small networks: one run per core beats several cores per run
RESULTS="${MST_RESULTS:-results}"
start=$(date +%s)
echo "== mstransfer run $DIR/{flair,new_lesions,enhancement}.toml (one queue; jobs $JOBS, threads $THREADS)"
"$BIN" run "$DIR/flair.toml" "$DIR/new_lesions.toml" "$DIR/enhancement.toml" \
  --results "$RESULTS" --data-root demo_data --jobs "$JOBS" --threads "$THREADS"
end=$(date +%s)
echo
for task in flair new_lesions enhancement; do
  name=$(sed -n 's/^name = "\(.*\)"/\1/p' "$DIR/$task.toml")
  cat "$RESULTS/$name/table.md"
  echo
  grep "^- source" "$RESULTS/$name/report.md" | sed 's/^- /source model /' || true
  echo
done
echo "figures: $RESULTS/<experiment>/figure.png; everything else: $RESULTS/<experiment>/report.md"
echo "demo wall time: $((end - start)) s (after the build)"
