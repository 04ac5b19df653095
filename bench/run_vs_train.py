#!/usr/bin/env python3
"""The run path against the train path: the same training (demo network and
settings, a fixed number of iterations, default 600, on 10 studies of the demo ms_flair cohort, 2 threads)
through `mstransfer run` (a one-run experiment: planner, runner, child process)
and through `mstransfer train`. Throughput is patches/s while training: from
train_log.jsonl's last line for both (the same clock, started when the loop
starts), so planning, cache builds and prediction are not counted on either side.
The two sides alternate for several rounds (run, train, run, train, ...) so that
drift of a shared machine falls on both; the ratio reported is the median of the
rounds' ratios, each round's figures printed beside it.

    /usr/bin/python3 bench/run_vs_train.py build/bin/mstransfer [threads] [rounds] [iterations]
"""
import json
import os
import statistics
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
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    iters = int(sys.argv[4]) if len(sys.argv) > 4 else 600
    with tempfile.TemporaryDirectory() as work:
        exp = os.path.join(work, "one.toml")
        # A fixed budget on both sides: throughput, not convergence, is measured.
        benchutil.one_arm_experiment(exp, repo, "one_run", 10,
                                     f"iterations = {iters}\nearly_stop = false\nmin_iterations = 0\ntest_curve = false")

        def run_side(k):
            # A fresh results folder each round (the data and its cache are shared).
            res = os.path.join(work, f"res{k}")
            subprocess.run([binary, "run", exp, "--results", res, "--data-root", os.path.join(work, "data"),
                            "--jobs", "1", "--threads", threads, "--no-progress", "--no-report"],
                           check=True, capture_output=True, text=True)
            runs = os.path.join(res, "_shared", "runs")
            run_dir = os.path.join(runs, [d for d in os.listdir(runs) if not d.endswith(".lock")][0])
            return last_rate(os.path.join(run_dir, "model", "train_log.jsonl")), run_dir

        run_rates = []
        rate, run_dir = run_side(0)
        run_rates.append(rate)
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
            f.write(f'inherit = "{repo}/experiments/demo/base.toml"\n[data]\nchannels = ["flair"]\n[train]\niterations = {iters}\n'
                    'early_stop = false\nmin_iterations = 0\ntest_curve = false\n')

        def train_side(k):
            out = os.path.join(work, f"train{k}")
            subprocess.run([binary, "train", "--manifest", sub, "--out", out, "--config", cfg, "--val-fraction", "0",
                            "--threads", threads], check=True, capture_output=True, text=True)
            return last_rate(os.path.join(out, "train_log.jsonl"))

        train_rates = [train_side(0)]
        for k in range(1, rounds):
            run_rates.append(run_side(k)[0])
            train_rates.append(train_side(k))
        print(f"threads {threads}, demo network and settings, {iters} iterations on {len(ids)} studies, {rounds} rounds")
        ratios = []
        for k, (r, t) in enumerate(zip(run_rates, train_rates)):
            ratios.append(r / t)
            print(f"round {k + 1}: mstransfer run (one run) {r:.1f} patches/s, mstransfer train {t:.1f} patches/s, "
                  f"run / train = {r / t:.3f}")
        print(f"median run / train = {statistics.median(ratios):.3f}")

if __name__ == "__main__":
    main()
