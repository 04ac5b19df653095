"""Helpers shared by the side-by-side scripts in bench/."""
import csv
import os
import subprocess
import sys
import time


def best_of(f, n=3):
    """Shortest wall time of n calls of f(): shared machines are noisy."""
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def one_arm_experiment(path, repo, name, train_size, train_extra="", repeats=1, overrides=None, manifest=None):
    """Writes an experiment file that inherits the demo's settings (experiments/demo/base.toml)
    with one de-novo arm of `train_size` ms_flair studies, or of the FLAIR manifest `manifest`'s
    studies when given (`repeats` runs, each on its own draw
    of the training studies and its own seed), the demo's 8 test studies, `train_extra`
    lines added to [train] and `overrides`, a dict {section: [toml lines]} of further settings
    (e.g. {"model": ["base_filters = 16"]}; "train" lines join train_extra)."""
    overrides = dict(overrides or {})
    for sec in ("data", "test", "sweep", "arms"):
        if sec in overrides:
            raise ValueError(f"one_arm_experiment: [{sec}] is set by the experiment itself, not by overrides")
    train_extra = "\n".join([train_extra] + overrides.pop("train", []))
    tables = "".join(f"[{sec}]\n" + "\n".join(lines) + "\n" for sec, lines in overrides.items())
    data = f'manifest = "{manifest}"' if manifest else 'cohort = "ms_flair"'
    with open(path, "w") as f:
        f.write(f"""inherit = "{repo}/experiments/demo/base.toml"
name = "{name}"
replace_arms = true
[data]
{data}
channels = ["flair"]
[train]
{train_extra}
[test]
count = 8
seed = 7
[sweep]
train_sizes = [{train_size}]
repeats = {repeats}
[[arms]]
name = "de_novo"
init = "scratch"
{tables}""")


def train_one_arm(binary, work, exp_name, name, size, repeats, overrides, threads, manifest=None):
    """Writes one_arm_experiment(...) to work/exp_name and runs it (results in work/res, data in
    work/data); returns the trained models' checkpoints. One run gets all threads; several run as
    many at a time as there are threads (`mstransfer run` splits them)."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    exp = os.path.join(work, exp_name)
    try:
        one_arm_experiment(exp, repo, name, size, repeats=repeats, overrides=overrides, manifest=manifest)
    except ValueError as e:
        sys.exit(f"--set: {e}")
    jobs = "1" if repeats == 1 else threads
    run([binary, "run", exp, "--results", os.path.join(work, "res"), "--data-root", os.path.join(work, "data"),
         "--jobs", jobs, "--threads", threads, "--no-progress"])
    runs = os.path.join(work, "res", "_shared", "runs")
    return [os.path.join(runs, d, "model", "best.pt") for d in sorted(os.listdir(runs)) if not d.endswith(".lock")]


def mean_sd(values):
    """Mean and sample SD (0 for a single value) of a list of numbers."""
    mean = sum(values) / len(values)
    sd = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5 if len(values) > 1 else 0.0
    return mean, sd


def add_setting(arg, overrides):
    """Adds a `--set SECTION.KEY=VALUE` argument (VALUE a TOML value) to `overrides`, the dict that
    one_arm_experiment takes; exits with a clear message when it is malformed."""
    key, sep, value = arg.partition("=")
    section, dot, name = key.partition(".")
    if not sep or not dot or not section or not name or not value:
        sys.exit(f"--set: expected SECTION.KEY=VALUE (e.g. model.base_filters=16), got '{arg}'")
    overrides.setdefault(section, []).append(f"{name} = {value}")


def run(cmd):
    """Runs a command; exits with its stderr when it fails. Returns its stdout."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)}\n{r.stderr}")
    return r.stdout


def predict_and_evaluate(binary, model, manifest, pred_dir, eval_csv, threads):
    """`mstransfer predict` of one model on a manifest, then `mstransfer evaluate` against its
    labels; returns the evaluation's rows (one dict per study)."""
    run([binary, "predict", "--model", model, "--manifest", manifest, "--out", pred_dir, "--threads", threads])
    run([binary, "evaluate", "--pred-dir", pred_dir, "--manifest", manifest, "--out", eval_csv])
    return list(csv.DictReader(open(eval_csv)))
