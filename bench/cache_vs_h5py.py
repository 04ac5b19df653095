#!/usr/bin/env python3
"""Side-by-side: random patch reads from the HDF5 cache, mstransfer vs h5py, and
preprocessing of one 1 mm study, mstransfer vs nibabel + scipy.

Both read the very same cache file (two channels, 160 x 192 x 160 at 1 mm,
chunks 2 x 32^3, shuffle + deflate 1) and the same NIfTI study. Usage:

    /usr/bin/python3 bench/cache_vs_h5py.py build/bin
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import h5py
import nibabel as nib
import numpy as np
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import best_of  # noqa: E402


def h5py_patches(path, patch, n, cache_mb):
    f = h5py.File(path, "r", rdcc_nbytes=cache_mb << 20, rdcc_nslots=100003)
    sid = sorted(f["studies"])[0]
    d = f["studies"][sid]["image"]
    rng = np.random.default_rng(1)
    _, Z, Y, X = d.shape
    t = time.perf_counter()
    for _ in range(n):
        z, y, x = (int(rng.integers(0, max(1, s - patch))) for s in (Z, Y, X))
        a = d[:, z:z + patch, y:y + patch, x:x + patch]
    return n / (time.perf_counter() - t)


def python_preprocess(flair, brain, resample):
    img = nib.load(flair)
    a = np.asanyarray(img.dataobj, dtype=np.float32)
    m = np.asanyarray(nib.load(brain).dataobj) > 0
    if resample:
        a = ndimage.zoom(a, 1 / 1.5, order=1)
        m = ndimage.zoom(m.astype(np.uint8), 1 / 1.5, order=0) > 0
    idx = np.argwhere(m)
    lo = np.maximum(idx.min(0) - 4, 0)
    hi = np.minimum(idx.max(0) + 5, m.shape)
    a = a[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    m = m[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    v = a[m]
    p0, p1 = np.percentile(v, [0.5, 99.5])
    v = np.clip(v, p0, p1)
    out = np.where(m, (np.clip(a, p0, p1) - v.mean()) / v.std(), 0)
    return out



def main():
    bindir = sys.argv[1] if len(sys.argv) > 1 else "build/bin"
    tmp = os.path.join(tempfile.gettempdir(), "mstransfer-bench")
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ)
    # The C++ benchmark builds the cache and the cohort on first use; run it once to get them.
    subprocess.run([os.path.join(bindir, "mstransfer_bench"), "--benchmark_filter=BM_PatchRead/patch:32/cache_mb:64",
                    "--benchmark_min_time=0.01"], check=True, capture_output=True, env=env)
    chunk = os.environ.get("MST_BENCH_CHUNK", "32")
    cache = os.path.join(tmp, f"bench_cache_{chunk}.h5")
    res = subprocess.run([os.path.join(bindir, "mstransfer_bench"),
                          "--benchmark_filter=BM_PatchRead|BM_PreprocessStudy1mm",
                          "--benchmark_format=json"], check=True, capture_output=True, text=True,
                         env=dict(env, MST_BENCH_CACHE=cache)).stdout
    cpp = {b["name"]: b for b in json.loads(res)["benchmarks"]}
    print(f"{'random patch reads (2 channels)':40s} {'h5py /s':>10s} {'mstransfer /s':>14s} {'ratio':>7s}")
    print(f"(cache chunks: 2 x {chunk}^3; h5py's default chunk cache is 1 MB)")
    for patch, mb in ((32, 64), (64, 64), (96, 64), (32, 1), (32, 0)):
        py = h5py_patches(cache, patch, 300 if patch <= 32 else 60, mb)
        c = cpp[f"BM_PatchRead/patch:{patch}/cache_mb:{mb}/real_time"]["patches/s"]
        print(f"{f'patch {patch}^3, chunk cache {mb} MB':40s} {py:10.0f} {c:14.0f} {c / py:6.1f}x")
    flair = os.path.join(tmp, "ms_longitudinal", "MSL001_flair.nii.gz")
    brain = os.path.join(tmp, "ms_longitudinal", "MSL001_brainmask.nii.gz")
    print(f"{'preprocess one 1 mm study (s)':40s} {'python':>10s} {'mstransfer':>14s} {'ratio':>7s}")
    for resample in (0, 1):
        py = best_of(lambda: python_preprocess(flair, brain, resample))
        c = cpp[f"BM_PreprocessStudy1mm/resample_1p5mm:{resample}/real_time"]["real_time"] / 1000.0
        label = "crop + z-score" + (" + resample 1.5 mm" if resample else "")
        print(f"{label:40s} {py:10.3f} {c:14.3f} {py / c:6.1f}x")


if __name__ == "__main__":
    main()
