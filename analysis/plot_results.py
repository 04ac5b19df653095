#!/usr/bin/env python3
"""Figure of an mstransfer experiment: lesion-wise sensitivity and PPV against
training-set size, one line per arm, mean ± SE over test studies (per-study
values averaged over repeats). Reads EXPERIMENT_DIR/summary.csv (rows with
repeat == "all"), writes EXPERIMENT_DIR/figure.png and figure.pdf.

    python3 analysis/plot_results.py results/demo_flair
"""
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    d = sys.argv[1]
    exp = json.load(open(os.path.join(d, "experiment.json")))
    metrics = exp.get("stats", {}).get("metrics", ["sensitivity", "ppv"])
    arms = [a["name"] for a in exp.get("arms", [])]
    rows = [r for r in csv.DictReader(open(os.path.join(d, "summary.csv"))) if r["repeat"] == "all"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for arm in arms:
            pts = sorted((int(r["train_size"]), float(r["mean"]), float(r["se"] or 0))
                         for r in rows if r["arm"] == arm and r["metric"] == metric and r["mean"])
            if not pts:
                continue
            x, y, e = zip(*pts)
            ax.errorbar(x, y, yerr=e, marker="o", capsize=3, label=arm)
        sizes = sorted({int(r["train_size"]) for r in rows})
        ax.set_xticks(sizes)
        ax.set_xlabel("MS training studies")
        ax.set_ylabel({"ppv": "lesion-wise PPV", "sensitivity": "lesion-wise sensitivity"}.get(metric, metric))
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    axes[0][0].legend(frameon=False)
    fig.suptitle(exp.get("task", exp.get("name", "")))
    fig.tight_layout()
    for ext in ("png", "pdf"):
        tmp = os.path.join(d, f".figure.tmp.{ext}")
        fig.savefig(tmp, dpi=150)
        os.replace(tmp, os.path.join(d, f"figure.{ext}"))


if __name__ == "__main__":
    main()
