#!/usr/bin/env bash
# make sources: retrains the demo's shipped source models with their recipe
# (experiments/demo/sources/recipe.toml) on the built-in source cohorts, each to its
# validation plateau, and copies into experiments/demo/sources/:
#   NAME.pt        the weights (best validation checkpoint)
#   NAME.pt.json   its sidecar: settings, weights_hash, stop reason, commit, libraries
#   NAME.run.json  the run's record: its id (what the recipe plans), held-out evaluation, timings
# and writes each weights_hash into the demo experiments' checkpoint_hash lines.
# Rerunning continues an interrupted build; a finished source is not retrained.
set -euo pipefail
BUILD="${1:-build}"
BIN="$BUILD/bin/mstransfer"
RECIPE=experiments/demo/sources/recipe.toml
OUT=experiments/demo/sources
RESULTS="${MST_SOURCE_RESULTS:-$BUILD/source_models}"
THREADS="${MST_THREADS:-$(nproc)}"
"$BIN" run "$RECIPE" --sources-only --results "$RESULTS" --data-root demo_data --jobs 2 --threads "$THREADS"
plan=$("$BIN" run "$RECIPE" --sources-only --dry-run --results "$RESULTS" --data-root demo_data)
for name in flair enhancement; do
  id=$(printf '%s\n' "$plan" | awk -F'\t' -v n="$name" '$2 == "source" && $3 == n {print $1}')
  dir="$RESULTS/_shared/sources/$id"
  [ -n "$id" ] && [ -f "$dir/model/best.pt" ] || { echo "error: source '$name' ($id) has no best.pt in $dir" >&2; exit 1; }
  for f in "model/best.pt:$name.pt" "model/best.pt.json:$name.pt.json" "run.json:$name.run.json"; do
    cp "$dir/${f%%:*}" "$OUT/${f#*:}.tmp" && mv "$OUT/${f#*:}.tmp" "$OUT/${f#*:}"
  done
  hash=$(sed -n 's/.*"weights_hash": "\(fnv1a64:[0-9a-f]*\)".*/\1/p' "$OUT/$name.pt.json")
  stop=$(sed -n 's/.*"stop_reason": "\([a-z_]*\)".*/\1/p' "$OUT/$name.pt.json")
  for exp in experiments/demo/*.toml; do
    grep -q "checkpoint = \"sources/$name.pt\"" "$exp" || continue
    sed -i "/checkpoint = \"sources\/$name.pt\"/{n;s/^checkpoint_hash = .*/checkpoint_hash = \"$hash\"/}" "$exp"
  done
  echo "$OUT/$name.pt: $id, $hash, stopped: $stop"
done
