"""Helpers shared by the side-by-side scripts in bench/."""
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


def run(cmd):
    """Runs a command; exits with its stderr when it fails. Returns its stdout."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)}\n{r.stderr}")
    return r.stdout
