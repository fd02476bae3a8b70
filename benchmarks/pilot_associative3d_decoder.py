"""Why the Associative3D voxel decoder outputs blobs: three checks on the 85-room pilot data.

    OMP_NUM_THREADS=1 python benchmarks/pilot_associative3d_decoder.py free STEPS
    OMP_NUM_THREADS=1 python benchmarks/pilot_associative3d_decoder.py modes STEPS BATCH LR SHAPE_ONLY [width=W]
        [fine=HxW] [init=PATH] [every=N]
    OMP_NUM_THREADS=1 python benchmarks/pilot_associative3d_decoder.py probe STEPS EVERY [IMG_W IMG_H FINE_H FINE_W]
        [width=W] [nz=Z] [rooms=R] [aux=A] [init=PATH]

`free`: the decoder alone (11_train's sizes: nz 10, 26 channels, 32^3) fitted to the distinct training grids from
a free code per grid (an auto-decoder, Adam 1e-3, 16 grids a step): can it hold the shapes at all? It first prints
the grids' occupancy (mean, range, and the largest share of grids any one voxel is filled in: what a decoder that
ignores its input reaches at most). `modes`: 11_train's box3d step at BATCH views (SHAPE_ONLY 1: the shape term
alone), the shape test on the true boxes of the first 60 training views every 200 steps, once in eval mode (what
11_train's evaluation uses) and once in train mode over batches of BATCH training views (BatchNorm's batch
statistics, as in training): is the blob BatchNorm's running statistics? `probe`: 11_train's box3d steps, and every
EVERY steps a logistic regression (scikit-learn) from the object branch's per-box features (eval mode, true boxes)
to each object's class and model, fitted on the training views' objects and scored on the test views'; beside it,
the same probe on the box's four coordinates alone and the majority class, and once a random forest on the box's
colour percentiles (`colour_baseline`): do the features tell objects apart?
IMG_W IMG_H (default 160 120) and FINE_H FINE_W (default 96 128) set the rendered and the fine image's sizes (the
pilot data are written again at another size); `width=` and `nz=` the object branch's (11_train's 4 and 0.1);
`rooms=` another number of rooms than the pilots' 85 (10 views each, 70 % for training; then 120 test pairs);
`aux=` adds that weight times a cross-entropy from the features to the class (a linear head; not in the paper): can
the trunks learn the class when told it directly? `init=` starts the branch from a saved state dict (the weights
`pilot_associative3d_pretrain.py` writes).
Columns as in `pilot_associative3d_shape.py` (`passes`: share of objects at or above Table 1's F-score 0.25;
`max_p`: median of each grid's largest probability).
"""
import sys, json, time, numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
import pilot_associative3d as P
import pilot_associative3d_shape as S
from paper_kit.kit.config import use_seed
from paper_kit.associative3d.object_branch import ObjectBranch, VoxelDecoder
from paper_kit.associative3d.train import object_batch, object_step
from paper_kit.associative3d.detection import shape_points, shape_fscore, THRESHOLDS


def _summary(f: list, max_p: list) -> dict:
    f = np.asarray(f)
    return dict(passes=round(float((f >= THRESHOLDS["shape"]).mean()), 3), F=round(float(f.mean()), 3),
                max_p=round(float(np.median(max_p)), 3))


def _score(grid: np.ndarray, true_pts) -> float: return shape_fscore(shape_points(grid), true_pts)


def free_codes(steps: int):
    tr = P.training_set(P.pilot_rooms())
    uniq = {}
    for v in tr["views"].values():
        for c in v["codes"]: uniq.setdefault(np.asarray(c.shape).tobytes(), np.asarray(c.shape))
    Y = torch.tensor(np.stack(list(uniq.values())), dtype=torch.float32)
    occ = Y.mean((1, 2, 3))
    print(json.dumps(dict(grids=len(Y), occupancy=round(float(occ.mean()), 3), lowest=round(float(occ.min()), 3),
                          highest=round(float(occ.max()), 3), voxel_most_filled=round(float(Y.mean(0).max()), 3))))
    pts = [shape_points(y.numpy()) for y in Y]
    with use_seed(P.SEED):
        dec = VoxelDecoder(10, 26, 5); codes = torch.nn.Parameter(torch.randn(len(Y), 10) * 0.1)
    opt, g, t0 = torch.optim.Adam([*dec.parameters(), codes], lr=1e-3), torch.Generator().manual_seed(0), time.time()
    for k in range(steps + 1):
        if k % 100 == 0:
            dec.eval()
            with torch.no_grad(): p = torch.sigmoid(dec(codes)[:, 0]).numpy()
            dec.train()
            print(json.dumps(dict(step=k, s=round(time.time() - t0), **_summary(
                [_score(q, b) for q, b in zip(p, pts)], p.reshape(len(p), -1).max(1)))), flush=True)
        if k == steps: break
        i = torch.randint(len(Y), (16,), generator=g)
        loss = F.binary_cross_entropy_with_logits(dec(codes[i])[:, 0], Y[i])
        opt.zero_grad(); loss.backward(); opt.step()


