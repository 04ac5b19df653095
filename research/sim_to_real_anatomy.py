#!/usr/bin/env python3
"""Would real anatomy close the sim-to-real gap? Semi-synthetic cohorts: real brains, synthetic lesions.

    /usr/bin/python3 research/sim_to_real_anatomy.py [--keep DIR] [--repeats R] [--anatomy KIND] [--set SECTION.KEY=VALUE ...]
                                                  build/bin/mstransfer [threads] [train_size]

The sim-to-real check (research/sim_to_real.py) trains on the built-in phantoms and finds about a
fifth of the real case's lesions; research/sim_to_real_context.py shows that the real grey matter around
the lesions is what stops those models. This script asks the converse: models trained, with the demo's
settings, on studies whose anatomy is a real brain and whose lesions are synthetic. If they reach the
F1 that the phantoms do not, real anatomy is the lever; if not, anatomy alone does not close the gap.

--anatomy KIND (default test_brain) chooses the brains the studies are built on:
- test_brain: ../shared's cross-sectional patient itself (1 mm MNI FLAIR), its consensus lesions
  inpainted with the white matter around them (dilated by 2 mm). The most favourable anatomy there can
  be, an upper bound rather than a result: the models see the test brain's own cortex as normal tissue
  (never its lesions: those are inpainted, so the lesion sites are taught as normal white matter).
- longitudinal: ../shared's two longitudinal patients, both visits (raw 2D FLAIR, 3-4 mm slices,
  not bias-corrected), resampled into their common space with the ITK transforms, brain-masked. Their
  own lesions are unlabelled: components of at least 20 voxels (1 mm) brighter than the brain's 98.5th
  percentile, 5 mm or more inside the brain, are inpainted as above, which removes most of them.
- hemisphere: real lesions instead of synthetic ones: the test patient's own image, the lesions of one
  hemisphere labelled for training and those of the other inpainted; the models are scored on the other
  hemisphere only (lesions and predicted components assigned by their centroid), and the two folds
  are pooled. No synthetic lesions. One patient's lesions are few (14 and 23 per half), so this is a
  small-data point of real training data (its own lesions, its own cortex), not a ceiling.

Each synthetic study: the anatomy flipped left-right or not (at random), 15-35 lesions whose shapes are connected
components (>= 3 voxels) of the five consensus masks in ../shared/.../masks_only (other patients),
randomly flipped along each axis, centred on white-matter voxels (45 % within 6 mm of the ventricles)
with at least 80 % of their voxels in white matter and none touching another; intensity as in the
built-in generator (lib/synth/Cohorts.cpp, msLesion): peak 1.3-1.75 x the tissue, a rim 0.5-0.8
fainter at the edge, heterogeneity 0.25-0.5 (times smooth noise of SD 0.5, clipped at 2 SD). Then resampled to 2 mm (the demo's grid). Tissue classes
are a 3-class k-means of the brain's intensities (research/synth_realism.py).

The models (a one-arm experiment inheriting experiments/demo/base.toml: de novo, `train_size` studies,
early stopping on 4 validation studies of the same cohort; --set changes one setting, as in
research/sim_to_real.py) are then run by `mstransfer predict` on
data_manifests/open_ms_cross_sectional.csv and scored by `mstransfer evaluate` (criterion any,
26-connectivity), exactly as in research/sim_to_real.py.
"""
import csv
import json
import os
import sys
import tempfile

import nibabel as nib
import numpy as np
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import researchutil  # noqa: E402
import synth_realism  # noqa: E402

SHARED = "../shared/data/open_ms_data"


