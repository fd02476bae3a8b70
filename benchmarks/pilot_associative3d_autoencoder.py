"""How many steps does 11_train's stage 0, the voxel autoencoder, need? Its curve on the pilot rooms' training split.

The official object branch predicts the 20-d code of a pretrained voxel autoencoder (`--pred_voxels=False`,
`object_autoenc_32`, downloaded); ours is trained by `train.train_shape_autoencoder` on the training split's distinct
grids. This pilot runs that function and, every EVERY steps (its `report`), scores every distinct grid's
reconstruction with Table 1's shape test against the grid itself (F-score at 0.05 on marching-cubes samples, passing
at 0.25), in eval mode (running statistics, as 11_train's branch uses it) and in train mode (batch statistics):

    OMP_NUM_THREADS=1 python benchmarks/pilot_associative3d_autoencoder.py STEPS EVERY BATCH LR

Data: `pilot_associative3d.pilot_rooms()` (85 rooms, 70 % for training: 24 distinct grids). Prints one JSON line per
evaluation; the numbers are transcribed into benchmarks/results/pilot_associative3d_pretrain.md.
"""
import json, sys, time
from pathlib import Path
import numpy as np, torch
sys.path.insert(0, str(Path(__file__).parent))
import pilot_associative3d as P
from paper_kit.associative3d.train import distinct_grids, train_shape_autoencoder
from paper_kit.associative3d.detection import shape_points, shape_fscore, THRESHOLDS


def scores(ae, grids: torch.Tensor, truth: list, train_mode: bool) -> list:
    "The shape test's F-score of each grid's reconstruction against the grid (`ae` left in train mode)."
    ae.train(train_mode)
    with torch.no_grad(): rec = torch.sigmoid(ae(grids)).numpy()
    ae.train()
    return [shape_fscore(shape_points(r), t) for r, t in zip(rec, truth)]


def main(steps: int, every: int, batch: int, lr: float) -> None:
    tr = P.training_set(P.pilot_rooms())
    grids = distinct_grids(tr["views"].values())
    truth = [shape_points(g.numpy()) for g in grids]
    print(f"{len(grids)} distinct grids, occupancy {float(grids.mean()):.3f}", flush=True)
    t0 = time.time()

    def report(k, ae, losses):
        ft = scores(ae, grids, truth, True)            # first, as in the transcribed run: it moves the running stats
        f = scores(ae, grids, truth, False)
        print(json.dumps(dict(step=k, s=round(time.time() - t0),
                              loss=round(float(np.mean(losses[-every:])), 3) if losses else None,
                              eval_f=round(float(np.mean(f)), 3),
                              eval_passes=round(float(np.mean(np.array(f) >= THRESHOLDS["shape"])), 3),
                              eval_min_f=round(float(min(f)), 3), train_mode_f=round(float(np.mean(ft)), 3))),
              flush=True)

    torch.manual_seed(P.SEED)                          # the initial weights, as 11_train's use_seed gives them
    train_shape_autoencoder(grids, steps, batch, lr, seed=P.SEED, report=report, every=every)


if __name__ == "__main__":
    a = sys.argv[1:]
    main(int(a[0]), int(a[1]), int(a[2]), float(a[3]))
