#!/usr/bin/env python3
"""Side-by-side: the same 3D U-Net training step (forward, backward, Adam step)
and one 3x3x3 convolution in Python PyTorch (Debian python3-torch 1.13) and in
mstransfer's LibTorch 1.13 build, with the same thread count. Usage:

    /usr/bin/python3 bench/unet_vs_pytorch.py build/bin/mstransfer_bench [threads]
"""
import json
import os
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet3d import UNet3d  # noqa: E402


def flops_forward(base, depth, p, b, cin=1, cout=1):
    f = [base * 2 ** l for l in range(depth)]
    total, vox, prev, lv = 0.0, float(p ** 3), cin, []
    for l in range(depth):
        if l:
            vox /= 8
        lv.append(vox)
        total += 2 * vox * 27 * prev * f[l] + 2 * vox * 27 * f[l] * f[l]
        prev = f[l]
    for l in range(depth - 2, -1, -1):
        total += 2 * lv[l] * f[l + 1] * f[l] + 2 * lv[l] * 27 * 2 * f[l] * f[l] + 2 * lv[l] * 27 * f[l] * f[l]
    total += 2 * lv[0] * f[0] * cout
    return total * b


def time_step(base, depth, p, b, reps, bf16=False):
    torch.manual_seed(0)
    m = UNet3d(1, 1, base, depth)
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    x = torch.randn(b, 1, p, p, p)
    y = (torch.rand(b, 1, p, p, p) > 0.9).float()

    def step():
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = m(x)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(out.float(), y)
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    best = 1e9
    for _ in range(5):  # best of 5 rounds: shared machines are noisy
        t = time.perf_counter()
        for _ in range(reps):
            step()
        best = min(best, (time.perf_counter() - t) / reps)
    return best


def time_conv(c, p, reps=10):
    conv = torch.nn.Conv3d(c, c, 3, padding=1)
    x = torch.randn(2, c, p, p, p)
    best = 1e9
    with torch.no_grad():
        conv(x)
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(reps):
                conv(x)
            best = min(best, (time.perf_counter() - t) / reps)
    return best


def main():
    bench = sys.argv[1] if len(sys.argv) > 1 else "build/bin/mstransfer_bench"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
    torch.set_num_threads(threads)
    out = subprocess.run([bench, "--benchmark_filter=BM_UNetTrainStep|BM_Conv3dForward", "--benchmark_format=json",
                          "--benchmark_repetitions=5"],
                         env=dict(os.environ, MST_BENCH_THREADS=str(threads)), check=True, capture_output=True,
                         text=True).stdout
    # Best of the repetitions, as for Python.
    cpp = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"]
        if name not in cpp or b["real_time"] < cpp[name]["real_time"]:
            cpp[name] = b
    print(f"threads: {threads}; torch {torch.__version__} (Python) vs LibTorch (mstransfer)")
    print(f"{'U-Net train step':38s} {'PyTorch ms':>11s} {'mstransfer ms':>14s} {'ratio':>6s} {'GFLOP/s C++':>12s}")
    for base, depth, p, b in ((8, 3, 32, 2), (8, 3, 24, 2), (16, 4, 64, 2)):
        py = time_step(base, depth, p, b, 3 if p >= 64 else 10)
        name = f"BM_UNetTrainStep/base:{base}/depth:{depth}/patch:{p}/batch:{b}/real_time"
        c = cpp[name]["real_time"] / 1000.0
        print(f"{f'base {base}, depth {depth}, patch {p}, batch {b}':38s} {py * 1e3:11.1f} {c * 1e3:14.1f} "
              f"{py / c:5.2f}x {cpp[name]['GFLOP/s']:12.1f}")
    print()
    print("mixed precision ([train] precision = \"bf16\": forward under autocast to bfloat16), time per step:")
    print(f"{'U-Net train step':38s} {'PyTorch fp32':>13s} {'PyTorch bf16':>13s} {'C++ bf16':>9s} {'C++ bf16 / Py fp32':>19s}")
    for base, depth, p, b in ((8, 3, 32, 2), (8, 3, 24, 2), (16, 4, 64, 2)):
        reps = 3 if p >= 64 else 10
        py32, py16 = time_step(base, depth, p, b, reps), time_step(base, depth, p, b, reps, bf16=True)
        c16 = cpp[f"BM_UNetTrainStepBf16/base:{base}/depth:{depth}/patch:{p}/batch:{b}/real_time"]["real_time"] / 1000.0
        print(f"{f'base {base}, depth {depth}, patch {p}, batch {b}':38s} {py32 * 1e3:10.1f} ms {py16 * 1e3:10.1f} ms "
              f"{c16 * 1e3:6.1f} ms {c16 / py32:18.2f}x")
    print()
    print(f"{'3x3x3 convolution, batch 2':38s} {'PyTorch ms':>11s} {'mstransfer ms':>14s} {'ratio':>6s} {'GFLOP/s C++':>12s}")
    for c, p in ((8, 32), (16, 32), (32, 32), (64, 16)):
        py = time_conv(c, p)
        name = f"BM_Conv3dForward/channels:{c}/patch:{p}/real_time"
        cc = cpp[name]["real_time"] / 1000.0
        print(f"{f'{c} -> {c} channels, {p}^3':38s} {py * 1e3:11.2f} {cc * 1e3:14.2f} {py / cc:5.2f}x "
              f"{cpp[name]['GFLOP/s']:12.1f}")


if __name__ == "__main__":
    main()
