#!/usr/bin/env python3
"""The run path against the train path: the same training (demo network and
settings, 200 iterations on 10 studies of the demo ms_flair cohort, 2 threads)
through `mstransfer run` (a one-run experiment: planner, runner, child process)
and through `mstransfer train`. Throughput is patches/s while training: from
train_log.jsonl's last line for both (the same clock, started when the loop
starts), so planning, cache builds and prediction are not counted on either side.

    /usr/bin/python3 bench/run_vs_train.py build/bin/mstransfer [threads]
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchutil  # noqa: E402


def last_rate(log):
    with open(log) as f:
        return [json.loads(line) for line in f if '"patches_per_s"' in line][-1]["patches_per_s"]


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/bin/mstransfer")
    threads = sys.argv[2] if len(sys.argv) > 2 else str(os.cpu_count())
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as work:
        exp = os.path.join(work, "one.toml")
        # A fixed budget on both sides: throughput, not convergence, is measured.
        benchutil.one_arm_experiment(exp, repo, "one_run", 10,
                                     "iterations = 200\nearly_stop = false\nmin_iterations = 0\ntest_curve = false")
        subprocess.run([binary, "run", exp, "--results", os.path.join(work, "res"), "--data-root",
                        os.path.join(work, "data"), "--jobs", "1", "--threads", threads, "--no-progress", "--no-report"],
                       check=True, capture_output=True, text=True)
        runs = os.path.join(work, "res", "_shared", "runs")
        run_dir = os.path.join(runs, [d for d in os.listdir(runs) if not d.endswith(".lock")][0])
        run_rate = last_rate(os.path.join(run_dir, "model", "train_log.jsonl"))
        plan = json.load(open(os.path.join(run_dir, "run.json")))
        ids = plan["config"]["train_ids"]
        # The same studies through `mstransfer train`, with the experiment's settings.
        manifest = os.path.join(work, "data")
        for root, _, files in os.walk(manifest):
            if "manifest.csv" in files and root.endswith("ms_flair"):
                manifest = os.path.join(root, "manifest.csv")
        sub = os.path.join(work, "train.csv")
        with open(manifest) as f, open(sub, "w") as g:
            lines = f.read().splitlines()
            g.write(lines[0] + "\n")
            base = os.path.dirname(manifest)
            for line in lines[1:]:
                cells = line.split(",")
                if f"{cells[0]}_{cells[1]}" in ids or cells[0] in ids:
                    g.write(",".join(os.path.join(base, c) if c.endswith(".nii.gz") else c for c in cells) + "\n")
        cfg = os.path.join(work, "train.toml")
        with open(cfg, "w") as f:
            f.write(f'inherit = "{repo}/experiments/demo/base.toml"\n[data]\nchannels = ["flair"]\n[train]\niterations = 200\n'
                    'early_stop = false\nmin_iterations = 0\ntest_curve = false\n')
        out = os.path.join(work, "train")
        subprocess.run([binary, "train", "--manifest", sub, "--out", out, "--config", cfg, "--val-fraction", "0",
                        "--threads", threads], check=True, capture_output=True, text=True)
        train_rate = last_rate(os.path.join(out, "train_log.jsonl"))
        print(f"threads {threads}, demo network and settings, 200 iterations on {len(ids)} studies")
        print(f"mstransfer train: {train_rate:.1f} patches/s; mstransfer run (one run): {run_rate:.1f} patches/s; "
              f"run / train = {run_rate / train_rate:.3f}")


if __name__ == "__main__":
    main()