def inpaint(f, region, keep, rng, sigma=3.0):
    """f with `region` replaced by a smooth average of the `keep` voxels around it plus noise of their
    local SD (normalised convolution)."""
    w = ndimage.gaussian_filter(keep.astype(np.float32), sigma)
    m = ndimage.gaussian_filter(np.where(keep, f, 0).astype(np.float32), sigma)
    m2 = ndimage.gaussian_filter(np.where(keep, f * f, 0).astype(np.float32), sigma)
    mean = m / np.maximum(w, 1e-6)
    sd = np.sqrt(np.maximum(m2 / np.maximum(w, 1e-6) - mean * mean, 0))
    g = f.copy()
    g[region] = mean[region] + sd[region] * rng.standard_normal(int(region.sum())).astype(np.float32)
    return g


def large_components(mask, min_voxels, structure=None):
    """The connected components of mask with at least min_voxels voxels (ndimage.label's structure)."""
    lab, n = ndimage.label(mask, structure=structure)
    sizes = ndimage.sum(mask, lab, range(1, n + 1)) if n else []
    return np.isin(lab, [i + 1 for i, v in enumerate(sizes) if v >= min_voxels])


def tissue(f, brain):
    _, lab = synth_realism.kmeans1d(f[brain])
    t = np.zeros(f.shape, np.int8)  # 0 outside, 1 CSF, 2 WM, 3 GM
    t[brain] = lab + 1
    return t


def test_brain(rng):
    _, f, les = patient07()
    brain = f > 0
    region = ndimage.binary_dilation(les, iterations=2) & brain
    t = tissue(np.where(region, np.median(f[brain]), f), brain & ~region)
    f = inpaint(f, region, (t == 2) & ~region, rng)
    t[region] = 2
    return [(f, brain, t)]


def itk_affine(path):
    """The ITK MatrixOffsetTransform in `path` as a 4x4 matrix on LPS points (fixed -> moving)."""
    params = fixed = None
    for line in open(path):
        if line.startswith("Parameters:"):
            params = np.array(line.split()[1:], float)
        elif line.startswith("FixedParameters:"):
            fixed = np.array(line.split()[1:], float)
    a, t, c = params[:9].reshape(3, 3), params[9:12], fixed
    m = np.eye(4)
    m[:3, :3] = a
    m[:3, 3] = t + c - a @ c
    return m


def longitudinal(rng):
    lps = np.diag([-1.0, -1.0, 1.0, 1.0])
    out = []
    for p in ("patient01", "patient03"):
        d = os.path.join(SHARED, "longitudinal", p)
        ref = nib.load(os.path.join(d, "brainmask.nii.gz"))
        brain_c = np.asarray(ref.dataobj) > 0
        for visit in ("study1", "study2"):
            mov = nib.load(os.path.join(d, f"{visit}_FLAIR.nii.gz"))
            # common-space voxel -> RAS -> LPS -> moving LPS -> RAS -> moving voxel
            m = np.linalg.inv(mov.affine) @ lps @ itk_affine(os.path.join(d, f"{visit}_FLAIR_to_common_space.txt")) @ lps @ ref.affine
            src = np.asarray(mov.dataobj, np.float32)
            f = ndimage.affine_transform(src, m[:3, :3], m[:3, 3], output_shape=ref.shape, order=1)
            # to 1 mm isotropic (the anatomy's own grid is 0.72 x 0.72 x 3 mm)
            z = np.array(ref.header.get_zooms()[:3], float)
            f = ndimage.zoom(f, z, order=1)
            brain = ndimage.zoom(brain_c.astype(np.float32), z, order=1) > 0.5
            brain &= f > 0
            f[~brain] = 0
            t = tissue(f, brain)
            # their own (unlabelled) lesions: bright components of at least 20 voxels inside the brain
            inner = ndimage.binary_erosion(brain, iterations=5)
            bright = large_components(inner & (f > np.percentile(f[brain], 98.5)), 20, np.ones((3, 3, 3)))
            wm = t == 2
            region = ndimage.binary_dilation(bright, iterations=2) & brain
            f = inpaint(f, region, wm & ~region, rng)
            t[region] = 2
            out.append((f, brain, t))
    return out


