#!/usr/bin/env python3
"""An independent implementation of the MSSEG/Anima lesion rule (animaSegPerfAnalyzer:
6-connectivity, lesions strictly larger than 3 mm^3, alpha 0.10, beta 0.70, gamma 0.65),
written from the rule's definition with numpy and scipy.ndimage only, for the golden
values of tests/eval/RealMasksTest.cpp (MsSegProtocolMatchesAnIndependentImplementation).

For each consensus mask of ../shared's cross-sectional patients, the "prediction" is the
same mask moved by one voxel along the first array axis (x), so that small lesions are
missed and large ones found. Prints per patient: n_truth n_pred tp_truth tp_pred.

    python3 tests/reference/anima_reference.py ../shared/data/open_ms_data/cross_sectional/masks_only
"""
import os
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage

ALPHA, BETA, GAMMA, MIN_MM3 = 0.10, 0.70, 0.65, 3.0


def lesions(mask, voxel_mm3):
    """6-connected components strictly larger than MIN_MM3, relabelled 1..n."""
    lab, n = ndimage.label(mask, structure=ndimage.generate_binary_structure(3, 1))
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    keep = np.zeros(n + 1, bool)
    keep[1:] = sizes[1:] * voxel_mm3 > MIN_MM3
    out = np.zeros_like(lab)
    new = np.cumsum(keep) * keep
    out = new[lab]
    return out, int(keep.sum())


def first_voxel_order(lab, n):
    """Rank of each component by its first voxel with x varying fastest (a tie-break independent of labelling)."""
    flat = lab.transpose(2, 1, 0).ravel()  # z slowest, x fastest
    idx = np.full(n + 1, flat.size, dtype=np.int64)
    nz = np.nonzero(flat)[0]
    np.minimum.at(idx, flat[nz], nz)
    return idx


def detected(self_lab, n_self, other_lab, n_other):
    """Components of `self` detected by `other` under the Anima rule."""
    other_size = np.bincount(other_lab.ravel(), minlength=n_other + 1)
    outside = np.bincount(other_lab[self_lab == 0].ravel(), minlength=n_other + 1)  # voxels outside every self lesion
    self_size = np.bincount(self_lab.ravel(), minlength=n_self + 1)
    both = (self_lab > 0) & (other_lab > 0)
    pairs = {}
    for s, o in zip(self_lab[both].ravel(), other_lab[both].ravel()):
        pairs.setdefault(int(s), {}).setdefault(int(o), 0)
        pairs[int(s)][int(o)] += 1
    order = first_voxel_order(other_lab, n_other)
    found = 0
    for s in range(1, n_self + 1):
        ps = pairs.get(s, {})
        covered = sum(ps.values())
        if not ps or not covered / self_size[s] > ALPHA:
            continue
        acc, ok = 0, True
        for o, inter in sorted(ps.items(), key=lambda kv: (-kv[1], order[kv[0]])):
            if outside[o] / other_size[o] > BETA:
                ok = False
            acc += inter
            if acc >= GAMMA * covered - 1e-9:
                break
        found += ok
    return found


def main():
    root = sys.argv[1]
    for i in range(1, 6):
        img = nib.load(os.path.join(root, f"patient0{i}_consensus_gt.nii.gz"))
        truth = np.asarray(img.dataobj) != 0
        pred = np.zeros_like(truth)
        pred[1:] = truth[:-1]
        v = float(np.prod(img.header.get_zooms()[:3]))
        t_lab, nt = lesions(truth, v)
        p_lab, npred = lesions(pred, v)
        print(f"patient0{i} {nt} {npred} {detected(t_lab, nt, p_lab, npred)} {detected(p_lab, npred, t_lab, nt)}")


if __name__ == "__main__":
    main()
