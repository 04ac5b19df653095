#!/usr/bin/env python3
"""Side-by-side: whole-volume sliding-window prediction in mstransfer (C++,
`BM_UNetInferVolume` of mstransfer_bench) and a Python loop over the same
windows with PyTorch, as MONAI's sliding_window_inference does it: window w,
overlap 0.5, Gaussian importance weights (sigma = w / 8), windows batched,
torch.no_grad, sigmoid probabilities averaged by the weights. Same network
(bench/unet3d.py = lib/model/UNet3d), same volume size (72 x 88 x 72), same
thread count; best of 5 on both sides.

    /usr/bin/python3 bench/sliding_window_vs_python.py build/bin/mstransfer_bench [threads]
"""
import json
import os
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet3d import UNet3d  # noqa: E402


def starts(size, w, overlap):
    if size <= w:
        return [0]
    step = max(1, int(round(w * (1 - overlap))))
    s = list(range(0, size - w, step))
    return s + [size - w]


def gaussian(w):
    ax = torch.arange(w, dtype=torch.float32) - (w - 1) / 2
    g1 = torch.exp(-(ax ** 2) / (2 * (w / 8) ** 2))
    g = g1.view(-1, 1, 1) * g1.view(1, -1, 1) * g1.view(1, 1, -1)
    return torch.clamp(g / g.max(), min=1e-3)


def predict(m, img, w, batch, overlap=0.5):
    _, Z, Y, X = img.shape
    acc = torch.zeros(Z, Y, X)
    norm = torch.zeros(Z, Y, X)
    g = gaussian(w)
    pos = [(z, y, x) for z in starts(Z, w, overlap) for y in starts(Y, w, overlap) for x in starts(X, w, overlap)]
    with torch.no_grad():
        for b in range(0, len(pos), batch):
            chunk = pos[b:b + batch]
            tiles = torch.stack([img[:, z:z + w, y:y + w, x:x + w] for z, y, x in chunk])
            prob = torch.sigmoid(m(tiles))[:, 0]
            for i, (z, y, x) in enumerate(chunk):
                acc[z:z + w, y:y + w, x:x + w] += prob[i] * g
                norm[z:z + w, y:y + w, x:x + w] += g
    return acc / norm


def main():
    bench = sys.argv[1] if len(sys.argv) > 1 else "build/bin/mstransfer_bench"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
    torch.set_num_threads(threads)
    out = subprocess.run([bench, "--benchmark_filter=BM_UNetInferVolume", "--benchmark_format=json",
                          "--benchmark_repetitions=5"], env=dict(os.environ, MST_BENCH_THREADS=str(threads)),
                         check=True, capture_output=True, text=True).stdout
    cpp = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "iteration":
            n = b["run_name"]
            cpp[n] = min(cpp.get(n, 1e18), b["real_time"] / 1000.0)
    torch.manual_seed(0)
    m = UNet3d(1, 1, 8, 3).eval()
    img = torch.randn(1, 72, 88, 72)
    py = {}
    for w in (24, 32):
        predict(m, img, w, 2)
        best = 1e9
        for _ in range(5):
            t = time.perf_counter()
            predict(m, img, w, 2)
            best = min(best, time.perf_counter() - t)
        py[w] = best
    print(f"threads {threads}; 72 x 88 x 72 volume, overlap 0.5, Gaussian weights; Python loop fp32, batch 2")
    print(f"{'mstransfer':34s} {'Python s':>9s} {'mstransfer s':>13s} {'ratio':>6s}")
    for w, batch, bf16 in ((24, 2, 0), (32, 2, 0), (32, 4, 0), (32, 2, 1), (32, 4, 1)):
        c = cpp[f"BM_UNetInferVolume/window:{w}/batch:{batch}/bf16:{bf16}/real_time"]
        label = f"window {w}, batch {batch}, {'bf16' if bf16 else 'fp32'}"
        print(f"{label:34s} {py[w]:9.3f} {c:13.3f} {c / py[w]:5.2f}x")


if __name__ == "__main__":
    main()