def train_mode_scores(net, tr: dict, keys: list, truth: dict, batch: int) -> dict:
    "The shape test with BatchNorm on its batch statistics, over batches of `batch` training views."
    f, max_p = [], []
    with torch.no_grad():
        for j in range(0, len(keys) - batch + 1, batch):
            ks = keys[j:j + batch]
            b = object_batch([tr["views"][x] for x in ks], [tr["inputs"][x] for x in ks], tr["bins"]["object_rot"],
                             np.random.default_rng(0), cap=100)
            code = net(b["fine"], b["coarse"], b["rois"])["code"]        # train mode returns codes only
            grids = torch.sigmoid(net.shape_ae.decoder(code)[:, 0]).numpy()
            pts = [truth[x][i] for x, kk in zip(ks, b["keep"]) for i in kk]
            f += [_score(g, p) for g, p in zip(grids, pts)]; max_p += [float(g.max()) for g in grids]
    return _summary(f, max_p)


def modes(steps: int, batch: int, lr: float, shape_only: bool, init: str = "", every: int = 200):
    P.A.update(batch_size=batch)
    tr = P.training_set(P.pilot_rooms())
    keys = tr["with_objects"][:60]; truth = S.true_points(tr["views"], keys)
    with use_seed(P.SEED):
        net = ObjectBranch(P.A["coarse_hw"], P.A["width"], P.A["nz"], len(tr["centres"]["object_rot"]), 32)
    P.start_from(net, init)
    opt, rng, t0 = torch.optim.Adam(net.parameters(), lr=lr), np.random.default_rng(P.SEED), time.time()
    for k in range(steps + 1):
        if k % every == 0:
            print(json.dumps(dict(step=k, s=round(time.time() - t0), eval=S.shape_scores(net, tr["inputs"], truth),
                                  train_mode=train_mode_scores(net, tr, keys, truth, batch))), flush=True)
        if k == steps: break
        opt.zero_grad(); t = P.box3d_step(net, tr, rng)
        (t["shape"] if shape_only else t["total"]).backward(); opt.step()


def box_features(net, inputs: dict, views: dict, keys: list) -> tuple:
    "Per true box of `keys`' views: the branch's features (K, f), the box (K, 4), its class and model."
    feats, boxes, cls, model = [], [], [], []
    net.eval()
    with torch.no_grad():
        for k in keys:
            x = inputs[k]
            if len(x["boxes"]) == 0: continue
            feats.append(net.features(x["fine"][None], x["coarse"][None], S.true_rois(x["boxes"])).numpy())
            boxes.append(x["boxes"])
            cls += list(views[k]["classes"]); model += list(views[k]["model_ids"])
    net.train()
    return np.concatenate(feats), np.concatenate(boxes), np.array(cls), np.array(model)


