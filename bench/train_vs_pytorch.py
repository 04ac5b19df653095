#!/usr/bin/env python3
"""Side-by-side: `mstransfer train` end to end (patch sampling from the HDF5 cache,
augmentation, Dice + BCE, Adam, checkpoints) against the bare Python PyTorch fp32
training step of the same network on in-memory tensors, with the same thread
count. Reports time per patch and the ratio, for each precision asked.

    /usr/bin/python3 bench/train_vs_pytorch.py build/bin/mstransfer [threads] [iterations]

Network and settings: the demo's (experiments/demo/base.toml: base 8, depth 3,
patch 24^3, batch 2) and a larger one (base 16, depth 4, patch 64^3, batch 2).
The mstransfer side reads patches/s from the last line of train_log.jsonl.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_vs_pytorch import time_step  # noqa: E402

import torch  # noqa: E402


def mstransfer_patch_seconds(binary, manifest, work, base, depth, patch, iterations, threads, precision):
    cfg = os.path.join(work, f"b{base}d{depth}p{patch}{precision}.toml")
    with open(cfg, "w") as f:
        f.write(f"""[data]
channels = ["flair"]
[preprocess]
target_spacing = 0
[model]
base_filters = {base}
depth = {depth}
[train]
patch = {patch}
batch_size = 2
iterations = {iterations}
lr = 0.002
lesion_fraction = 0.5
val_every = 0
log_every = 10
checkpoint_every = {iterations}
precision = "{precision}"
""")
    out = os.path.join(work, f"out-b{base}-p{patch}-{precision}")
    subprocess.run([binary, "train", "--manifest", manifest, "--out", out, "--config", cfg, "--val-fraction", "0",
                    "--threads", str(threads), "--cache", os.path.join(work, "cache.h5")],
                   check=True, capture_output=True, text=True)
    with open(os.path.join(out, "train_log.jsonl")) as f:
        last = [json.loads(line) for line in f if '"patches_per_s"' in line][-1]
    return 1.0 / last["patches_per_s"]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/bin/mstransfer"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
    iterations = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([binary, "synth", "--preset", "demo", "--out", work], check=True, capture_output=True)
        manifest = os.path.join(work, "ms_flair", "manifest.csv")
        print(f"threads {threads}; mstransfer train end to end ({iterations} iterations) vs bare PyTorch fp32 step")
        print(f"{'network':34s} {'PyTorch fp32 s/patch':>21s} {'precision':>9s} {'mstransfer s/patch':>19s} {'ratio':>6s}")
        for base, depth, patch, its in ((8, 3, 24, iterations), (16, 4, 64, max(10, iterations // 20))):
            py = time_step(base, depth, patch, 2, 3 if patch >= 64 else 10) / 2
            for precision in ("fp32", "bf16"):
                ms = mstransfer_patch_seconds(binary, manifest, work, base, depth, patch, its, threads, precision)
                print(f"{f'base {base}, depth {depth}, patch {patch}, batch 2':34s} {py:21.4f} {precision:>9s} "
                      f"{ms:19.4f} {ms / py:5.2f}x")


if __name__ == "__main__":
    main()
