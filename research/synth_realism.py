#!/usr/bin/env python3
"""How close are the built-in phantoms to real FLAIR? Numbers, not previews.

Compares the studies of two manifests (a synthetic cohort and real data), channel
`flair`, each brought to the same footing the network sees: resampled to 2 mm
(linear), clipped at the 0.5/99.5 brain percentiles and z-scored within the brain
(the framework's default preprocessing). Brain: the manifest's brainmask column, or
voxels > 0 (skull-stripped data). Per study:

- tissue: 3-class k-means of the non-lesion brain intensities (FLAIR: CSF < WM < GM);
  class means (z), class fractions, WM-GM separation in WM SDs;
- lesions: mean z, contrast to WM in WM SDs, heterogeneity (SD of lesion voxels in WM
  SDs); count, volumes (26-connected components of the label, mm^3); median distance
  of lesion voxels to the nearest CSF-class voxel (mm; periventricular lesions are close);
  local contrast (each lesion's mean z minus that of the 2 mm shell of tissue around it);
- texture: median local SD (3x3x3) in WM, in z units; median gradient magnitude in the
  brain (z per mm); lesion-like voxels: the fraction of non-lesion brain voxels brighter
  than the lesion mean minus one lesion SD (what a lesion detector must learn to ignore);
- the tissue fractions at the outer brain edge (cortex) vs deep; the share of white matter within
  4 mm of grey matter.

    /usr/bin/python3 research/synth_realism.py SYNTH_MANIFEST REAL_MANIFEST [max_synth_studies]

Prints one table (mean over studies per side, and real/synthetic ratios).
"""
import csv
import os
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage


def rows(manifest):
    base = os.path.dirname(os.path.abspath(manifest))
    out = []
    for r in csv.DictReader(open(manifest)):
        p = lambda k: os.path.normpath(os.path.join(base, r[k])) if r.get(k) else None  # noqa: E731
        out.append({"id": r["subject"] + "_" + r.get("session", ""), "flair": p("flair"), "label": p("label"),
                    "brainmask": p("brainmask")})
    return out


def to2mm(img, order):
    z = np.array(img.header.get_zooms()[:3], float)
    data = np.asarray(img.dataobj, dtype=np.float32)
    factor = z / 2.0
    if np.allclose(factor, 1.0):
        return data
    return ndimage.zoom(data, factor, order=order)


def kmeans1d(x, k=3, iters=50):
    c = np.percentile(x, [10, 50, 90]).astype(float)
    for _ in range(iters):
        lab = np.argmin(np.abs(x[:, None] - c[None, :]), axis=1)
        new = np.array([x[lab == i].mean() if np.any(lab == i) else c[i] for i in range(k)])
        if np.allclose(new, c):
            break
        c = new
    order = np.argsort(c)
    return c[order], np.argsort(order)[lab]


def clip_brain(f, brain):
    """f clipped at its 0.5/99.5 brain percentiles, as the framework's preprocessing does."""
    return np.clip(f, *np.percentile(f[brain], [0.5, 99.5]))


def network_view(f, brain, clipped=None):
    """f as the framework's preprocessing gives it to the network: clipped (clip_brain; pass it when
    already computed) and z-scored with the brain's mean and SD."""
    c = clip_brain(f, brain) if clipped is None else clipped
    return (c - c[brain].mean()) / c[brain].std()


