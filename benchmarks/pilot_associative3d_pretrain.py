"""A trunk that starts from object recognition, for the Associative3D object branch (issue 24).

The official object branch starts from ImageNet ResNet-18 weights. Trained from scratch on our rooms, its RoI
features never tell the objects apart (benchmarks/results/pilot_associative3d_decoder.md: under the box's four
numbers after 5,000 steps, and slow to fit even when told the class). No ImageNet weights are available here. The
stand-in tested here: pretrain the branch's features on recognising SweetHome3D furniture that never appears in the
scenes, in rooms built by the same generator from each class's models after the first four (the scenes'
`models_per_class`), each box labelled with its model; then run the decoder pilot's probe from those weights on the
pilot rooms (whose 24 models the pretraining never saw).

    OMP_NUM_THREADS=1 python benchmarks/pilot_associative3d_pretrain.py pretrain STEPS EVERY [rooms=R]
        [per_class=K] [batch_size=B] [lr=X] [width=W] [fine=HxW] [tiny=1]
    OMP_NUM_THREADS=1 python benchmarks/pilot_associative3d_decoder.py probe STEPS EVERY
        init=build/pilot_associative3d_pretrain/branch_w4_96x128.pt

`pretrain`: R rooms (default 120; 10 views each, 80 % of the rooms for training, data seed 11) furnished with up to
K (default 12) held-out models of each of the six classes (the catalogue has fewer desks and displays: 4 and 2 are
held out); the object branch at 11_train's sizes (`pilot_associative3d.A`) with a linear head on its per-box
features, trained by a cross-entropy over the held-out models (Adam `lr`, default 1e-3; B views a step, default 8,
at most 5 boxes each). Every EVERY steps (and untrained): the head's accuracy on the held-out rooms' test views, for
the model and for its class; and what transfers, the decoder pilot's logistic-regression probe of the features on
the pilot rooms (class and model of their 88 test objects; untrained from scratch 0.26 and 0.10, the box's four
numbers 0.44 and 0.14, a colour forest 0.61 and 0.60). The weights go to
build/pilot_associative3d_pretrain/branch_w<width>_<fine size>.pt (the branch's whole state; its decoder and pose
heads are as initialised). `width=` and `fine=` change the branch's width and fine image (11_train's 4 and 96x128;
give the probe the same `width=` and sizes). `tiny=1` (6 rooms, 2 models a class; data under
build/pilot_associative3d_pretrain_tiny) checks the script and writes no result.
"""
import dataclasses, json, shutil, sys, time
from pathlib import Path
import numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, str(Path(__file__).parent))
import pilot_associative3d as P
import pilot_associative3d_decoder as D
from paper_kit.kit.config import use_seed
from paper_kit.geometry.sh3d import catalog, load_sh3d
from paper_kit.geometry.suncg import write_suncg, read_split, SUNCG_CLASSES, OUR_CLASS
from paper_kit.associative3d.data import SceneConfig
from paper_kit.associative3d.targets import view_objects
from paper_kit.associative3d.object_branch import ObjectBranch
from paper_kit.associative3d.train import view_input, MAX_ROIS_BOX3D

DATA_SEED = 11
IN_SCENES = SceneConfig().models_per_class          # the scenes use each class's first models; these are skipped


def held_out_furniture(per_class: int) -> dict:
    "SUNCG class -> up to `per_class` SweetHome3D models of it that the scenes never use (catalogue order)."
    cat, out = catalog(), {}
    for c in SUNCG_CLASSES:
        rows = cat[cat.category == OUR_CLASS[c]].iloc[IN_SCENES:IN_SCENES + per_class]
        if rows.empty: raise SystemExit(f"the catalogue holds no {OUR_CLASS[c]!r} model beyond the scenes' {IN_SCENES}")
        out[c] = [dataclasses.replace(load_sh3d(r), category=OUR_CLASS[c]) for _, r in rows.iterrows()]
    return out


def rooms(rooms: int, per_class: int, tiny: bool) -> Path:
    "The held-out rooms, written once (again when the configuration differs), staged then moved into place."
    base = P.ROOT/"build"/("pilot_associative3d_pretrain" + ("_tiny" if tiny else ""))
    stamp = f"rooms={rooms} per_class={per_class} image={P.IMAGE} seed={DATA_SEED}"
    root = base/"data"
    if (root/"config.txt").is_file() and (root/"config.txt").read_text() == stamp: return root
    staging = base/"data.writing"
    shutil.rmtree(staging, ignore_errors=True)
    t0 = time.time()
    n = write_suncg(staging, held_out_furniture(per_class), houses=rooms, views=10,
                    splits={"train": 0.8, "test": 0.2}, image_size=P.IMAGE, objects_per_room=4, seed=DATA_SEED)
    print(f"writing the held-out rooms: {rooms} rooms, pairs {n}, {time.time() - t0:.0f} s", flush=True)
    (staging/"config.txt").write_text(stamp)
    shutil.rmtree(root, ignore_errors=True); staging.rename(root)
    return root


