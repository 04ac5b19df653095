#!/usr/bin/env python3
"""Side-by-side timing: lesion labelling and lesion-wise metrics, mstransfer vs SciPy.

Builds one pair of 1 mm masks (182 x 218 x 182, ellipsoidal lesions), saves them as
NIfTI, times scipy.ndimage.label and a NumPy lesion-wise evaluation (criterion 'any',
26-connectivity) on them, then runs mstransfer_bench on the same files and prints
the ratio. Single thread for both. Usage (Debian's python3 with numpy/scipy/nibabel):

    /usr/bin/python3 bench/metrics_vs_scipy.py build/bin/mstransfer_bench
"""
import json
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import best_of  # noqa: E402


def ellipsoid(m, c, r):
    zz, yy, xx = np.ogrid[: m.shape[0], : m.shape[1], : m.shape[2]]
    m[((xx - c[0]) / r[0]) ** 2 + ((yy - c[1]) / r[1]) ** 2 + ((zz - c[2]) / r[2]) ** 2 <= 1] = 1


def make_masks():
    rng = np.random.default_rng(7)
    shape = (182, 218, 182)  # numpy [z, y, x]
    truth = np.zeros(shape, np.uint8)
    pred = np.zeros(shape, np.uint8)
    for i in range(60):
        c = rng.uniform([30, 30, 30], [150, 190, 150])
        r = rng.uniform(1.5, 6, 3)
        ellipsoid(truth, c, r)
        if i % 4:
            ellipsoid(pred, c + [1, 0, 0], r)
    for _ in range(20):
        ellipsoid(pred, rng.uniform([30, 30, 30], [150, 190, 150]), (2, 2, 2))
    return truth, pred


def evaluate_any(pred, truth):
    s = ndimage.generate_binary_structure(3, 3)
    tl, nt = ndimage.label(truth, s)
    pl, npred = ndimage.label(pred, s)
    found = len(np.unique(tl[(tl > 0) & (pred > 0)]))
    true_pred = len(np.unique(pl[(pl > 0) & (truth > 0)]))
    inter = np.logical_and(pred, truth).sum()
    dice = 2 * inter / (pred.sum() + truth.sum())
    return nt, npred, found, true_pred, dice



def main():
    bench = sys.argv[1] if len(sys.argv) > 1 else "build/bin/mstransfer_bench"
    truth, pred = make_masks()
    s26 = ndimage.generate_binary_structure(3, 3)
    t_label = best_of(lambda: ndimage.label(truth, s26), 5)
    t_eval = best_of(lambda: evaluate_any(pred, truth), 5)
    nt, npred, found, true_pred, dice = evaluate_any(pred, truth)
    with tempfile.TemporaryDirectory() as d:
        # numpy [z,y,x] -> NIfTI [x,y,z]
        nib.save(nib.Nifti1Image(truth.transpose(2, 1, 0).copy(), np.eye(4)), os.path.join(d, "t.nii.gz"))
        nib.save(nib.Nifti1Image(pred.transpose(2, 1, 0).copy(), np.eye(4)), os.path.join(d, "p.nii.gz"))
        env = dict(os.environ, MST_BENCH_TRUTH=os.path.join(d, "t.nii.gz"), MST_BENCH_PRED=os.path.join(d, "p.nii.gz"))
        out = subprocess.run([bench, "--benchmark_filter=BM_LabelComponents/connectivity:26|BM_EvaluateStudy/anima:0",
                              "--benchmark_format=json", "--benchmark_repetitions=5",
                              "--benchmark_report_aggregates_only=true"], env=env, check=True,
                             capture_output=True, text=True).stdout
    res = {b["run_name"]: b["real_time"] / 1000.0 for b in json.loads(out)["benchmarks"] if b.get("aggregate_name") == "median"}
    c_label = res["BM_LabelComponents/connectivity:26"]
    c_eval = res["BM_EvaluateStudy/anima:0"]
    print(f"masks: 182x218x182, {nt} true lesions, {npred} predicted, found {found}, true predicted {true_pred}, dice {dice:.4f}")
    print(f"{'task':34s} {'scipy (s)':>10s} {'mstransfer (s)':>15s} {'ratio':>7s}")
    print(f"{'label components, 26-conn':34s} {t_label:10.4f} {c_label:15.4f} {t_label / c_label:6.1f}x")
    print(f"{'lesion-wise eval (any), 26-conn':34s} {t_eval:10.4f} {c_eval:15.4f} {t_eval / c_eval:6.1f}x")


if __name__ == "__main__":
    main()