def study(r):
    f = to2mm(nib.load(r["flair"]), 1)
    lab = to2mm(nib.load(r["label"]), 0) > 0.5
    brain = (to2mm(nib.load(r["brainmask"]), 0) > 0.5) if r["brainmask"] else f > 1e-3
    raw = clip_brain(f, brain)
    z = network_view(f, brain, raw)
    nonles = brain & ~lab
    c, cls = kmeans1d(z[nonles])
    tissue = np.full(z.shape, -1)
    tissue[nonles] = cls  # 0 CSF, 1 WM, 2 GM (FLAIR order)
    wm = tissue == 1
    wm_sd = z[wm].std()
    s = {}
    s["CSF mean z"], s["WM mean z"], s["GM mean z"] = c
    s["CSF fraction"] = np.mean(cls == 0)
    s["WM fraction"] = np.mean(cls == 1)
    s["GM fraction"] = np.mean(cls == 2)
    s["GM-WM separation (WM SDs)"] = (c[2] - c[1]) / wm_sd
    wm_raw = np.median(raw[wm])
    s["GM / WM intensity"] = np.median(raw[tissue == 2]) / wm_raw
    s["CSF / WM intensity"] = np.median(raw[tissue == 0]) / wm_raw
    if lab.any():
        s["lesion mean z"] = z[lab].mean()
        s["lesion contrast to WM (WM SDs)"] = (z[lab].mean() - c[1]) / wm_sd
        s["lesion heterogeneity (WM SDs)"] = z[lab].std() / wm_sd
        s["lesion / WM intensity"] = np.median(raw[lab]) / wm_raw
        comps, n = ndimage.label(lab, structure=np.ones((3, 3, 3)))
        vols = ndimage.sum(lab, comps, range(1, n + 1)) * 8.0
        s["lesions (count)"] = n
        s["lesion volume median (mm3)"] = float(np.median(vols))
        s["lesion volume 90th pct (mm3)"] = float(np.percentile(vols, 90))
        dist = ndimage.distance_transform_edt(tissue != 0) * 2.0
        s["lesion distance to CSF median (mm)"] = float(np.median(dist[lab]))
        # One pass over the lesions, each in its bounding box grown by 3 voxels (room for a 3-voxel dilation):
        # - grey matter around it: the GM-class share of the brain 2-6 mm away (the second and third 2 mm
        #   dilation, other lesions excluded; the first holds the lesion's own partial-volumed edge).
        #   Real lesions sit among gyri and deep grey nuclei.
        # - local contrast: its mean z minus that of the 2 mm shell around it (non-CSF, non-lesion voxels
        #   one dilation out), for lesions of 2 voxels or more. Real lesions fade into their surroundings;
        #   a sharp-edged phantom lesion stands out more from the same tissue.
        csf_thr = (c[0] + c[1]) / 2
        tissue_ok = ~lab & brain & (z > csf_thr)
        ring, local = [], []
        for i, box in enumerate(ndimage.find_objects(comps), start=1):
            box = tuple(slice(max(b.start - 3, 0), b.stop + 3) for b in box)
            m = comps[box] == i
            inner = ndimage.binary_dilation(m)
            outer = ndimage.binary_dilation(m, iterations=3) & ~inner & ~lab[box] & brain[box]
            if outer.sum() >= 3:
                ring.append(float(np.mean(tissue[box][outer] == 2)))
            shell = inner & tissue_ok[box]
            if m.sum() >= 2 and shell.sum() >= 3:
                local.append(z[box][m].mean() - z[box][shell].mean())
        s["GM share 2-6 mm around lesions"] = float(np.mean(ring)) if ring else float("nan")
        s["lesion minus its 2 mm shell (z)"] = float(np.mean(local)) if local else float("nan")
        thr = z[lab].mean() - z[lab].std()
        s["lesion-like non-lesion voxels (%)"] = 100.0 * np.mean(z[nonles] > thr)
    local_sd = np.sqrt(np.maximum(ndimage.uniform_filter(z * z, 3) - ndimage.uniform_filter(z, 3) ** 2, 0))
    s["WM local SD (z)"] = float(np.median(local_sd[wm & (ndimage.binary_erosion(brain, iterations=2))]))
    g = np.sqrt(sum(ndimage.sobel(z, a) ** 2 for a in range(3))) / (32.0 * 2.0)
    s["brain gradient median (z/mm)"] = float(np.median(g[brain]))
    edge = brain & ~ndimage.binary_erosion(brain, iterations=3)
    s["GM fraction, outer 6 mm"] = float(np.mean(tissue[edge & nonles] == 2))
    s["GM fraction, deeper"] = float(np.mean(tissue[brain & ~edge & nonles] == 2))
    # How much white matter lies beside cortex: WM-class voxels with a GM-class voxel within 4 mm
    # (two 2 mm voxels, 6-connected steps): a lesion detector meets grey matter around most lesions.
    s["WM within 4 mm of GM (%)"] = 100.0 * float(np.mean(ndimage.binary_dilation(tissue == 2, iterations=2)[wm]))
    return s


def main():
    synth, real = rows(sys.argv[1]), rows(sys.argv[2])
    synth = synth[: int(sys.argv[3]) if len(sys.argv) > 3 else 10]
    S = [study(r) for r in synth]
    R = [study(r) for r in real]
    keys = list(dict.fromkeys(k for s in S + R for k in s))
    print(f"synthetic: {len(S)} studies of {sys.argv[1]}; real: {len(R)} of {sys.argv[2]}; all at 2 mm, z-scored in the brain")
    print(f"{'feature':42s} {'synthetic':>10s} {'real':>10s} {'real/synth':>10s}")
    for k in keys:
        a = np.mean([s[k] for s in S if k in s]) if any(k in s for s in S) else np.nan
        b = np.mean([s[k] for s in R if k in s]) if any(k in s for s in R) else np.nan
        ratio = b / a if a not in (0,) and np.isfinite(a) and np.isfinite(b) else np.nan
        print(f"{k:42s} {a:10.3f} {b:10.3f} {ratio:10.2f}")


if __name__ == "__main__":
    main()