def split_views(root: Path, split: str) -> dict:
    "The views of a split's pairs that show objects: keys, views and network inputs."
    pairs = read_split(root/f"associative3d_{split}_set.txt")
    keys = sorted({(p.house, v) for p in pairs for v in p.views})
    views = {k: view_objects(root, *k, P.IMAGE) for k in keys}
    keys = [k for k in keys if len(views[k]["codes"])]
    return dict(keys=keys, views=views,
                inputs={k: view_input(views[k], P.A["fine_hw"], P.A["coarse_hw"]) for k in keys})


def batch(d: dict, keys: list, rng, labels: dict) -> tuple:
    "fine (B, 3, H, W), coarse, rois (K, 5) and model labels (K,) of `keys`' views, box3d's cap of boxes each."
    rois, y = [], []
    for b, k in enumerate(keys):
        boxes, ids = d["inputs"][k]["boxes"], d["views"][k]["model_ids"]
        keep = sorted(rng.choice(len(boxes), min(MAX_ROIS_BOX3D, len(boxes)), replace=False).tolist())
        rois.append(torch.cat([torch.full((len(keep), 1), float(b)), boxes[keep]], 1))
        y += [labels[ids[j]] for j in keep]
    stack = lambda part: torch.stack([d["inputs"][k][part] for k in keys])
    return stack("fine"), stack("coarse"), torch.cat(rois), torch.tensor(y)


def accuracy(net, head, d: dict, labels: dict, model_class: dict) -> dict:
    "The head's accuracy on every true box of `d`'s views (eval mode): model, and the class of the model it names."
    net.eval(); hit = cls = n = 0
    names = {v: k for k, v in labels.items()}
    with torch.no_grad():
        for k in d["keys"]:
            fine, coarse, rois, y = batch(d, [k], np.random.default_rng(0), labels)
            pred = head(net.features(fine, coarse, rois)).argmax(1)
            hit += int((pred == y).sum()); n += len(y)
            cls += sum(model_class[names[int(p)]] == model_class[names[int(t)]] for p, t in zip(pred, y))
    net.train()
    return dict(model=round(hit / n, 3), cls=round(cls / n, 3), objects=n)


def transfer(net, pilot: tuple) -> dict:
    "The decoder pilot's probe of the branch's features on the pilot rooms (their models never seen here)."
    tr, te = pilot
    a = D.box_features(net, tr["inputs"], tr["views"], tr["with_objects"])
    b = D.box_features(net, te["inputs"], te["views"], sorted(te["views"]))
    return {f"pilot_{k}": v for k, v in D.probe_scores(a, b).items()}


def pretrain(steps: int, every: int, n_rooms: int = 120, per_class: int = 12, batch_size: int = 8,
             lr: float = 1e-3, tiny: bool = False):
    root = rooms(6 if tiny else n_rooms, 2 if tiny else per_class, tiny)
    train, test = split_views(root, "train"), split_views(root, "test")
    model_class = {m: int(c) for d in (train, test) for v in d["views"].values()
                   for m, c in zip(v["model_ids"], v["classes"])}
    labels = {m: i for i, m in enumerate(sorted({m for k in train["keys"] for m in train["views"][k]["model_ids"]}))}
    test["keys"] = [k for k in test["keys"] if all(m in labels for m in test["views"][k]["model_ids"])]
    print(f"{len(train['keys'])} training views, {len(test['keys'])} test views, {len(labels)} models", flush=True)
    pilot = None
    if not tiny:
        proot = P.pilot_rooms(); ptr = P.training_set(proot); pilot = (ptr, P.test_set(proot, ptr, 40))
    with use_seed(P.SEED):
        net = ObjectBranch(P.A["coarse_hw"], P.A["width"], P.A["nz"], P.A["rot_bins"], 32)
        head = torch.nn.Linear(net.scale.in_features, len(labels))
    opt = torch.optim.Adam([*net.parameters(), *head.parameters()], lr=lr)
    rng, t0, rows = np.random.default_rng(P.SEED), time.time(), []
    for step in range(steps + 1):
        if step % every == 0:
            row = dict(step=step, s=round(time.time() - t0), **accuracy(net, head, test, labels, model_class))
            if pilot: row |= transfer(net, pilot)
            rows.append(row); print(json.dumps(row), flush=True)
        if step == steps: break
        keys = [train["keys"][i] for i in rng.choice(len(train["keys"]), batch_size, replace=False)]
        fine, coarse, rois, y = batch(train, keys, rng, labels)
        opt.zero_grad(); F.cross_entropy(head(net.features(fine, coarse, rois)), y).backward(); opt.step()
    if not tiny:
        out = root.parent/f"branch_w{P.A['width']}_{P.A['fine_hw'][0]}x{P.A['fine_hw'][1]}.pt"
        torch.save(net.state_dict(), out); print(f"weights: {out}", flush=True)
    return rows


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[1] != "pretrain": raise SystemExit(__doc__)
    kw = dict(a.split("=") for a in sys.argv[4:])
    P.sizes_from(kw)
    pretrain(int(sys.argv[2]), int(sys.argv[3]), n_rooms=int(kw.get("rooms", 120)),
             per_class=int(kw.get("per_class", 12)), batch_size=int(kw.get("batch_size", 8)),
             lr=float(kw.get("lr", 1e-3)), tiny=kw.get("tiny") == "1")
