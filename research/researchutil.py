"""Helpers of the research scripts in research/: train one arm of the demo's design on a cohort,
score its models on real data, and summarise. Builds on bench/benchutil.py (the experiment file
and the command runner)."""
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
from benchutil import one_arm_experiment, run  # noqa: E402,F401


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


def predict_and_evaluate(binary, model, manifest, pred_dir, eval_csv, threads):
    """`mstransfer predict` of one model on a manifest, then `mstransfer evaluate` against its
    labels; returns the evaluation's rows (one dict per study)."""
    run([binary, "predict", "--model", model, "--manifest", manifest, "--out", pred_dir, "--threads", threads])
    run([binary, "evaluate", "--pred-dir", pred_dir, "--manifest", manifest, "--out", eval_csv])
    return list(csv.DictReader(open(eval_csv)))
