#!/usr/bin/env python3
"""Figure of an mstransfer experiment: lesion-wise sensitivity and PPV against
training-set size, one line per arm, mean ± SE over test studies (per-study
values averaged over repeats). Reads EXPERIMENT_DIR/summary.csv (rows with
repeat == "all"), writes EXPERIMENT_DIR/figure.png and figure.pdf. When the
runs recorded evaluations along their training (budget.csv), also writes
budget.png and budget.pdf: validation (solid) and test (dashed, descriptive)
sensitivity, PPV, F1 and the selection metric against iterations, one panel per training size, one
colour per arm, one line per repeat. With the report's lesion-level files it also writes
froc.png/pdf (FROC and lesion-wise precision-recall over the probability thresholds, froc.csv),
strata.png/pdf (pooled sensitivity per lesion-volume stratum, strata.csv) and
volume_agreement.png/pdf (Bland-Altman of total lesion volume per study, per_study.csv). With
efficiency.csv it writes efficiency.png/pdf: each arm's learning curve with its CI band (table.csv)
and, on the reference curve, the de-novo-equivalent size of every fine-tuned point.

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


def read(d, name):
    path = os.path.join(d, name)
    return list(csv.DictReader(open(path))) if os.path.exists(path) else []


def num(x):
    return float(x) if x not in ("", None) else None


def froc_figure(d, exp, arms):
    rows = read(d, "froc.csv")
    if not rows:
        return
    sizes = sorted({int(r["train_size"]) for r in rows})
    fig, axes = plt.subplots(2, len(sizes), figsize=(3.4 * len(sizes), 6.2), squeeze=False)
    for j, size in enumerate(sizes):
        for arm in arms:
            pts = sorted((float(r["threshold"]), num(r["fp_per_study"]), num(r["sensitivity"]), num(r["sensitivity_pooled"]),
                          num(r["ppv_pooled"]), r["configured"] == "1")
                         for r in rows if r["arm"] == arm and int(r["train_size"]) == size)
            if not pts:
                continue
            froc = [(p[1], p[2]) for p in pts if p[1] is not None and p[2] is not None]
            if froc:
                line, = axes[0][j].plot(*zip(*froc), marker=".", label=arm)  # in threshold order
                for p in pts:
                    if p[5] and p[1] is not None and p[2] is not None:
                        axes[0][j].plot(p[1], p[2], "o", mfc="none", ms=9, color=line.get_color())
            pr = [(p[3], p[4]) for p in pts if p[3] is not None and p[4] is not None]
            if pr:
                line, = axes[1][j].plot(*zip(*pr), marker=".", label=arm)
                for p in pts:
                    if p[5] and p[3] is not None and p[4] is not None:
                        axes[1][j].plot(p[3], p[4], "o", mfc="none", ms=9, color=line.get_color())
        axes[0][j].set_title(f"n = {size}")
        axes[0][j].set_xlabel("false-positive lesions per study")
        axes[0][j].set_ylabel("lesion-wise sensitivity")
        axes[1][j].set_xlabel("lesion-wise recall (pooled)")
        axes[1][j].set_ylabel("lesion-wise precision (pooled)")
        for i in range(2):
            axes[i][j].set_ylim(0, 1.02)
            axes[i][j].grid(alpha=0.3)
        axes[1][j].set_xlim(0, 1.02)
    axes[0][0].legend(frameon=False, fontsize=7)
    fig.suptitle("FROC and precision-recall, thresholds 0.05-0.95 (circle: configured)")
    fig.tight_layout()
    save(fig, d, "froc")


def strata_figure(d, exp, arms):
    rows = [r for r in read(d, "strata.csv") if r["stratum_kind"] == "volume_mm3"]
    if not rows:
        return
    sizes = sorted({int(r["train_size"]) for r in rows})
    strata = []
    for r in rows:
        if r["stratum"] not in strata:
            strata.append(r["stratum"])
    fig, axes = plt.subplots(1, len(sizes), figsize=(3.6 * len(sizes), 3.4), squeeze=False, sharey=True)
    width = 0.8 / max(1, len(arms))
    for j, size in enumerate(sizes):
        ax = axes[0][j]
        for k, arm in enumerate(arms):
            vals = {r["stratum"]: r for r in rows if r["arm"] == arm and int(r["train_size"]) == size}
            xs = [i + (k - (len(arms) - 1) / 2) * width for i in range(len(strata))]
            ys = [num(vals[s]["sensitivity"]) if s in vals and vals[s]["sensitivity"] else 0 for s in strata]
            ax.bar(xs, ys, width, label=arm)
        ns = {r["stratum"]: r["n_truth_lesions"] for r in rows if int(r["train_size"]) == size}
        ax.set_xticks(range(len(strata)))
        ax.set_xticklabels([f"{s}\n(n={ns.get(s, 0)})" for s in strata], fontsize=7)
        ax.set_title(f"n = {size}")
        ax.set_xlabel("true-lesion volume (mm³)")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3, axis="y")
    axes[0][0].set_ylabel("sensitivity (pooled)")
    axes[0][0].legend(frameon=False, fontsize=7)
    fig.suptitle(exp.get("task", exp.get("name", "")) + ": sensitivity by lesion volume")
    fig.tight_layout()
    save(fig, d, "strata")


def volume_figure(d, exp, arms):
    rows = read(d, "per_study.csv")
    if not rows or "truth_volume_mm3" not in rows[0]:
        return
    sizes = sorted({int(r["train_size"]) for r in rows})
    fig, axes = plt.subplots(len(arms), len(sizes), figsize=(3.4 * len(sizes), 2.8 * len(arms)), squeeze=False,
                             sharex=True, sharey=True)
    for i, arm in enumerate(arms):
        for j, size in enumerate(sizes):
            ax = axes[i][j]
            per = {}
            for r in rows:
                if r["arm"] == arm and int(r["train_size"]) == size and r["truth_volume_mm3"] and r["pred_volume_mm3"]:
                    per.setdefault((r["subject"], r["session"]), []).append(
                        (float(r["truth_volume_mm3"]), float(r["pred_volume_mm3"])))
            if len(per) < 2:
                continue
            t = [sum(v[0] for v in vs) / len(vs) for vs in per.values()]
            p = [sum(v[1] for v in vs) / len(vs) for vs in per.values()]
            mean = [(a + b) / 2 for a, b in zip(t, p)]
            diff = [b - a for a, b in zip(t, p)]
            bias = sum(diff) / len(diff)
            sd = (sum((x - bias) ** 2 for x in diff) / (len(diff) - 1)) ** 0.5
            ax.scatter([m / 1000 for m in mean], [x / 1000 for x in diff], s=10)
            for y, style in ((bias, "-"), (bias - 1.96 * sd, "--"), (bias + 1.96 * sd, "--")):
                ax.axhline(y / 1000, ls=style, color="grey", lw=1)
            ax.axhline(0, color="black", lw=0.5)
            ax.grid(alpha=0.3)
            if i == 0:
                ax.set_title(f"n = {size}")
            if j == 0:
                ax.set_ylabel(f"{arm}\npredicted - true (ml)")
            if i == len(arms) - 1:
                ax.set_xlabel("mean of true and predicted (ml)")
    fig.suptitle(exp.get("task", exp.get("name", "")) + ": lesion volume per study (bias, 95% limits)")
    fig.tight_layout()
    save(fig, d, "volume_agreement")


def efficiency_figure(d, exp, arms, metrics):
    eff = read(d, "efficiency.csv")
    cells = read(d, "table.csv")
    if not eff or not cells:
        return
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.4 * len(metrics), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        colours = {}
        for arm in arms:
            pts = sorted((int(r["train_size"]), num(r["mean"]), num(r["ci_low"]), num(r["ci_high"]))
                         for r in cells if r["arm"] == arm and r["metric"] == metric and r["mean"])
            if not pts:
                continue
            x = [p[0] for p in pts]
            line, = ax.plot(x, [p[1] for p in pts], marker="o", label=arm)
            colours[arm] = line.get_color()
            band = [(p[0], p[2], p[3]) for p in pts if p[2] is not None and p[3] is not None]
            if band:
                bx, lo, hi = zip(*band)
                ax.fill_between(bx, lo, hi, color=line.get_color(), alpha=0.18, linewidth=0)
        for e in (r for r in eff if r["metric"] == metric):
            v, n = num(e["value"]), num(e["de_novo_equivalent"])
            if v is None or n is None:
                continue
            c = colours.get(e["arm"], "k")
            ax.plot([int(e["train_size"]), n], [v, v], ":", color=c, linewidth=1)
            lo, hi = num(e["ci_low"]), num(e["ci_high"])
            if lo is not None and hi is not None:
                ax.errorbar([n], [v], xerr=[[n - lo], [hi - n]], fmt="none", ecolor=c, capsize=3)
            ax.plot([n], [v], "D" if e["censored"] == "none" else ">" if e["censored"] == "above" else "<",
                    color=c, mfc="white")
        ax.set_xscale("log")
        ax.minorticks_off()
        sizes = sorted({int(r["train_size"]) for r in cells})
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(s) for s in sizes])
        ax.set_xlabel("MS training studies (log scale)")
        ax.set_ylabel({"ppv": "lesion-wise PPV", "sensitivity": "lesion-wise sensitivity"}.get(metric, metric))
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    axes[0][0].legend(frameon=False, fontsize=7)
    fig.suptitle("Learning curves (band: CI over runs and studies); diamond: de-novo-equivalent size", fontsize=9)
    fig.tight_layout()
    save(fig, d, "efficiency")


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
    froc_figure(d, exp, arms)
    strata_figure(d, exp, arms)
    volume_figure(d, exp, arms)
    efficiency_figure(d, exp, arms, metrics)


if __name__ == "__main__":
    main()
