"""Pilot for the Associative3D companion: one seed, each branch's curve against its floor, to choose the budget of
`small` before any claim is evaluated.

    OMP_NUM_THREADS=1 python benchmarks/pilot_associative3d.py [steps] [eval_every] [--tiny] [--only object,camera]
        [--siamese-steps N] [--camera-steps N] [--houses N] [--views N] [--train-share X] [--max-pairs N]
        [--lr X] [--camera-lr X] [--tables] [--plot] [--name STEM] [--width N] [--fine HxW] [--init PATH]
        [--ae STEPS] [--siamese-lr X] [--pair-batch N] [--batch-size N]

`steps` (default 1500) is the budget of each stage: box3d, siamese and camera (`--siamese-steps`, `--camera-steps`
override the last two); every `eval_every` steps (default 250) and at step 0 (the untrained network) the branch is
scored on held-out test view pairs (siamese's step 0 is box3d's last evaluation, not scored again). `--only object`
trains the object branch alone (box3d then siamese), `--only camera` the camera branch alone; the other curves of
the results file are kept. `--tables` (with both branches trained in the run) ends with 12_scenes'
Tables 1 and 4 on the same test pairs. `--plot` redraws the results. `--tiny` (8 rooms, 1 model per class, 3 test
pairs, 4 steps, scored every 2; its data under build/pilot_associative3d_tiny) checks the script and writes no result.
`--name` (default pilot_associative3d) is the stem of the results' files in benchmarks/results. `--width` and
`--fine` set the object branch's ResNet width and fine image (below: 4 and 96 x 128), `--init` starts it from
`pilot_associative3d_pretrain.py`'s weights, and `--ae STEPS` first trains 11_train's stage 0, the voxel autoencoder
whose codes the branch regresses, for STEPS steps (`shape_space`; without it the autoencoder stays at its
initialisation). `--siamese-lr` sets the rate of the siamese stage (default `--lr`: one rate for both, as 11_train) and
`--pair-batch` its view pairs a step (default 1, 11_train's; the official 24); `--batch-size` the views of a box3d
step (default 2, 11_train's; the official 24).

Data, written once under build/pilot_associative3d/data by 10_make_data's `SceneConfig` / `make_scenes`: `--houses`
(default 60) rooms of `--views` (default 5) views at 160 x 120, 4 objects per room, 4 SweetHome3D models per class,
a `--train-share` (default 0.5) of the houses in the training split and the rest in the test split, from seed 7
(not small's 0: the budget is never chosen on small's test rooms). Ten views a room give about ten overlapping pairs
a room, five about 1.4 (docs/benchmarks.md). The test pairs are the first `--max-pairs` (default 60) of the test
split. Training is 11_train's at its defaults (ObjectBranch width 4, nz 0.1, fine 96 x 128, coarse 32 x 64; Adam
1e-4 (`--lr`) for box3d and siamese, one optimiser for both, 2 views a box3d step, 1 pair a siamese step;
CameraBranch width 4 at 48 x 64, SGD Nesterov 1e-3 (`--camera-lr`), 2 pairs a step; bins fitted by k-means on the
training split, capped at its sample counts; the mean training image subtracted), inside `use_seed(0)`.

What each evaluation measures (12_scenes' functions on the test pairs):

- object branch, `ap_*`: Feedforward's detection AP (x 1, pooled over the pairs, `detection_table`) of the
  proposals' codes (`predict_objects`), view 1's objects moved by the TRUE relative pose (the camera is not the
  object branch's), against the union of both views' true objects: `all` tests, and `shape`, `trans`, `rot`,
  `scale` each alone (Table 1's columns). Two floors, computed once: `floor_random_*`, the same proposals and scores
  with each 3D code (grid, scale, rotation, centre) replaced by a uniformly drawn training object's true code in its
  own camera's frame (a random box from the training distribution); `floor_mean_*`, every proposal given the mean
  training code (mean grid, geometric-mean scale, the most frequent rotation bin's centre, mean centre): what an
  object branch that ignores the image scores;
- object branch, `affinity_auroc` / `affinity_ap`: the raw affinity of the embeddings of every cross-view pair of
  true boxes (the GT-box setting, `correspondence_table`'s "Affinity" row), matched against unmatched objects;
  chance: AUROC 0.5, AP `floor_affinity_ap` (the "All negative" row: the share of matched object pairs);
- camera branch, `trans_top1` / `rot_top1`: share of test pairs whose most probable bin (`camera_probs`) is the
  true pair's bin; floors: `floor_trans_top1` / `floor_rot_top1`, the share of test pairs in the training split's
  most frequent bin (always answering it), with 1/k beside it (`uniform_*`); `trans_err_median`: metres from the
  top-1 bin's centre to the true translation, against `floor_trans_err_median`, the most frequent bin's centre.

`train_s` is the cumulative training time of the stage (evaluation excluded), `s_per_step` its mean per step,
`eval_s` the evaluation's time; `--tables` records its own time.
Results: benchmarks/results/pilot_associative3d.{json,md,png}.
"""
import json, shutil, sys, time
from pathlib import Path
import numpy as np
import torch

