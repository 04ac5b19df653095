#!/usr/bin/env python3
"""Writes tests/data/two_level/per_study_runs.csv: the fixed per-study results of a small
experiment (two arms, two training sizes, three repeats, eight test studies) on which the
report's two-level bootstrap is checked against tests/reference/two_level.py.

Lesion counts are drawn once (numpy default_rng(20261207)) from a model with a run effect and a
study effect, so that the runs of one cell differ; one run predicts no lesion in one study (PPV
undefined there). The file is committed; this script documents how it was made.

    python3 tests/reference/make_two_level_data.py > tests/data/two_level/per_study_runs.csv
"""
import numpy as np

rng = np.random.default_rng(20261207)
studies = [f"t{i:02d}" for i in range(8)]
n_truth = rng.integers(3, 13, size=len(studies))
study_eff = rng.normal(0, 0.08, size=len(studies))
base = {("de_novo", 5): 0.45, ("de_novo", 20): 0.70, ("fine_tuned", 5): 0.62, ("fine_tuned", 20): 0.74}
print("arm,train_size,repeat,subject,session,n_truth,n_pred,tp_truth,tp_pred,sensitivity,ppv")
for (arm, size), p in base.items():
    for rep in (1, 2, 3):
        run_eff = rng.normal(0, 0.06)
        for s, nt, se in zip(studies, n_truth, study_eff):
            q = float(np.clip(p + run_eff + se, 0.02, 0.98))
            tp = int(rng.binomial(nt, q))
            fp = int(rng.poisson(2.0 * (1 - q) + 0.3))
            if arm == "de_novo" and size == 5 and rep == 2 and s == "t03":
                tp, fp = 0, 0  # no predicted lesion: PPV undefined
            n_pred = tp + fp
            ppv = "" if n_pred == 0 else f"{tp / n_pred:.10g}"
            print(f"{arm},{size},{rep},{s},1,{nt},{n_pred},{tp},{tp},{tp / nt:.10g},{ppv}")
