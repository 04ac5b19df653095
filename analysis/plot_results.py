#!/usr/bin/env python3
"""Figure of an mstransfer experiment: lesion-wise sensitivity and PPV against
training-set size, one line per arm, mean ± SE over test studies (per-study
values averaged over repeats). Reads EXPERIMENT_DIR/summary.csv (rows with
repeat == "all"), writes EXPERIMENT_DIR/figure.png and figure.pdf. When the
runs recorded evaluations along their training (budget.csv), also writes
budget.png and budget.pdf: validation (solid) and test (dashed, descriptive)
sensitivity, PPV, F1 and the selection metric against iterations, one panel per training size, one
colour per arm, one line per repeat.

    python3 analysis/plot_results.py results/demo_flair
"""
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def save(fig, d, stem):
    for ext in ("png", "pdf"):
        tmp = os.path.join(d, f".{stem}.tmp.{ext}")
        fig.savefig(tmp, dpi=150)
        os.replace(tmp, os.path.join(d, f"{stem}.{ext}"))


def budget_figure(d, exp):
    path = os.path.join(d, "budget.csv")
    if not os.path.exists(path):
        return
    rows = [r for r in csv.DictReader(open(path)) if not r["arm"].startswith("source:") and r["value"]]
    if not rows:
        return
    arms = [a["name"] for a in exp.get("arms", [])]
    sizes = sorted({int(r["train_size"]) for r in rows})
    metrics = ["sensitivity", "ppv", "f1"]
    selection = exp.get("train", {}).get("val_metric", "f1")
    if selection not in metrics:
        metrics.append(selection)  # the metric that selected checkpoints and stopped the runs
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, axes = plt.subplots(len(metrics), len(sizes), figsize=(3.4 * len(sizes), 2.6 * len(metrics)),
                             squeeze=False, sharex=True, sharey=True)
    for j, size in enumerate(sizes):
        for i, metric in enumerate(metrics):
            ax = axes[i][j]
            for k, arm in enumerate(arms):
                for split, style in (("validation", "-"), ("test", "--")):
                    reps = sorted({r["repeat"] for r in rows if r["arm"] == arm and int(r["train_size"]) == size})
                    for rep in reps:
                        pts = sorted((int(r["iteration"]), float(r["value"])) for r in rows
                                     if r["arm"] == arm and int(r["train_size"]) == size and r["repeat"] == rep
                                     and r["split"] == split and r["metric"] == metric)
                        if not pts:
                            continue
                        x, y = zip(*pts)
                        label = f"{arm} ({split})" if rep == reps[0] and i == 0 and j == 0 else None
                        ax.plot(x, y, style, color=colours[k % len(colours)], alpha=0.8, lw=1, label=label)
            ax.set_ylim(0, 1)
            ax.grid(alpha=0.3)
            if i == 0:
                ax.set_title(f"n = {size}")
            if j == 0:
                ax.set_ylabel({"ppv": "PPV", "f1": "F1", "f1_anima": "F1 (Anima rule)"}.get(metric, metric))
            if i == len(metrics) - 1:
                ax.set_xlabel("iteration")
    axes[0][0].legend(frameon=False, fontsize=7)
    fig.suptitle(exp.get("task", exp.get("name", "")) + ": lesion-wise metrics along training")
    fig.tight_layout()
    save(fig, d, "budget")


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
    save(fig, d, "figure")
    budget_figure(d, exp)


if __name__ == "__main__":
    main()