from paper_kit.kit import stats
from paper_kit.kit.config import use_seed
from paper_kit.geometry.suncg import read_split
from paper_kit.associative3d.data import SceneConfig, make_scenes
from paper_kit.associative3d.camera import fit_bins, centres, relative_pose, to_bins, pose_errors, pose_summary
from paper_kit.associative3d.targets import view_objects, affinity_truth
from paper_kit.associative3d.object_branch import ObjectBranch, MAX_ROIS, VoxelAutoencoder
from paper_kit.associative3d.camera_branch import CameraBranch, camera_loss, camera_optimizer
from paper_kit.associative3d.train import view_input, object_batch, object_step, siamese_step, camera_targets, \
    image_tensor, both_orders, reverse_some, distinct_grids, train_shape_autoencoder
from paper_kit.associative3d.proposals import read_proposals
from paper_kit.associative3d.stitch import ObjectCode, Hypotheses, hypotheses, moved, affinity
from paper_kit.associative3d.pipeline import predict_objects, camera_probs, combine, pair_detections, \
    detection_table, METHODS
from paper_kit.associative3d.detection import detection_ap, shape_points, shape_fscore, THRESHOLDS
from paper_kit.associative3d.correspondence import correspondence_table, top1_matching

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/"benchmarks"/"results"
SEED, DATA_SEED, IMAGE = 0, 7, (160, 120)           # IMAGE: (W, H)
# 11_train's defaults
A = dict(fine_hw=(96, 128), coarse_hw=(32, 64), width=4, nz=0.1, camera_width=4, camera_hw=(48, 64), rot_bins=24,
         trans_bins=60, cam_rot_bins=30, batch_size=2, pair_batch=1, camera_batch=2, lr=1e-4, camera_lr=1e-3)
COLS = ("all", "shape", "trans", "rot", "scale")


def sizes_from(kw: dict) -> None:
    "Apply the `width=` and `fine=HxW` options of a pilot's command line (popped from `kw`) to the branch's sizes `A`."
    if "width" in kw: A["width"] = int(kw.pop("width"))
    if "fine" in kw: A["fine_hw"] = tuple(int(x) for x in kw.pop("fine").split("x"))


def start_from(net, init: str) -> None:
    """Load a saved state dict (`pilot_associative3d_pretrain.py`'s weights) into the branch when `init` names one:
    the trunks and fully connected layers; the shape head and autoencoder only where their sizes still match (the
    weights made before the autoencoder hold the earlier shape decoder, left at its initialisation anyway)."""
    if not init: return
    saved, own = torch.load(init), net.state_dict()
    keep = {k: v for k, v in saved.items() if k in own and own[k].shape == v.shape}
    net.load_state_dict(keep, strict=False)
    print(f"the branch starts from {init} ({len(keep)} of {len(own)} tensors; not loaded: "
          f"{sorted({k.split('.')[0] for k in own if k not in keep})})", flush=True)