def patient07():
    row = next(csv.DictReader(open("data_manifests/open_ms_cross_sectional.csv")))
    p = lambda k: os.path.normpath(os.path.join("data_manifests", row[k]))  # noqa: E731
    img = nib.load(p("flair"))
    return img, np.asarray(img.dataobj, np.float32), np.asarray(nib.load(p("label")).dataobj) > 0


def components(mask):
    """26-connected components of mask: (labels, centroid x of each)."""
    lab, n = ndimage.label(mask, structure=np.ones((3, 3, 3)))
    return lab, np.array([c[0] for c in ndimage.center_of_mass(mask, lab, range(1, n + 1))]) if n else np.zeros(0)


def in_half(mask, fold, mid):
    """The components of mask whose centroid lies in the fold's half of the x axis (0: x < mid)."""
    lab, cx = components(mask)
    keep = [i + 1 for i, x in enumerate(cx) if (x < mid) == (fold == 0)]
    return np.isin(lab, keep)


def write_hemisphere_cohort(out, fold, n, rng, f, les):
    """Studies of the test patient's image f (lesions les) with the lesions of half `1 - fold` labelled
    and those of half `fold` (the half scored later) inpainted; flipped left-right at random."""
    os.makedirs(out, exist_ok=True)
    brain = f > 0
    mid = f.shape[0] / 2.0
    hide = in_half(les, fold, mid)
    region = ndimage.binary_dilation(hide, iterations=2) & brain
    near = ndimage.binary_dilation(les, iterations=2)
    t = tissue(np.where(near, np.median(f[brain]), f), brain)
    f = inpaint(f, region, (t == 2) & ~near, rng)
    lab = les & ~hide
    rows = []
    for i in range(n):
        g, l_, b = f, lab, brain
        if rng.random() < 0.5:
            g, l_, b = g[::-1], l_[::-1], b[::-1]
        rows.append(save_study(out, f"hf{i:03d}", g, l_, b))
    return write_manifest(out, rows)


def save_study(out, sid, g, lab, brain):
    """Writes one study at 2 mm (the demo's grid); returns its manifest row."""
    aff = np.diag([2.0, 2.0, 2.0, 1.0])
    v = ndimage.zoom(g, 0.5, order=1).astype(np.float32)
    b = ndimage.zoom(brain.astype(np.float32), 0.5, order=1) > 0.5
    l_ = ndimage.zoom(lab.astype(np.float32), 0.5, order=1) > 0.5
    v[~b] = 0
    for kind, arr in (("flair", v), ("label", l_.astype(np.uint8)), ("brainmask", b.astype(np.uint8))):
        nib.save(nib.Nifti1Image(arr, aff), os.path.join(out, f"{sid}_{kind}.nii.gz"))
    print(f"study {sid}: {int(l_.sum())} lesion voxels at 2 mm", flush=True)
    return {"subject": sid, "session": "1", "flair": f"{sid}_flair.nii.gz", "label": f"{sid}_label.nii.gz",
            "brainmask": f"{sid}_brainmask.nii.gz"}