def probe_scores(train: tuple, test: tuple) -> dict:
    """Test accuracy of logistic regressions from features and from boxes alone, for class and model (and the
    features' accuracy on the training objects they were fitted to)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from sklearn.pipeline import make_pipeline
    out = {}
    for j, label in ((2, "class"), (3, "model")):
        values, counts = np.unique(train[j], return_counts=True)
        out[f"{label}_majority"] = round(float((test[j] == values[counts.argmax()]).mean()), 3)
        for i, name in ((0, "features"), (1, "box")):
            clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(train[i], train[j])
            out[f"{label}_{name}"] = round(float(clf.score(test[i], test[j])), 3)
            if name == "features": out[f"{label}_features_train"] = round(float(clf.score(train[i], train[j])), 3)
    return out


def colour_baseline(tr: dict, te: dict) -> dict:
    """What the box's pixels alone tell: a random forest from the 10th, 50th and 90th percentiles of each colour
    channel inside the true box (fine image) to the class and the model, fitted on training objects, scored on test."""
    from sklearn.ensemble import RandomForestClassifier
    def table(d: dict, keys: list) -> tuple:
        X, cls, model = [], [], []
        for k in keys:
            x = d["inputs"][k]
            for i, (x1, y1, x2, y2) in enumerate(x["boxes"].round().long().tolist()):
                px = x["fine"][:, max(y1, 0):max(y2, y1 + 1), max(x1, 0):max(x2, x1 + 1)].reshape(3, -1)
                X.append(torch.quantile(px, torch.tensor([0.1, 0.5, 0.9]), dim=1).flatten().numpy())
                cls.append(d["views"][k]["classes"][i]); model.append(d["views"][k]["model_ids"][i])
        return np.array(X), np.array(cls), np.array(model)
    a, b = table(tr, tr["with_objects"]), table(te, sorted(te["views"]))
    forest = lambda j: RandomForestClassifier(300, random_state=0).fit(a[0], a[j]).score(b[0], b[j])
    return {f"{label}_colour": round(float(forest(j)), 3) for j, label in ((1, "class"), (2, "model"))}


def step_with_class(net, head, tr: dict, rng, names: list, aux: float) -> torch.Tensor:
    "11_train's box3d step with `aux` times a cross-entropy from each box's features to its class added."
    views, b = P.box3d_batch(tr, rng)
    seen = []
    hook = net.joint.register_forward_hook(lambda m, i, o: seen.append(o))
    loss = object_step(net, b)["total"]; hook.remove()
    y = torch.tensor([names.index(v["classes"][j]) for v, k in zip(views, b["keep"]) for j in k])
    return loss + aux * F.cross_entropy(head(seen[0]), y) if aux else loss


def probe(steps: int, every: int, rooms: int = 85, aux: float = 0.0, init: str = ""):
    root = P.pilot_rooms() if rooms == 85 else P.data(False, rooms, 10, 0.7, f"_{rooms}rooms")
    tr = P.training_set(root); te = P.test_set(root, tr, 40 if rooms == 85 else 120)
    names = sorted({c for v in tr["views"].values() for c in v["classes"]})
    print(json.dumps(colour_baseline(tr, te)), flush=True)
    with use_seed(P.SEED):
        net = ObjectBranch(P.A["coarse_hw"], P.A["width"], P.A["nz"], len(tr["centres"]["object_rot"]), 32)
        head = torch.nn.Linear(net.scale.in_features, len(names))
    P.start_from(net, init)
    opt = torch.optim.Adam([*net.parameters(), *head.parameters()], lr=1e-3)
    rng, t0 = np.random.default_rng(P.SEED), time.time()
    for k in range(steps + 1):
        if k % every == 0:
            a = box_features(net, tr["inputs"], tr["views"], tr["with_objects"])
            b = box_features(net, te["inputs"], te["views"], sorted(te["views"]))
            print(json.dumps(dict(step=k, s=round(time.time() - t0), train=len(a[2]), test=len(b[2]),
                                  **probe_scores(a, b))), flush=True)
        if k == steps: break
        opt.zero_grad(); step_with_class(net, head, tr, rng, names, aux).backward(); opt.step()


if __name__ == "__main__":
    if sys.argv[1] == "free": free_codes(int(sys.argv[2]))
    elif sys.argv[1] == "probe":
        sizes = [a for a in sys.argv[4:] if "=" not in a]
        pairs = (a.split("=") for a in sys.argv[4:] if "=" in a)
        opts = {k: v if k == "init" else float(v) if k in ("nz", "aux") else int(v) for k, v in pairs}
        rooms, aux, init = opts.pop("rooms", 85), opts.pop("aux", 0.0), opts.pop("init", ""); P.A |= opts
        if sizes: P.IMAGE, P.A["fine_hw"] = tuple(map(int, sizes[:2])), tuple(map(int, sizes[2:4]))
        probe(int(sys.argv[2]), int(sys.argv[3]), rooms, aux, init)
    else:
        kw = dict(a.split("=", 1) for a in sys.argv[6:]); P.sizes_from(kw)
        modes(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1", kw.get("init", ""),
              int(kw.get("every", 200)))