def shape_space(tr: dict, steps: int, batch: int = 8) -> "VoxelAutoencoder":
    """11_train's stage 0 on the training split's distinct grids (seed SEED), saved under build/ and reused by the
    next pilot with the same data, steps and batch."""
    grids = distinct_grids(tr["views"].values())
    path = ROOT/"build"/"pilot_associative3d"/f"autoencoder_{len(grids)}_{steps}_{batch}.pt"
    ae = VoxelAutoencoder(grids.shape[-1])
    if path.is_file():
        ae.load_state_dict(torch.load(path)); return ae.eval()
    t0 = time.time()
    ae, losses = train_shape_autoencoder(grids, steps, batch, seed=SEED)
    with torch.no_grad(): rec = torch.sigmoid(ae(grids)).numpy()
    f = [shape_fscore(shape_points(r), shape_points(g.numpy())) for r, g in zip(rec, grids)]
    print(f"autoencoder: {len(grids)} grids, {steps} steps, loss {losses[0]:.3f} -> {np.mean(losses[-20:]):.3f}, "
          f"{time.time() - t0:.0f} s; reconstructions: F-score {np.mean(f):.3f}, shape test passed by "
          f"{np.mean(np.array(f) >= THRESHOLDS['shape']):.3f}", flush=True)
    torch.save(ae.state_dict(), path)
    return ae


def data(tiny: bool, houses: int, views: int = 5, train_share: float = 0.5, name: str = "") -> Path:
    """10_make_data's rooms, written once (again when the configuration differs), staged then moved into place;
    `name` keeps another set beside the usual one."""
    base = ROOT/"build"/(("pilot_associative3d_tiny" if tiny else "pilot_associative3d") + name)
    cfg = SceneConfig(houses=houses, views=views, image_size=IMAGE, objects_per_room=4,
                      models_per_class=1 if tiny else 4, splits={"train": train_share, "test": 1 - train_share},
                      seed=DATA_SEED)
    root, stamp = base/"data", repr(cfg)
    if (root/"config.txt").is_file() and (root/"config.txt").read_text() == stamp: return root
    staging = base/"data.writing"
    shutil.rmtree(staging, ignore_errors=True)
    t0 = time.time(); n = make_scenes(staging, cfg)
    print(f"writing the data: {houses} houses, pairs {n}, {time.time() - t0:.0f} s", flush=True)
    (staging/"config.txt").write_text(stamp)
    shutil.rmtree(root, ignore_errors=True); staging.rename(root)
    return root


def pilot_rooms() -> Path:
    "The 85-room data of the camera, shape and decoder pilots (10 views a room, 70 % of the rooms for training)."
    return data(False, 85, 10, 0.7)


def training_set(root: Path) -> dict:
    "11_train's training split: views, network inputs, bins, camera images and their mean."
    pairs = read_split(root/"associative3d_train_set.txt")
    keys = sorted({(p.house, v) for p in pairs for v in p.views})
    views = {k: view_objects(root, *k, IMAGE) for k in keys}
    codes = [c for v in views.values() for c in v["codes"]]
    rel = [relative_pose(*p.poses) for p in both_orders(pairs)]
    k_obj, k_t, k_r = min(A["rot_bins"], len(codes)), min(A["trans_bins"], len(rel)), min(A["cam_rot_bins"], len(rel))
    bins = dict(object_rot=fit_bins(np.stack([c.quat for c in codes]), k_obj, SEED),
                trans=fit_bins(np.stack([t for _, t in rel]), k_t, SEED),
                rot=fit_bins(np.stack([q for q, _ in rel]), k_r, SEED))
    cam_imgs = {k: image_tensor(v["image"], A["camera_hw"]) for k, v in views.items()}
    print(f"{len(pairs)} training pairs, {len(keys)} views, {len(codes)} objects; bins: {k_obj} object rotations, "
          f"{k_t} translations, {k_r} rotations", flush=True)
    return dict(pairs=pairs, views=views, codes=codes, bins=bins, cam_imgs=cam_imgs,
                inputs={k: view_input(v, A["fine_hw"], A["coarse_hw"]) for k, v in views.items()},
                with_objects=[k for k in keys if views[k]["codes"]],
                usable=[p for p in pairs if all(views[(p.house, v)]["codes"] for v in p.views)],
                centres={k: centres(v) for k, v in bins.items()},
                mean_image=torch.stack(list(cam_imgs.values())).mean(0))


