#!/usr/bin/env python3
"""What in real FLAIR stops a phantom-trained model from finding its lesions? A controlled test.

    /usr/bin/python3 research/sim_to_real_context.py [--phantoms MANIFEST] build/bin/mstransfer [threads] MODEL.pt [MODEL.pt ...]

Writes variants of ../shared's real FLAIR (data_manifests/open_ms_cross_sectional.csv) in which
one thing changes (mostly its grey matter), runs every model on each with `mstransfer predict` (the framework's
own preprocessing and sliding window) and scores them with `mstransfer evaluate` against the
consensus mask (criterion any, 26-connectivity):

- original: the image as it is;
- gm_dimmer: grey-matter voxels darkened by 30 % of the grey-white difference;
- gm_as_wm: grey-matter voxels set to the white-matter median plus noise of the white matter's
  own local SD (the cortex and deep grey matter become white matter; lesions, white matter and CSF
  are untouched);
- near_gm_as_wm / far_gm_as_wm: the same, only for grey-matter voxels within / beyond 12 mm of a
  consensus lesion (does the grey matter act through the lesion's neighbourhood, or through the
  whole image, e.g. its z-score normalisation?);
- lesions_x1.15: the consensus lesions (dilated by 1 mm) 15 % brighter, nothing else changed (are
  real lesions just below the contrast the models learned?);
- csf_floor_0.4: CSF darker than 0.4 x the white-matter median raised to it (the phantoms' CSF / WM
  is about 0.4, the real case's 0.19: do its dark sulci and strong edges suppress the models?);
- matched_to_phantoms (with --phantoms MANIFEST, a synthetic cohort's manifest): the brain's
  intensities mapped, quantile by quantile, onto the mean brain histogram of the cohort's first 10
  studies as the network sees them (clipped at the 0.5/99.5 percentiles, z-scored): does the
  intensity scale, rather than the anatomy, separate the domains?

Tissue classes come from 3-class k-means of the brain's non-lesion intensities at 1 mm (FLAIR:
CSF < WM < GM); voxels within 2 mm of a consensus lesion are never changed. If sensitivity rises
when only the grey matter changes, the models miss real lesions because of the grey matter around
them, not because of how the lesions look.
"""
import csv
import os
import sys
import tempfile

import nibabel as nib
import numpy as np
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import researchutil  # noqa: E402
import synth_realism  # noqa: E402


def matched_to_phantoms(f, brain, manifest, n=10):
    """f with its brain intensities mapped quantile by quantile onto the mean brain histogram (0.1 %
    steps) of the first n studies of a synthetic cohort, each clipped at its 0.5/99.5 brain percentiles
    and z-scored in its brain mask, as the framework preprocesses them."""
    qs = np.linspace(0, 100, 1001)
    ref = []
    for r in synth_realism.rows(manifest)[:n]:
        v = synth_realism.to2mm(nib.load(r["flair"]), 1)
        m = synth_realism.to2mm(nib.load(r["brainmask"]), 0) > 0.5
        ref.append(np.percentile(synth_realism.network_view(v, m)[m], qs))
    g = f.copy()
    g[brain] = np.interp(f[brain], np.percentile(f[brain], qs), np.mean(ref, axis=0))
    g[brain] -= g[brain].min() - 1.0  # positive, as a magnitude image
    return g


def main():
    phantoms = None
    if len(sys.argv) > 2 and sys.argv[1] == "--phantoms":
        phantoms = os.path.abspath(sys.argv[2])
        del sys.argv[1:3]
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    threads = sys.argv[2]
    models = [os.path.abspath(m) for m in sys.argv[3:]]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    manifest = os.path.join(repo, "data_manifests", "open_ms_cross_sectional.csv")
    row = next(csv.DictReader(open(manifest)))
    base = os.path.dirname(manifest)
    flair_path = os.path.normpath(os.path.join(base, row["flair"]))
    label_path = os.path.normpath(os.path.join(base, row["label"]))
    img = nib.load(flair_path)
    f = np.asarray(img.dataobj, dtype=np.float32)
    lesion = np.asarray(nib.load(label_path).dataobj) > 0
    brain = f > 0
    near = ndimage.binary_dilation(lesion, iterations=2)
    c, _ = synth_realism.kmeans1d(f[brain & ~lesion], iters=100)
    lo, hi = (c[0] + c[1]) / 2, (c[1] + c[2]) / 2
    wm = brain & ~near & (f > lo) & (f < hi)
    gm = brain & ~near & (f >= hi)
    wm_median = float(np.median(f[wm]))
    mu = ndimage.uniform_filter(f, 3)
    wm_sd = float(np.median(np.sqrt(np.maximum(ndimage.uniform_filter(f * f, 3) - mu * mu, 0))[ndimage.binary_erosion(wm)]))
    rng = np.random.default_rng(0)
    as_wm = wm_median + rng.normal(0, wm_sd, f.shape)
    near_lesion = ndimage.distance_transform_edt(~lesion, sampling=img.header.get_zooms()[:3]) <= 12.0
    variants = {
        "original": f,
        "gm_dimmer": np.where(gm, f - 0.3 * (c[2] - c[1]), f),
        "gm_as_wm": np.where(gm, as_wm, f),
        "near_gm_as_wm": np.where(gm & near_lesion, as_wm, f),
        "far_gm_as_wm": np.where(gm & ~near_lesion, as_wm, f),
        "lesions_x1.15": np.where(ndimage.binary_dilation(lesion), 1.15 * f, f),
        "csf_floor_0.4": np.where(brain & ~near, np.maximum(f, 0.4 * wm_median), f),
    }
    if phantoms:
        variants["matched_to_phantoms"] = matched_to_phantoms(f, brain, phantoms)
    print(f"real FLAIR: {flair_path}; 1 mm k-means class means CSF / WM / GM {c[0]:.1f} / {c[1]:.1f} / {c[2]:.1f}; "
          f"{int(gm.sum())} grey-matter voxels changed")
    print(f"{'variant':14s} {'model':>5s} {'n_truth':>7s} {'found':>5s} {'sens':>6s} {'n_pred':>6s} {'ppv':>6s} {'F1':>6s}")
    with tempfile.TemporaryDirectory() as tmp:
        sens = {}
        for name, arr in variants.items():
            d = os.path.join(tmp, name)
            os.makedirs(d)
            out = np.where(brain, np.maximum(arr, 1e-3), 0).astype(np.float32)
            nib.save(nib.Nifti1Image(out, img.affine, img.header), os.path.join(d, "flair.nii.gz"))
            man = os.path.join(d, "m.csv")
            with open(man, "w") as fh:
                fh.write(f"subject,session,flair,label\n{row['subject']},{row['session']},flair.nii.gz,{label_path}\n")
            for k, m in enumerate(models):
                r = researchutil.predict_and_evaluate(binary, m, man, os.path.join(d, f"pred{k}"),
                                                   os.path.join(d, f"eval{k}.csv"), threads)[0]
                s = float(r["sensitivity"] or 0)
                sens.setdefault(name, []).append((s, float(r["f1"] or 0)))
                print(f"{name:14s} {k:5d} {r['n_truth']:>7s} {r['tp_truth']:>5s} {s:6.3f} {r['n_pred']:>6s} "
                      f"{float(r['ppv'] or 0):6.3f} {float(r['f1'] or 0):6.3f}")
        for name, v in sens.items():
            m = np.mean(v, axis=0)
            print(f"{name}: mean sensitivity {m[0]:.3f}, mean F1 {m[1]:.3f} over {len(v)} models")


if __name__ == "__main__":
    main()
