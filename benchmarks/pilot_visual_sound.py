"""One-seed pilot of visual_sound's `small`: Table 1's metrics on held-out clips every few hundred training steps.

    python benchmarks/pilot_visual_sound.py prepare            # the FAIR-Play-like set of the pilot (once)
    OMP_NUM_THREADS=1 python benchmarks/pilot_visual_sound.py train ours &
    OMP_NUM_THREADS=1 python benchmarks/pilot_visual_sound.py train audio-only; wait
    python benchmarks/pilot_visual_sound.py report             # the curve: results/pilot_visual_sound.{md,png}

It trains Mono2Binaural (ours) and its Audio-Only variant on the paper's half of split 1's training clips, with the
`small` network and the official optimiser, and every `--every` steps scores the validation clips (never the test
clips: the budget is chosen from this curve) with the sliding-window inference of Table 1: STFT and ENV distance of
ours, of Flipped-Visual and of Audio-Only, the Mono-Mono floor, and the share of the true L-R energy ours predicts.
Step 0 is the untrained network: what `paper-kit audit` scores.
"""
import argparse, json, sys, time
from pathlib import Path
import numpy as np
import pandas as pd
import torch, yaml
from paper_kit.kit.config import use_seed
from paper_kit.visual_sound.data import FairPlay, AudioVisualDataset
from paper_kit.visual_sound.model import Mono2Binaural
from paper_kit.visual_sound.synth import make_fairplay_like
from paper_kit.visual_sound.train import TrainConfig, train_mono2binaural
from paper_kit.visual_sound.experiment import table1_methods, evaluate_methods, difference_scores

RESULTS = Path(__file__).parent/"results"
PAPER_YML = Path(__file__).parents[1]/"nbs"/"papers"/"visual_sound"/"paper.yml"
SMALL = yaml.safe_load(PAPER_YML.read_text())["profiles"]["small"]["11_mono2binaural"]   # the settings piloted
NET = dict(frame_size=tuple(SMALL["frame_hw"]), width=SMALL["width"], ngf=SMALL["ngf"])


def prepare(a):
    "Write the pilot's FAIR-Play-like set (10 s clips, 10 random splits, as 10_make_data does)."
    make_fairplay_like(a.data, a.clips, clip_seconds=10.0, n_splits=10, img_size=(120, 240), seed=0, workers=2,
                       solo_repeats=1)


def val_scores(model, ao, clips, hop):
    "Mean STFT/ENV of each method and ours' difference scores on `clips` (Table 1's inference, a coarser hop)."
    methods = table1_methods(model, ao, NET["frame_size"], "cpu", hop)
    if model is None: methods = {"Audio-Only": methods["Audio-Only"], "Mono-Mono": methods["Mono-Mono"]}
    if ao is None: methods.pop("Audio-Only", None)
    df, preds = evaluate_methods(clips, methods, keep={c.id for c in clips})
    out = {f"{m} {k}": float(g[k].mean()) for m, g in df.groupby("method") for k in ("stft", "env")}
    if model is not None:
        d = [difference_scores(p["Mono2Binaural (ours)"], c.load_audio()) for c, p in
             ((c, preds[c.id]) for c in clips)]
        out["ours L-R energy ratio"] = float(np.median([x["diff_energy_ratio"] for x in d]))
        out["ours L-R cosine"] = float(np.mean([x["diff_cosine"] for x in d]))
    return out