def test_set(root: Path, tr: dict, max_pairs: int) -> dict:
    "The first `max_pairs` test pairs: views, proposals, inputs, camera images, true pose and 12_scenes' truth."
    pairs = read_split(root/"associative3d_test_set.txt")[:max_pairs or None]
    if not pairs: raise SystemExit(f"{root}: no test pairs (more houses are needed)")
    keys = sorted({(p.house, v) for p in pairs for v in p.views})
    views = {k: view_objects(root, *k, IMAGE) for k in keys}
    poses = [relative_pose(*p.poses) for p in pairs]
    truth = []
    for p, (q, t) in zip(pairs, poses):
        v0, v1 = (views[(p.house, x)] for x in p.views)
        truth.append([moved(o, q, t) for o in v0["codes"]] +
                     [o for o, n in zip(v1["codes"], v1["node_ids"]) if n not in set(v0["node_ids"])])
    print(f"{len(pairs)} test pairs, {len(keys)} views", flush=True)
    return dict(pairs=pairs, keys=[[(p.house, x) for x in p.views] for p in pairs], views=views, poses=poses,
                truth=truth, props={k: read_proposals(root, *k) for k in keys},
                inputs={k: view_input(v, A["fine_hw"], A["coarse_hw"]) for k, v in views.items()},
                cam={k: image_tensor(v["image"], A["camera_hw"]) - tr["mean_image"] for k, v in views.items()})


# --- the object branch --------------------------------------------------------------------------------------------

def true_pose(q, t) -> Hypotheses:
    return Hypotheses(np.asarray(q, float)[None], np.asarray(t, float)[None], np.ones(1), np.ones(1))


def feedforward_ap(te: dict, codes) -> dict:
    "Feedforward's Table 1 APs with the true relative pose; `codes(key, boxes, scores)` gives a view's objects."
    rng, dets = np.random.default_rng(SEED), []
    for ks, (q, t), truth in zip(te["keys"], te["poses"], te["truth"]):
        o1, o2 = (codes(k, *te["props"][k]) for k in ks)
        dets.append(pair_detections(combine("Feedforward", o1, o2, true_pose(q, t), rng).objects, truth, {}))
    ap = detection_table(dets)
    return {c: float(ap[c]) for c in COLS}


def object_floors(tr: dict, te: dict) -> dict:
    "The APs of random training codes and of the mean training code on the test proposals (see the docstring)."
    rng, pool = np.random.default_rng(SEED + 1), tr["codes"]
    def random_codes(k, boxes, scores):
        return [ObjectCode(**{f: getattr(pool[i], f) for f in ("shape", "scale", "quat", "trans")}, score=float(s))
                for i, s in zip(rng.integers(len(pool), size=len(boxes)), scores)]
    top = np.bincount(to_bins(tr["bins"]["object_rot"], np.stack([c.quat for c in pool]))).argmax()
    mean = dict(shape=np.mean([c.shape for c in pool], 0), scale=np.exp(np.mean([np.log(c.scale) for c in pool], 0)),
                quat=tr["centres"]["object_rot"][top], trans=np.mean([c.trans for c in pool], 0))
    def mean_codes(k, boxes, scores): return [ObjectCode(**mean, score=float(s)) for s in scores]
    rnd, avg = feedforward_ap(te, random_codes), feedforward_ap(te, mean_codes)
    return {f"floor_random_{c}": round(rnd[c], 4) for c in COLS} | {f"floor_mean_{c}": round(avg[c], 4) for c in COLS}


