#!/usr/bin/env python3
"""Independent reference (numpy) for the report's uncertainty over runs and studies.

Reads a long per-study file (arm, train_size, repeat, subject, session, metrics...) and writes
JSON with, for each training size and metric, de_novo (a) against fine_tuned (b):

- mean_diff: mean over the studies defined in both arms of (a's mean over its runs - b's);
- ci_low, ci_high: the two-level percentile bootstrap (studies with replacement, shared by both
  arms; inside each arm its runs with replacement), 4000 resamples, numpy's default percentile;
- the variance components (method of moments of the two-way layout on the studies every run of an
  arm defines), the planned CI half-width z * sqrt(...) at the design's R and S, and the same
  half-width measured by simulating 20000 designs from those components;
- efficiency: fine_tuned's mean at each size placed on de_novo's curve, interpolated in log n.

Written from the definitions in docs/METRICS.md, not from the C++ code.

    /usr/bin/python3 tests/reference/two_level.py per_study_runs.csv out.json
"""
import csv
import json
import math
import sys

import warnings

import numpy as np

warnings.simplefilter("ignore", RuntimeWarning)  # nanmean of a drawn study without values: NaN, dropped
from statistics import NormalDist


def load(path):
    cells = {}
    studies = set()
    for r in csv.DictReader(open(path)):
        key = (r["arm"], int(r["train_size"]))
        study = r["subject"] + "/" + r["session"]
        studies.add(study)
        cells.setdefault(key, {}).setdefault(int(r["repeat"]), {})[study] = r
    return cells, sorted(studies)


def matrix(cell, studies, metric):
    runs = sorted(cell)
    m = np.full((len(runs), len(studies)), np.nan)
    for i, run in enumerate(runs):
        for j, s in enumerate(studies):
            v = cell[run].get(s, {}).get(metric, "")
            if v != "":
                m[i, j] = float(v)
    return m


def study_means(m):
    with np.errstate(all="ignore"):
        return np.nanmean(m, axis=0)


def components(m):
    m = m[:, ~np.isnan(m).any(axis=0)]
    r, s = m.shape
    grand = m.mean()
    row, col = m.mean(axis=1), m.mean(axis=0)
    ms_run = s * ((row - grand) ** 2).sum() / (r - 1)
    ms_study = r * ((col - grand) ** 2).sum() / (s - 1)
    ms_res = ((m - row[:, None] - col[None, :] + grand) ** 2).sum() / ((r - 1) * (s - 1))
    return {"run": max(0.0, (ms_run - ms_res) / s), "study": max(0.0, (ms_study - ms_res) / r), "residual": ms_res}


def two_level(a, b, rng, resamples=4000, level=0.95):
    ma, mb = study_means(a), study_means(b)
    keep = ~np.isnan(ma) & ~np.isnan(mb)
    a, b = a[:, keep], b[:, keep]
    d = ma[keep] - mb[keep]
    n = d.size
    reps = []
    for _ in range(resamples):
        idx = rng.integers(0, n, size=n)
        ra = rng.integers(0, a.shape[0], size=a.shape[0])
        rb = rng.integers(0, b.shape[0], size=b.shape[0])
        with np.errstate(all="ignore"):
            xa = np.nanmean(a[np.ix_(ra, idx)], axis=0)
            xb = np.nanmean(b[np.ix_(rb, idx)], axis=0)
        diff = xa - xb
        diff = diff[~np.isnan(diff)]
        if diff.size:
            reps.append(diff.mean())
    lo, hi = np.percentile(reps, [50 * (1 - level), 100 - 50 * (1 - level)])
    ca, cb = components(a), components(b)
    vd = float(np.var(d, ddof=1))
    study_diff = max(0.0, vd - ca["residual"] / a.shape[0] - cb["residual"] / b.shape[0])
    return {"n_studies": int(n), "n_runs_a": int(a.shape[0]), "n_runs_b": int(b.shape[0]),
            "mean_diff": float(d.mean()), "ci_low": float(lo), "ci_high": float(hi),
            "var_run_a": ca["run"], "var_run_b": cb["run"], "var_residual_a": ca["residual"],
            "var_residual_b": cb["residual"], "var_study_diff": study_diff}


def planned(c, runs, studies, level=0.95):
    z = NormalDist().inv_cdf(0.5 + level / 2)
    var = ((c["var_run_a"] + c["var_run_b"]) / runs + c["var_study_diff"] / studies
           + (c["var_residual_a"] + c["var_residual_b"]) / (runs * studies))
    return z * math.sqrt(var)


def simulated(c, runs, studies, rng, sims=20000, level=0.95):
    """Half-width z * SD of mean_diff over designs drawn from the components."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    run_a = rng.normal(0, math.sqrt(c["var_run_a"]), (sims, runs))
    run_b = rng.normal(0, math.sqrt(c["var_run_b"]), (sims, runs))
    study = rng.normal(0, math.sqrt(c["var_study_diff"]), (sims, studies))
    res_a = rng.normal(0, math.sqrt(c["var_residual_a"]), (sims, runs, studies))
    res_b = rng.normal(0, math.sqrt(c["var_residual_b"]), (sims, runs, studies))
    ya = run_a[:, :, None] + study[:, None, :] + res_a
    yb = run_b[:, :, None] + res_b
    diff = (ya.mean(axis=1) - yb.mean(axis=1)).mean(axis=1)
    return z * float(diff.std(ddof=1))


def efficiency(cells, studies, metric):
    sizes = sorted(s for (arm, s) in cells if arm == "de_novo")
    curve = [float(np.nanmean(study_means(matrix(cells[("de_novo", s)], studies, metric)))) for s in sizes]
    out = {}
    for (arm, size) in sorted(cells):
        if arm != "fine_tuned":
            continue
        v = float(np.nanmean(study_means(matrix(cells[(arm, size)], studies, metric))))
        if v < curve[0]:
            out[str(size)] = {"value": v, "equivalent": sizes[0], "censored": "below"}
        elif v > max(curve):
            out[str(size)] = {"value": v, "equivalent": sizes[-1], "censored": "above"}
        else:
            for i in range(len(sizes) - 1):
                if curve[i] <= v <= curve[i + 1]:
                    t = (v - curve[i]) / (curve[i + 1] - curve[i]) if curve[i + 1] > curve[i] else 0.0
                    ln = math.log(sizes[i]) + t * (math.log(sizes[i + 1]) - math.log(sizes[i]))
                    out[str(size)] = {"value": v, "equivalent": math.exp(ln), "censored": "none"}
                    break
    return out


def main():
    cells, studies = load(sys.argv[1])
    rng = np.random.default_rng(7)
    result = {"comparisons": {}, "efficiency": {}}
    for metric in ("sensitivity", "ppv"):
        for size in sorted({s for (_, s) in cells}):
            a = matrix(cells[("de_novo", size)], studies, metric)
            b = matrix(cells[("fine_tuned", size)], studies, metric)
            c = two_level(a, b, rng)
            runs = min(c["n_runs_a"], c["n_runs_b"])
            c["planned_half_width"] = planned(c, runs, c["n_studies"])
            c["simulated_half_width"] = simulated(c, runs, c["n_studies"], rng)
            result["comparisons"][f"{metric}/{size}"] = c
        result["efficiency"][metric] = efficiency(cells, studies, metric)
    json.dump(result, open(sys.argv[2], "w"), indent=1)


if __name__ == "__main__":
    main()
