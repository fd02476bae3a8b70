"""Does the Associative3D camera branch learn on the 85-room pilot data? (see pilot_associative3d.py)

    OMP_NUM_THREADS=1 python benchmarks/pilot_associative3d_camera_learn.py [MINUTES] [WIDTH] [HxW] [BATCH] [LR] [OPT]

The committed `small` trains CameraBranch(4) at 48x64 on 2 pairs a step with SGD 1e-3 for 1,500 steps, and its
top-1 bins stay at a uniform guess's level. Earlier pilots scored the batch-8 run with the network in training mode
(`pilot_associative3d_camera_width.py` never calls `eval()`, so each test pair's batch norms normalised it by
itself). This one trains a wider branch (default width 16, 96x128 images, 16 pairs a step, Adam 1e-3; OPT `sgd`:
the official SGD with Nesterov momentum and weight decay 1e-2, `camera_optimizer`) for MINUTES
(default 25) of wall time, and every 250 steps scores, in eval mode, the translation and rotation top-1 bins on every
test pair and on 200 training pairs, against answering the training split's most frequent bin. Learning: the
training accuracy rises and the test accuracy passes its floor by more than two standard errors; memorising: the
training accuracy rises alone; neither: the images carry no cue this branch finds at this budget.
"""
import sys, time, json, numpy as np, torch
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
import pilot_associative3d as P
from paper_kit.kit.config import use_seed
from paper_kit.associative3d.camera_branch import CameraBranch, camera_optimizer

args = sys.argv[1:] + [None] * 6
minutes, width = float(args[0] or 25), int(args[1] or 16)
P.A["camera_hw"] = tuple(int(x) for x in (args[2] or "96x128").split("x"))
P.A["camera_batch"], lr, opt_name = int(args[3] or 16), float(args[4] or 1e-3), args[5] or "adam"
if opt_name not in ("adam", "sgd"): raise SystemExit(f"OPT: adam or sgd, got {opt_name!r}")


def split_of(tr: dict, pairs: list) -> dict:
    "Training pairs in the shape of a test set, for camera_metrics: keys, poses and mean-subtracted images."
    keys = [[(p.house, v) for v in p.views] for p in pairs]
    cam = {k: tr["cam_imgs"][k] - tr["mean_image"] for ks in keys for k in ks}
    return dict(pairs=pairs, keys=keys, poses=[P.relative_pose(*p.poses) for p in pairs], cam=cam)


def score(cam, tr, te, trn, floors_te, floors_tr, step, t0, losses) -> dict:
    "Test and training top-1 in eval mode, with the floors and the test standard error."
    cam.eval()
    m_te, m_tr = P.camera_metrics(cam, tr, te, floors_te), P.camera_metrics(cam, tr, trn, floors_tr)
    cam.train()
    n = len(te["pairs"])
    se = lambda p: round(float(np.sqrt(max(p, 1e-9) * (1 - p) / n)), 4)
    return dict(step=step, minutes=round((time.time() - t0) / 60, 2),
                loss_last_250=round(float(np.mean(losses[-250:])), 3) if losses else None,
                test_trans=m_te["trans_top1"], test_rot=m_te["rot_top1"],
                floor_trans=m_te["floor_trans_top1"], floor_rot=m_te["floor_rot_top1"],
                se_trans=se(m_te["floor_trans_top1"]), se_rot=se(m_te["floor_rot_top1"]),
                train_trans=m_tr["trans_top1"], train_rot=m_tr["rot_top1"],
                train_floor_trans=m_tr["floor_trans_top1"], train_floor_rot=m_tr["floor_rot_top1"],
                test_trans_err_median=m_te["trans_err_median"], floor_trans_err_median=m_te["floor_trans_err_median"])


def main():
    root = P.pilot_rooms()
    tr = P.training_set(root); te = P.test_set(root, tr, 0)
    trn = split_of(tr, tr["pairs"][:200])
    floors_te, floors_tr = P.camera_floors(tr, te), P.camera_floors(tr, trn)
    print(json.dumps(dict(width=width, hw=P.A["camera_hw"], batch=P.A["camera_batch"], lr=lr, opt=opt_name,
                          train_pairs=len(tr["pairs"]), test_pairs=len(te["pairs"]))), flush=True)
    with use_seed(0):
        cam = CameraBranch(width, 128, len(tr["centres"]["trans"]), len(tr["centres"]["rot"]))
        opt = torch.optim.Adam(cam.parameters(), lr) if opt_name == "adam" else camera_optimizer(cam, lr)
        rng, t0, losses, k = np.random.default_rng(0), time.time(), [], 0
        print(json.dumps(score(cam, tr, te, trn, floors_te, floors_tr, 0, t0, losses)), flush=True)
        while time.time() - t0 < 60 * minutes:
            k += 1
            cam.train(); opt.zero_grad(); terms = P.camera_step(cam, tr, rng); terms["total"].backward(); opt.step()
            losses.append(float(terms["total"].detach()))
            if k % 250 == 0: print(json.dumps(score(cam, tr, te, trn, floors_te, floors_tr, k, t0, losses)), flush=True)
        print(json.dumps(score(cam, tr, te, trn, floors_te, floors_tr, k, t0, losses) | dict(final=True)), flush=True)


if __name__ == "__main__":
    main()