def train(a):
    "Train one model, scoring the validation clips at step 0 and every `--every` steps; rows to a JSON file."
    audio_only = a.model == "audio-only"
    tr = FairPlay(a.data, 1, "train")
    half = FairPlay(a.data, ids=tr.ids[: len(tr) // 2])   # the paper's half of the training split
    kw = dict(resize=tuple(SMALL["resize_hw"]), crop=NET["frame_size"], seed=1)
    train_ds, val_ds = AudioVisualDataset(half, **kw), AudioVisualDataset(FairPlay(a.data, 1, "val"), **kw)
    clips = list(FairPlay(a.data, 1, "val"))[: a.eval_clips]
    with use_seed(1):
        model = Mono2Binaural(**NET, audio_only=audio_only)
    rows, t0 = [], time.perf_counter()

    def score(it):
        s = val_scores(None if audio_only else model, model if audio_only else None, clips, a.hop)
        rows.append(dict(model=a.model, iter=it, wall_s=round(time.perf_counter() - t0, 1), **s))
        print(json.dumps(rows[-1]), flush=True)
        (RESULTS/f"pilot_visual_sound_{a.model}.json").write_text(json.dumps(rows, indent=1))

    score(0)
    def log(e):
        if e["kind"] == "val": rows.append(dict(model=a.model, iter=e["iter"], val_loss=e["loss"])); score(e["iter"])
    cfg = TrainConfig(batch_size=SMALL["batch_size"], epochs=10**6, iterations=a.iterations, val_every=a.every,
                      val_batches=SMALL["val_batches"], seed=1, log_every=10**9)
    train_mono2binaural(model, train_ds, val_ds, cfg, log)


def report(a):
    "Merge the two models' curves into a table and a plot."
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
    rows = [r for m in ("ours", "audio-only") for r in json.loads((RESULTS/f"pilot_visual_sound_{m}.json").read_text())]
    df = pd.DataFrame(rows).groupby(["model", "iter"]).first().reset_index()
    ours, ao = df[df.model == "ours"].set_index("iter"), df[df.model == "audio-only"].set_index("iter")
    cols = {"ours": ours["Mono2Binaural (ours) stft"], "flipped": ours["Flipped-Visual stft"],
            "audio-only": ao["Audio-Only stft"], "mono-mono": ours["Mono-Mono stft"]}
    table = pd.DataFrame({**{f"STFT {k}": v for k, v in cols.items()},
                          "ENV ours": ours["Mono2Binaural (ours) env"], "ENV flipped": ours["Flipped-Visual env"],
                          "ENV audio-only": ao["Audio-Only env"], "ENV mono-mono": ours["Mono-Mono env"],
                          "L-R energy ratio (ours)": ours["ours L-R energy ratio"],
                          "val loss ours": ours.get("val_loss"), "val loss audio-only": ao.get("val_loss"),
                          "wall s ours": ours["wall_s"], "wall s audio-only": ao["wall_s"]})
    (RESULTS/"pilot_visual_sound.md").write_text(table.round(4).to_markdown() + "\n")
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for k, v in cols.items(): axes[0].plot(v.index, v.values, marker="o", label=k)
    for k in ("ours", "flipped", "audio-only", "mono-mono"):
        axes[1].plot(table.index, table[f"ENV {k}"], marker="o", label=k)
    axes[2].plot(table.index, table["L-R energy ratio (ours)"], marker="o")
    for ax, t in zip(axes, ("STFT distance (val, lower is better)", "ENV distance (val)",
                            "ours: predicted / true L-R energy (median)")):
        ax.set_title(t, fontsize=9); ax.set_xlabel("training step (step 0 = untrained, the audit)")
    axes[0].legend(fontsize=8); fig.tight_layout(); fig.savefig(RESULTS/"pilot_visual_sound.png", dpi=120)
    print(table.round(4).to_string())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["prepare", "train", "report"])
    ap.add_argument("model", nargs="?", choices=["ours", "audio-only"], default="ours")
    ap.add_argument("--data", type=Path, default=Path("/tmp/pilot_visual_sound"), help="the pilot's dataset root")
    ap.add_argument("--clips", type=int, default=1000, help="FAIR-Play-like clips in the splits")
    ap.add_argument("--iterations", type=int, default=2000, help="training steps")
    ap.add_argument("--every", type=int, default=250, help="steps between scorings")
    ap.add_argument("--eval-clips", type=int, default=32, help="validation clips scored")
    ap.add_argument("--hop", type=float, default=SMALL["hop"], help="inference hop in seconds (the paper: 0.05)")
    a = ap.parse_args(argv)
    {"prepare": prepare, "train": train, "report": report}[a.step](a)


if __name__ == "__main__":
    sys.exit(main())
