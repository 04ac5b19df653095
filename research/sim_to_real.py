#!/usr/bin/env python3
"""Sim-to-real: a model trained only on the built-in ms_flair cohort, with the demo's
settings, applied to real FLAIR through a manifest and the framework's own
preprocessing, scored with the lesion-wise metrics (criterion any, 26-connectivity).

    /usr/bin/python3 research/sim_to_real.py [--keep DIR] [--repeats R] [--set SECTION.KEY=VALUE ...]
                                          build/bin/mstransfer [threads] [train_size] [MODEL.pt ...]

--repeats R trains R models (the experiment's repeats: each its own draw of the training studies
and its own seed; default 1) and reports each and their mean and SD: one model's F1 on one real
patient varies by about 0.1 between such models, so a change to the generator is judged on several.
--set SECTION.KEY=VALUE (repeatable) changes one of the demo's settings for the trained models only,
as a TOML value: `--set model.base_filters=16`, `--set train.patch=32`, `--set model.norm='"batch"'`.
--keep DIR keeps the trained model, the predictions (<id>_prob.nii.gz, <id>_mask.nii.gz per
model in DIR/pred<k>) and the evaluations in DIR instead of a temporary folder.

Without models it trains one: a one-arm experiment inheriting experiments/demo/base.toml
(de novo, `train_size` studies of the demo ms_flair cohort, default 20, early stopping on
the demo's validation set), exactly as the demo trains its FLAIR de-novo arm. Every
model is then run by `mstransfer predict` on data_manifests/open_ms_cross_sectional.csv
(../shared's cross-sectional patient: 1 mm MNI FLAIR, consensus mask; the model's
checkpoint makes predict resample it to the 2 mm the model was trained at and write the
mask back at 1 mm) and `mstransfer evaluate` against the consensus mask.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import researchutil  # noqa: E402


def main():
    keep = None
    repeats = 1
    overrides = {}
    while len(sys.argv) > 2 and sys.argv[1] in ("--keep", "--repeats", "--set"):
        if sys.argv[1] == "--keep":
            keep = os.path.abspath(sys.argv[2])
            os.makedirs(keep, exist_ok=True)
        elif sys.argv[1] == "--set":
            researchutil.add_setting(sys.argv[2], overrides)
        else:
            repeats = int(sys.argv[2])
        del sys.argv[1:3]
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/bin/mstransfer")
    threads = sys.argv[2] if len(sys.argv) > 2 else str(os.cpu_count())
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    models = [os.path.abspath(m) for m in sys.argv[4:]]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    manifest = os.path.join(repo, "data_manifests", "open_ms_cross_sectional.csv")
    with tempfile.TemporaryDirectory() as tmp:
        work = keep or tmp
        if not models:
            models = researchutil.train_one_arm(binary, work, "s2r.toml", "sim_to_real", size, repeats, overrides, threads)
        print(f"real FLAIR: {manifest}; criterion any, 26-connectivity")
        print(f"{'model':60s} {'n_truth':>7s} {'n_pred':>6s} {'sens':>6s} {'ppv':>6s} {'F1':>6s} {'Dice':>6s}")
        f1s = []
        for k, m in enumerate(models):
            rows = researchutil.predict_and_evaluate(binary, m, manifest, os.path.join(work, f"pred{k}"),
                                                  os.path.join(work, f"eval{k}.csv"), threads)
            for r in rows:
                f1 = float(r["f1"]) if r["f1"] else 0.0
                f1s.append(f1)
                name = os.path.relpath(m, work) if m.startswith(work) else m
                print(f"{name[-60:]:60s} {r['n_truth']:>7s} {r['n_pred']:>6s} {float(r['sensitivity'] or 0):6.3f} "
                      f"{float(r['ppv'] or 0):6.3f} {f1:6.3f} {float(r['dice'] or 0):6.3f}")
        mean, sd = researchutil.mean_sd(f1s)
        print(f"mean lesion-wise F1 over models and studies: {mean:.3f} (SD {sd:.3f}, {len(f1s)} values)")


if __name__ == "__main__":
    main()