def write_manifest(out, rows):
    with open(os.path.join(out, "manifest.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return os.path.join(out, "manifest.csv")


def lesion_pool():
    pool = []
    d = os.path.join(SHARED, "cross_sectional", "masks_only")
    for name in sorted(os.listdir(d)):
        m = np.asarray(nib.load(os.path.join(d, name)).dataobj) > 0
        lab, n = ndimage.label(m, structure=np.ones((3, 3, 3)))
        for k, sl in enumerate(ndimage.find_objects(lab), start=1):
            comp = lab[sl] == k
            if comp.sum() >= 3:
                pool.append(comp)
    return pool


def lesion_sites(t, brain):
    """Where lesions may be centred: (white matter, {True: WM voxels within 6 mm of the ventricles,
    False: WM voxels 15 mm or more inside the brain})."""
    wm = t == 2
    inner = ndimage.binary_erosion(brain, iterations=15)
    # the ventricles: large CSF components away from the brain's edge
    vent = large_components(ndimage.binary_opening(t == 1, iterations=2) & inner, 501)
    near_vent = wm & ndimage.binary_dilation(vent, iterations=6)
    return wm, {True: np.argwhere(near_vent), False: np.argwhere(wm & inner)}


def insert_lesions(f, sites, pool, rng):
    """f with 15-35 synthetic lesions (lib/synth's intensity model) centred on lesion_sites(...);
    returns (f, label)."""
    wm, cands = sites
    label = np.zeros(f.shape, bool)
    g = f.copy()
    want = rng.integers(15, 36)
    placed = tries = 0
    while placed < want and tries < 4000:
        tries += 1
        comp = pool[rng.integers(len(pool))]
        for ax in range(3):
            if rng.random() < 0.5:
                comp = np.flip(comp, ax)
        pv = rng.random() < 0.45 and len(cands[True])
        c = cands[bool(pv)][rng.integers(len(cands[bool(pv)]))]
        lo = c - np.array(comp.shape) // 2
        hi = lo + comp.shape
        if np.any(lo < 1) or np.any(hi >= np.array(f.shape) - 1):
            continue
        sl = tuple(slice(a, b) for a, b in zip(lo, hi))
        if wm[sl][comp].mean() < 0.8:
            continue
        grown = tuple(slice(a - 1, b + 1) for a, b in zip(lo, hi))
        if label[grown].any():
            continue
        depth = ndimage.distance_transform_edt(np.pad(comp, 1))[1:-1, 1:-1, 1:-1]
        depth = depth / max(depth.max(), 1.0)
        peak = rng.uniform(1.3, 1.75)
        rim = rng.uniform(0.5, 0.8)
        het = rng.uniform(0.25, 0.5)
        noise = ndimage.gaussian_filter(rng.standard_normal(comp.shape), 1.0)
        noise /= max(noise.std(), 1e-6)
        prof = (1.0 - rim * (1.0 - depth)) * (1.0 + het * np.clip(noise, -2, 2) * 0.5)
        prof = np.where(comp, np.clip(prof, 0, None), 0.0)
        prof = ndimage.gaussian_filter(prof, 0.5)
        g[sl] = g[sl] * (1.0 + (peak - 1.0) * prof)
        label[sl] |= comp
        placed += 1
    return g, label


def write_cohort(out, anatomy, n, rng):
    os.makedirs(out, exist_ok=True)
    pool = lesion_pool()
    sites = {}
    rows = []
    for i in range(n):
        f, brain, t = anatomy[i % len(anatomy)]
        flip = rng.random() < 0.5
        if flip:
            f, brain, t = f[::-1], brain[::-1], t[::-1]
        key = (i % len(anatomy), flip)
        if key not in sites:
            sites[key] = lesion_sites(t, brain)
        g, lab = insert_lesions(f, sites[key], pool, rng)
        rows.append(save_study(out, f"sa{i:03d}", g, lab, brain))
    return write_manifest(out, rows)


def report(rows):
    """Prints one line per model (dicts of n_truth, n_pred, tp_truth, tp_pred) and the mean F1."""
    f1s = []
    for k, r in enumerate(rows):
        sens = r["tp_truth"] / r["n_truth"] if r["n_truth"] else 0.0
        ppv = r["tp_pred"] / r["n_pred"] if r["n_pred"] else 0.0
        f1 = 2 * sens * ppv / (sens + ppv) if sens + ppv > 0 else 0.0
        f1s.append(f1)
        print(f"model {k}: n_truth {r['n_truth']} n_pred {r['n_pred']} sens {sens:.3f} ppv {ppv:.3f} F1 {f1:.3f}")
    mean, sd = researchutil.mean_sd(f1s)
    print(f"mean lesion-wise F1: {mean:.3f} (SD {sd:.3f}, {len(f1s)} models)")


def counts(r):
    return {k: int(float(r[k])) for k in ("n_truth", "n_pred", "tp_truth", "tp_pred")}


def main():
    keep, repeats, kind, overrides = None, 1, "test_brain", {}
    while len(sys.argv) > 2 and sys.argv[1] in ("--keep", "--repeats", "--anatomy", "--set"):
        if sys.argv[1] == "--keep":
            keep = os.path.abspath(sys.argv[2])
            os.makedirs(keep, exist_ok=True)
        elif sys.argv[1] == "--set":
            researchutil.add_setting(sys.argv[2], overrides)
        elif sys.argv[1] == "--repeats":
            repeats = int(sys.argv[2])
        else:
            kind = sys.argv[2]
            if kind not in ("test_brain", "longitudinal", "hemisphere"):
                sys.exit(f"--anatomy: expected 'test_brain', 'longitudinal' or 'hemisphere', got '{kind}'")
        del sys.argv[1:3]
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/bin/mstransfer")
    threads = sys.argv[2] if len(sys.argv) > 2 else str(os.cpu_count())
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(repo)
    rng = np.random.default_rng(16)
    real = os.path.join(repo, "data_manifests", "open_ms_cross_sectional.csv")
    with tempfile.TemporaryDirectory() as tmp:
        work = keep or tmp
        if kind != "hemisphere":
            anatomy = test_brain(rng) if kind == "test_brain" else longitudinal(rng)
            manifest = write_cohort(os.path.join(work, "cohort"), anatomy, size + 12, rng)
            models = researchutil.train_one_arm(binary, work, "anatomy.toml", "sim_to_real_anatomy", size, repeats, overrides,
                                            threads, manifest)
            rows = [counts(r) for k, m in enumerate(models)
                    for r in researchutil.predict_and_evaluate(binary, m, real, os.path.join(work, f"pred{k}"),
                                                            os.path.join(work, f"eval{k}.csv"), threads)]
            print(f"anatomy: {kind}; real FLAIR: {real}; criterion any, 26-connectivity")
            report(rows)
            return
        img, f, les = patient07()
        mid = les.shape[0] / 2.0
        pooled = []
        for fold in (0, 1):
            fw = os.path.join(work, f"fold{fold}")
            os.makedirs(fw, exist_ok=True)
            manifest = write_hemisphere_cohort(os.path.join(fw, "cohort"), fold, size + 12, rng, f, les)
            models = researchutil.train_one_arm(binary, fw, "anatomy.toml", "sim_to_real_anatomy", size, repeats, overrides,
                                            threads, manifest)
            truth = os.path.join(fw, "truth_half.nii.gz")
            nib.save(nib.Nifti1Image(in_half(les, fold, mid).astype(np.uint8), img.affine), truth)
            rows = []
            for k, m in enumerate(models):
                pred_dir = os.path.join(fw, f"pred{k}")
                researchutil.run([binary, "predict", "--model", m, "--manifest", real, "--out", pred_dir, "--threads", threads])
                mask = nib.load(os.path.join(pred_dir, "patient07_1_mask.nii.gz"))
                half = os.path.join(fw, f"pred{k}_half.nii.gz")
                nib.save(nib.Nifti1Image(in_half(np.asarray(mask.dataobj) > 0, fold, mid).astype(np.uint8), mask.affine), half)
                rows.append(counts(json.loads(researchutil.run([binary, "evaluate", "--pred", half, "--truth", truth, "--json"]))))
            print(f"fold {fold}: trained on the lesions of x {'>=' if fold == 0 else '<'} {mid:.0f}, scored on the other half")
            report(rows)
            pooled = rows if not pooled else [{k: a[k] + b[k] for k in a} for a, b in zip(pooled, rows)]
        print(f"both folds pooled; real FLAIR: {real}; criterion any, 26-connectivity")
        report(pooled)


if __name__ == "__main__":
    main()
