"""Does the Associative3D voxel decoder learn shapes? 11_train's box3d stage on the 85-room pilot data, with the
shape test of Table 1 applied to the true boxes of training and test views every EVERY steps:

    OMP_NUM_THREADS=1 python benchmarks/pilot_associative3d_shape.py STEPS EVERY LR [WIDTH NZ [BATCH]] [fine=HxW]
        [init=PATH] [freeze_bn=1] [ae=STEPS]

For each object of the first 60 training views and of the test views (true boxes, so the detector is not in the
way): `nonempty`, the share of predicted grids (sigmoid of the logits) with more than 3 voxels above 0.5 after the
official downsampling (`detection.shape_points`); `fscore`, the mean F-score at 0.05 against the true grid;
`passes`, the share at or above Table 1's 0.25; `max_p`, the median of each grid's largest probability. The floor:
each test object scored against a random training object's true grid (`floor_passes`). WIDTH and NZ (default
11_train's 4 and 0.1) set the object branch's ResNet width and its fully connected sizes' share of the official;
BATCH (default 11_train's 2) the views per step. `fine=` sets the fine image's size (default 96x128) and `init=`
starts the branch from a saved state dict (`pilot_associative3d_pretrain.py`'s weights, made at the same sizes);
`freeze_bn=1` keeps the trunks' BatchNorm in eval mode while training (their running statistics fixed, as detectors
do with a pretrained backbone trained on few images a step). `ae=STEPS` first trains 11_train's stage 0, the voxel
autoencoder, for STEPS steps on the training split's distinct grids (`pilot_associative3d.shape_space`, saved and
reused) and puts it in the branch, whose shape head then regresses its codes (the official `pred_voxels=False`);
without it the autoencoder is left at its initialisation.
"""
import sys, json, time, numpy as np, torch
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
import pilot_associative3d as P
from paper_kit.kit.config import use_seed
from paper_kit.associative3d.object_branch import ObjectBranch
from paper_kit.associative3d.detection import shape_points, shape_fscore, THRESHOLDS


def true_rois(boxes: torch.Tensor) -> torch.Tensor: # (K, 5) one view's boxes, batch index 0
    return torch.cat([torch.zeros(len(boxes), 1), boxes], 1)


def true_points(views: dict, keys: list) -> dict:
    "Surface samples of every true grid of `keys`' views, made once for all evaluations."
    return {k: [shape_points(c.shape) for c in views[k]["codes"]] for k in keys}


def shape_scores(net, inputs: dict, truth: dict) -> dict:
    "The shape test on every true box of the views in `truth` (view -> its objects' true surface samples)."
    rows = []
    net.eval()
    with torch.no_grad():
        for k, pts in truth.items():
            if not pts: continue
            x = inputs[k]
            grids = torch.sigmoid(net(x["fine"][None], x["coarse"][None], true_rois(x["boxes"]))["shape"]).numpy()
            for g, b in zip(grids, pts):
                a = shape_points(g)
                rows.append((a is not None, shape_fscore(a, b), float(g.max())))
    net.train()
    r = np.array(rows)
    return dict(nonempty=round(r[:, 0].mean(), 3), fscore=round(r[:, 1].mean(), 3),
                passes=round((r[:, 1] >= THRESHOLDS["shape"]).mean(), 3), max_p=round(float(np.median(r[:, 2])), 3))


def floor(tr: dict, te: dict, rng) -> float:
    "Share of test objects whose shape test a random training object's true grid passes."
    train = [c.shape for v in tr["views"].values() for c in v["codes"]]
    test = [c.shape for v in te["views"].values() for c in v["codes"]]
    return round(float(np.mean([shape_fscore(shape_points(train[rng.integers(len(train))]), shape_points(t))
                                >= THRESHOLDS["shape"] for t in test])), 3)


def freeze_trunk_bn(net) -> None:
    "Keep the trunks' BatchNorm layers in eval mode whenever the branch is put in train mode."
    train = net.train
    def frozen(mode: bool = True):
        train(mode)
        for m in [*net.fine.modules(), *net.coarse.modules()]:
            if isinstance(m, torch.nn.BatchNorm2d): m.eval()
        return net
    net.train = frozen; net.train()


def main(steps: int, every: int, lr: float, init: str = "", freeze_bn: bool = False, ae_steps: int = 0):
    root = P.pilot_rooms()
    tr = P.training_set(root); te = P.test_set(root, tr, 40)
    train_truth = true_points(tr["views"], tr["with_objects"][:60])
    test_truth = true_points(te["views"], sorted(te["views"]))
    print(json.dumps(dict(floor_passes=floor(tr, te, np.random.default_rng(0)))), flush=True)
    with use_seed(P.SEED):
        net = ObjectBranch(P.A["coarse_hw"], P.A["width"], P.A["nz"], len(tr["centres"]["object_rot"]), 32)
        P.start_from(net, init)
        if ae_steps: net.set_shape_autoencoder(P.shape_space(tr, ae_steps))
        if freeze_bn: freeze_trunk_bn(net)
        opt, rng, t0 = torch.optim.Adam(net.parameters(), lr=lr), np.random.default_rng(P.SEED), time.time()
        for k in range(steps + 1):
            if k % every == 0:
                print(json.dumps(dict(step=k, s=round(time.time() - t0),
                                      train=shape_scores(net, tr["inputs"], train_truth),
                                      test=shape_scores(net, te["inputs"], test_truth))), flush=True)
            if k == steps: break
            opt.zero_grad(); t = P.box3d_step(net, tr, rng); t["total"].backward(); opt.step()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if "=" not in a]
    kw = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
    if len(args) > 4: P.A.update(width=int(args[3]), nz=float(args[4]))
    if len(args) > 5: P.A.update(batch_size=int(args[5]))
    P.sizes_from(kw)
    main(int(args[0]), int(args[1]), float(args[2]), kw.get("init", ""), kw.get("freeze_bn") == "1",
         int(kw.get("ae", 0)))