def object_metrics(net, tr: dict, te: dict, floors: dict) -> dict:
    "Feedforward APs (true pose) and the GT-box affinity's AUROC and AP, beside their floors."
    H, W = IMAGE[1], IMAGE[0]
    rot = tr["centres"]["object_rot"]
    ap = feedforward_ap(te, lambda k, b, s: predict_objects(net, te["inputs"][k], b, s, rot, (H, W)))
    corr = []
    for ks in te["keys"]:
        v = [te["views"][k] for k in ks]
        gt = [predict_objects(net, te["inputs"][k], x["boxes"], np.ones(len(x["boxes"])), rot, (H, W))
              for k, x in zip(ks, v)]
        if not (gt[0] and gt[1]): continue
        aff = affinity([o.embedding for o in gt[0]], [o.embedding for o in gt[1]])
        corr.append((aff, affinity_truth(v[0]["node_ids"], v[1]["node_ids"]), top1_matching(aff)))
    ct = correspondence_table(corr)
    return {f"ap_{c}": round(ap[c], 4) for c in COLS} | floors | dict(
        affinity_auroc=round(float(ct.loc["Affinity", "AUROC"]), 4),
        affinity_ap=round(float(ct.loc["Affinity", "AP"]), 4),
        floor_affinity_ap=round(float(ct.loc["All negative", "AP"]), 4))


def box3d_batch(tr: dict, rng) -> tuple[list, dict]:
    "11_train's box3d batch: `batch_size` training views with objects (returned too), at most 5 RoIs each."
    pool = tr["with_objects"]
    ks = [pool[i] for i in rng.choice(len(pool), min(A["batch_size"], len(pool)), replace=False)]
    views = [tr["views"][x] for x in ks]
    return views, object_batch(views, [tr["inputs"][x] for x in ks], tr["bins"]["object_rot"], rng)


def box3d_step(net, tr: dict, rng) -> dict:
    "11_train's box3d step on `box3d_batch`."
    return object_step(net, box3d_batch(tr, rng)[1])


def siamese_train_step(net, tr: dict, rng) -> dict:
    "11_train's siamese step: `pair_batch` training pairs, first views then second views, the affinity loss added."
    pool = tr["usable"]
    ps = [pool[i] for i in rng.choice(len(pool), min(A["pair_batch"], len(pool)), replace=False)]
    ks = [(p.house, p.views[0]) for p in ps] + [(p.house, p.views[1]) for p in ps]
    b = object_batch([tr["views"][x] for x in ks], [tr["inputs"][x] for x in ks], tr["bins"]["object_rot"], rng,
                     cap=MAX_ROIS)
    ids = [np.asarray(tr["views"][x]["node_ids"])[kk] for x, kk in zip(ks, b["keep"])]
    return siamese_step(net, b, ids)


# --- the camera branch --------------------------------------------------------------------------------------------

def camera_step(net, tr: dict, rng) -> dict:
    "11_train's camera step: `camera_batch` training pairs, mean image subtracted, the two cross-entropies."
    ps = reverse_some([tr["pairs"][i] for i in rng.choice(len(tr["pairs"]), min(A["camera_batch"], len(tr["pairs"])),
                                                          replace=False)], rng)
    a = torch.stack([tr["cam_imgs"][(p.house, p.views[0])] for p in ps]) - tr["mean_image"]
    b = torch.stack([tr["cam_imgs"][(p.house, p.views[1])] for p in ps]) - tr["mean_image"]
    tb, rb = camera_targets(ps, tr["bins"]["trans"], tr["bins"]["rot"])
    return camera_loss(net(a, b), tb, rb)


def camera_floors(tr: dict, te: dict) -> dict:
    "Always answering the training split's most frequent bin: its top-1 accuracy and its centre's error."
    out, t_true = {}, np.stack([t for _, t in te["poses"]])
    test_bins = camera_targets(te["pairs"], tr["bins"]["trans"], tr["bins"]["rot"])
    train_bins = camera_targets(tr["pairs"], tr["bins"]["trans"], tr["bins"]["rot"])
    for name, tb, trb in zip(("trans", "rot"), test_bins, train_bins):
        top = int(np.bincount(trb.numpy()).argmax())
        out[f"floor_{name}_top1"] = round(float((tb.numpy() == top).mean()), 4)
        out[f"uniform_{name}_top1"] = round(1 / len(tr["centres"][name]), 4)
        if name == "trans":
            err = np.linalg.norm(tr["centres"]["trans"][top][None] - t_true, axis=1)
            out["floor_trans_err_median"] = round(float(np.median(err)), 3)
    return out


def camera_metrics(net, tr: dict, te: dict, floors: dict) -> dict:
    "Top-1 bin accuracy of translation and rotation, and the top-1 translation centre's median error."
    probs = [camera_probs(net, *(te["cam"][k] for k in ks)) for ks in te["keys"]]
    tb, rb = camera_targets(te["pairs"], tr["bins"]["trans"], tr["bins"]["rot"])
    pt, pr = np.array([p[0].argmax() for p in probs]), np.array([p[1].argmax() for p in probs])
    err = np.linalg.norm(tr["centres"]["trans"][pt] - np.stack([t for _, t in te["poses"]]), axis=1)
    acc = lambda pred, true: round(float((pred == true.numpy()).mean()), 4)
    med = round(float(np.median(err)), 3)
    return dict(trans_top1=acc(pt, tb), rot_top1=acc(pr, rb), trans_err_median=med) | floors


# --- the curves ---------------------------------------------------------------------------------------------------

def run(name: str, net, opt, step, metric, steps: int, every: int, first: dict | None = None) -> list:
    "Train `net` for `steps`; the metric at step 0 (`first` when given: the previous stage's end) and every `every`."
    curve, train_s, losses = [], 0.0, []
    for k in range(steps + 1):
        if k % every == 0 or k == steps:
            if k == 0 and first is not None: m, eval_s = first, 0.0
            else:
                t0 = time.time(); net.eval(); m = metric(); net.train(); eval_s = round(time.time() - t0, 1)
            curve.append(dict(step=k, train_s=round(train_s, 1), s_per_step=round(train_s / max(k, 1), 3),
                              eval_s=eval_s, loss=round(float(np.mean(losses)), 4) if losses else None, **m))
            print(name, json.dumps(curve[-1]), flush=True); losses = []
        if k == steps: break
        t0 = time.time()
        opt.zero_grad(); t = step(); t["total"].backward(); opt.step()
        train_s += time.time() - t0; losses.append(float(t["total"].detach()))
    return curve


def metrics_of(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("step", "train_s", "s_per_step", "eval_s", "loss")}


def object_pilot(obj, tr, te, steps, siamese_steps, every, rng) -> dict:
    "box3d then siamese, one Adam for both (11_train)."
    t0 = time.time(); floors = object_floors(tr, te); print(f"object floors in {time.time() - t0:.0f} s", flush=True)
    opt, metric = torch.optim.Adam(obj.parameters(), lr=A["lr"]), lambda: object_metrics(obj, tr, te, floors)
    box3d = run("box3d", obj, opt, lambda: box3d_step(obj, tr, rng), metric, steps, every)
    for g in opt.param_groups: g["lr"] = A.get("siamese_lr", A["lr"])
    siamese = run("siamese", obj, opt, lambda: siamese_train_step(obj, tr, rng), metric, siamese_steps, every,
                  first=metrics_of(box3d[-1]))
    return dict(box3d=box3d, siamese=siamese)


def camera_pilot(cam, tr, te, steps, every, rng) -> dict:
    floors = camera_floors(tr, te)
    opt = camera_optimizer(cam, A["camera_lr"])
    return dict(camera=run("camera", cam, opt, lambda: camera_step(cam, tr, rng),
                           lambda: camera_metrics(cam, tr, te, floors), steps, every))


# --- Tables 1 and 4 at the end (12_scenes) ------------------------------------------------------------------------

def pair_result(obj, cam, tr, te, i, rng) -> dict:
    "12_scenes' `pair_result` for test pair i: the four methods on proposals, the poses on true boxes."
    ks, (H, W), rot = te["keys"][i], (IMAGE[1], IMAGE[0]), tr["centres"]["object_rot"]
    v = [te["views"][k] for k in ks]
    pred = [predict_objects(obj, te["inputs"][k], *te["props"][k], rot, (H, W)) for k in ks]
    gt_box = [predict_objects(obj, te["inputs"][k], x["boxes"], np.ones(len(x["boxes"])), rot, (H, W))
              for k, x in zip(ks, v)]
    pt, pr = camera_probs(cam, *(te["cam"][k] for k in ks))
    hyp = hypotheses(pr, pt, tr["centres"]["rot"], tr["centres"]["trans"])
    out, cache = dict(detections={}, poses={}), {}
    for m in METHODS:
        out["detections"][m] = pair_detections(combine(m, *pred, hyp, rng).objects, te["truth"][i], cache)
    comb = combine("Associative3D", *gt_box, hyp, rng)
    out["poses"] = {"Camera branch (top-1)": (hyp.quat[0], hyp.trans[0]), "Associative3D": (comb.quat, comb.trans)}
    return out


def tables(obj, cam, tr, te) -> dict:
    "Table 1 (x 100), Table 4, and the claims' paired per-pair differences on the pilot's test pairs."
    t0, rng = time.time(), np.random.default_rng(SEED)
    obj.eval(); cam.eval()
    res = [pair_result(obj, cam, tr, te, i, rng) for i in range(len(te["pairs"]))]
    t1 = {m: {c: round(100 * v, 1) for c, v in detection_table([x["detections"][m] for x in res]).items()
              if c in COLS} for m in METHODS}
    ap = {m: np.array([detection_ap([x["detections"][m]["all"]]) for x in res]) for m in METHODS}
    err = {n: np.array([pose_errors(x["poses"][n][0][None], x["poses"][n][1][None], q[None], t[None])[0][0]
                        for x, (q, t) in zip(res, te["poses"])]) for n in res[0]["poses"]}
    rot = {n: np.array([pose_errors(x["poses"][n][0][None], x["poses"][n][1][None], q[None], t[None])[1][0]
                        for x, (q, t) in zip(res, te["poses"])]) for n in res[0]["poses"]}
    claims = {f"Associative3D vs {b}": stats.paired(ap["Associative3D"], ap[b], lower_is_better=False)
              for b in METHODS[:3]}
    claims["translation error: stitched vs top-1"] = stats.paired(err["Associative3D"], err["Camera branch (top-1)"])
    return dict(seconds=round(time.time() - t0, 1), pairs=len(res), table1=t1,
                table4={n: {k: round(v, 3) for k, v in pose_summary(err[n], rot[n]).items()} for n in err},
                claims={k: dict(diff=round(c.diff, 4), se=round(c.se, 4), verdict=c.verdict)
                        for k, c in claims.items()})


# --- main and the results -----------------------------------------------------------------------------------------

PILOTS = ("object", "camera")
FLAGS, VALUED = ("--tiny", "--tables", "--plot"), ("--only", "--siamese-steps", "--camera-steps", "--houses",
                                                  "--max-pairs", "--views", "--train-share", "--lr", "--camera-lr",
                                                  "--name", "--width", "--fine", "--init", "--ae", "--siamese-lr",
                                                  "--pair-batch", "--batch-size")


def main(argv):
    opt = lambda flag, default: argv[argv.index(flag) + 1] if flag in argv else default
    name = opt("--name", "pilot_associative3d")
    if "--plot" in argv: return write_results(json.loads((OUT/f"{name}.json").read_text()), name)
    tiny = "--tiny" in argv
    only = opt("--only", ",".join(PILOTS)).split(",")
    if set(only) - set(PILOTS): raise SystemExit(f"--only: unknown branch in {only}; known: {', '.join(PILOTS)}")
    houses, max_pairs = int(opt("--houses", 8 if tiny else 60)), int(opt("--max-pairs", 3 if tiny else 60))
    pos = [a for i, a in enumerate(argv) if a not in FLAGS + VALUED and (i == 0 or argv[i - 1] not in VALUED)]
    steps, every = (int(pos[0]) if pos else (4 if tiny else 1500)), (int(pos[1]) if len(pos) > 1 else
                                                                      (2 if tiny else 250))
    siamese_steps, camera_steps = int(opt("--siamese-steps", steps)), int(opt("--camera-steps", steps))
    views, share = int(opt("--views", 5)), float(opt("--train-share", 0.5))
    if not 0 < share < 1: raise SystemExit(f"--train-share: a share in (0, 1), got {share}")
    A.update(lr=float(opt("--lr", A["lr"])), camera_lr=float(opt("--camera-lr", A["camera_lr"])))
    A.update(siamese_lr=float(opt("--siamese-lr", A["lr"])), pair_batch=int(opt("--pair-batch", A["pair_batch"])),
             batch_size=int(opt("--batch-size", A["batch_size"])))
    sizes_from({k: opt(f"--{k}", None) for k in ("width", "fine") if f"--{k}" in argv})
    root = data(tiny, houses, views, share)
    tr = training_set(root); te = test_set(root, tr, max_pairs)
    rng, curves = np.random.default_rng(SEED), {}
    with use_seed(SEED):             # 11_train: both networks' initial weights, then the object and camera stages
        obj = ObjectBranch(A["coarse_hw"], A["width"], A["nz"], len(tr["centres"]["object_rot"]), 32)
        start_from(obj, opt("--init", ""))
        if int(opt("--ae", 0)): obj.set_shape_autoencoder(shape_space(tr, int(opt("--ae", 0))))
        cam = CameraBranch(A["camera_width"], 128, len(tr["centres"]["trans"]), len(tr["centres"]["rot"]))
        if "object" in only: obj.train(); curves |= object_pilot(obj, tr, te, steps, siamese_steps, every, rng)
        if "camera" in only: cam.train(); curves |= camera_pilot(cam, tr, te, camera_steps, every, rng)
        if "--tables" in argv:
            if set(only) != set(PILOTS): raise SystemExit("--tables needs both branches trained in this run")
            curves["tables"] = tables(obj, cam, tr, te); print("tables", json.dumps(curves["tables"]), flush=True)
    if tiny: return
    curves["config"] = dict(houses=houses, views=views, train_share=share, test_pairs=len(te["pairs"]),
                            init=opt("--init", ""), ae_steps=int(opt("--ae", 0)),
                            train_pairs=len(tr["pairs"]), steps=steps, siamese_steps=siamese_steps,
                            camera_steps=camera_steps, eval_every=every, data_seed=DATA_SEED, seed=SEED) | A
    saved = OUT/f"{name}.json"
    write_results((json.loads(saved.read_text()) if saved.exists() else {}) | curves, name)


def write_results(res: dict, name: str) -> None:
    "The curves as JSON, a table (markdown) and a figure (one panel per stage; floors dashed)."
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT/f"{name}.json").write_text(json.dumps(res, indent=1))
    stages = [s for s in ("box3d", "siamese", "camera") if s in res]
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(stages), figsize=(4.5 * len(stages), 3.5), squeeze=False)
    for ax, stage in zip(axes[0], stages):
        c, x = res[stage], [r["step"] for r in res[stage]]
        keys = ["ap_all", "floor_random_all", "floor_mean_all", "affinity_auroc"] if stage != "camera" else \
            ["trans_top1", "floor_trans_top1", "rot_top1", "floor_rot_top1"]
        for k in keys:
            ax.plot(x, [r[k] for r in c], ls="--" if k.startswith("floor") else "-", marker=".", label=k)
        if stage != "camera": ax.axhline(0.5, color="gray", lw=0.6, ls=":")
        ax.set(title=stage, xlabel="step", ylim=(0, 1)); ax.legend(fontsize=7)
    fig.tight_layout(); fig.savefig(OUT/f"{name}.png", dpi=110)
    rows = ["| stage | step | train s | s/step | eval s | loss | metrics |", "|---|---|---|---|---|---|---|"]
    for stage in stages:
        for r in res[stage]:
            m = ", ".join(f"{k} {v}" for k, v in metrics_of(r).items())
            rows.append(f"| {stage} | {r['step']} | {r['train_s']} | {r['s_per_step']} | {r['eval_s']} | {r['loss']} "
                        f"| {m} |")
    if "tables" in res: rows += ["", "```", json.dumps(res["tables"], indent=1), "```"]
    (OUT/f"{name}.md").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
