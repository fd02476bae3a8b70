"""Pilot for the Semantic Transfer companion: one seed, each network's curve against its floor, to choose the budget
of `small` before any claim is evaluated.

    python benchmarks/pilot_semantic_transfer.py [steps] [eval_every] [--tiny] [--only NAME[,NAME]]
        [--embedding-lr LR] [--embedding-batch B] [--white]

Writes the data once under build/pilot_semantic_transfer/data (chairs: 40 training shapes x 20 views at 64 px,
32^3 voxels; 20 unseen test shapes; 20 real SweetHome3D chairs for Pix3D) and, per network, the loss and the metric
that decides its learning bar at every `eval_every` steps (step 0 is the untrained network):

- sketch and viewpoint network (RGB -> 2.5D sketches, azimuth/elevation bins): validation views within 30 deg,
  against chance for the same elevations, and its silhouette's IoU on the Pix3D photographs (cropped as the cycle
  crops them) against the renders' mean silhouette; trained over random backgrounds (09_train's
  `with_backgrounds`, share 0.75); `--white` trains on the white renders alone (curve `sketch_white`);
- voxel network on true sketches: validation voxel IoU at 0.5, against the mean training shape's IoU;
- embedding network: share of test models' keypoints transferred within 0.05 and 0.1 (unit cube) from the training
  database, against the same with the mean keypoint position as the database ("where keypoints usually are");
  another learning rate or batch than 1e-3 and 8 is kept as its own curve (`embedding_lr<LR>_batch<B>`);
- direct matcher on SPair-71k's trn pairs (training shapes in cluttered images): PCK@0.1 (box) on the SPair-like
  test pairs, against the identity floor. (Trained on pairs of the clean renders instead, its curve is kept in the
  results as `matcher_on_renders`: it never rose above the identity floor.)

`--only` reruns the named networks and keeps the other curves of the results file; `--plot` redraws the results.
Results: benchmarks/results/pilot_semantic_transfer.{json,md,png}.
"""
import json, shutil, sys, time
from pathlib import Path
import numpy as np
import torch

from paper_kit.semantic_transfer.data import DataConfig, make_datasets
from paper_kit.semantic_transfer.networks import SketchNet, VoxelNet
from paper_kit.semantic_transfer.embedding import PointNetEmbedding, keypoint_embeddings, keypoint_database, \
    transfer_keypoints
from paper_kit.semantic_transfer.baseline import HyperpixelNet
from paper_kit.semantic_transfer.train import view_tensors, collate, keypointnet_batch, sketch_step, voxel_step, \
    embedding_step, matcher_step, pair_items, matcher_batch, with_backgrounds, VIEW_KEYS, BG_SHARE
from paper_kit.semantic_transfer.networks import SCALE_25D
from paper_kit.semantic_transfer.cycle import sketch_mask
from paper_kit.semantic_transfer.viewpoint import from_bins, direction_error, chance_within, AZIMUTH_RANGE, \
    ELEVATION_RANGE
from paper_kit.semantic_transfer.reconstruct import voxel_iou
from paper_kit.semantic_transfer.evaluate import predict_matcher, predict_identity, evaluate, pix3d_crops, mask_iou
from paper_kit.geometry.shapehd import read_shapehd, load_view
from paper_kit.geometry.keypointnet import load_keypointnet, normalise_to_unit_cube
from paper_kit.geometry.pairs import read_spair

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/"benchmarks"/"results"


def data(tiny: bool) -> Path:
    root = ROOT/"build"/("pilot_semantic_transfer_tiny" if tiny else "pilot_semantic_transfer")/"data"
    trn = root/"spair"/"Layout"/"large"/"trn.txt"
    if not (trn.exists() and len(trn.read_text().split()) >= (8 if tiny else 1200)):  # none, or an older layout
        shutil.rmtree(root, ignore_errors=True)
        cfg = DataConfig(n_train=3, n_val=1, n_test=3, views=4, size=64, res=16, pix3d_models=1, pairs=4,
                         train_pairs=8) if tiny \
            else DataConfig(n_train=40, n_val=5, n_test=20, views=20, size=64, res=32, pix3d_models=20, pairs=100,
                            train_pairs=1200, train_views=8)
        t0 = time.time(); print("writing the data:", make_datasets(root, cfg), f"{time.time() - t0:.0f} s")
    return root


def views(root: Path, split: str) -> dict:
    return collate([view_tensors(load_view(s)) for s in read_shapehd(root/"shapehd", split, requires=VIEW_KEYS)])


def run(name, net, step, metric, steps, every, lr=1e-3):
    "Train `net` with Adam; the metric (and the loss) at step 0 and every `every` steps."
    opt, curve, t0 = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr), [], time.time()
    for k in range(steps + 1):
        if k % every == 0 or k == steps:
            net.eval(); m = metric(); net.train()
            curve.append(dict(step=k, seconds=round(time.time() - t0, 1), **m))
            print(name, curve[-1], flush=True)
        if k == steps: break
        opt.zero_grad(); loss = step()["total"]; loss.backward(); opt.step()
    return curve


def sketch_pilot(root, train, val, steps, every, rng, share=BG_SHARE):
    net = SketchNet(16)
    chance = chance_within(val["elevation"].numpy())
    photos, masks = pix3d_crops(root/"pix3d", val["rgb"].shape[-1])
    mean_sil = ((train["silhou"] / SCALE_25D).mean(0)[0] > 0.5).numpy()
    floor_sil = float(mask_iou(np.broadcast_to(mean_sil, masks.shape), masks).mean())
    def step():
        i = rng.choice(len(train["rgb"]), min(16, len(train["rgb"])), replace=False)
        return sketch_step(net, with_backgrounds({k: v[i] for k, v in train.items()}, rng, share))
    def metric():
        with torch.no_grad(): out, sil = net(val["rgb"]), net(photos)["silhou"][:, 0]
        az = from_bins(out["azimuth"].exp().double(), AZIMUTH_RANGE, True)
        el = from_bins(out["elevation"].exp().double(), ELEVATION_RANGE, False)
        err = direction_error(az, el, val["azimuth"], val["elevation"])
        pred = sketch_mask(sil).numpy()
        return dict(within30=float((err <= 30).double().mean()), chance=round(chance, 3),
                    pix3d_silhouette_iou=float(mask_iou(pred, masks).mean()),
                    floor_mean_silhouette=round(floor_sil, 3),
                    pix3d_mask_share=float(pred.mean()), true_mask_share=round(float(masks.mean()), 3),
                    median_deg=float(err.median()))
    return run("sketch" if share else "sketch_white", net, step, metric, steps, every)


def voxel_pilot(train, val, steps, every, rng):
    net = VoxelNet(16, res=train["voxel"].shape[-1])
    floor = float(voxel_iou(train["voxel"].mean(0, keepdim=True).expand_as(val["voxel"]), val["voxel"]).mean())
    def step():
        i = rng.choice(len(train["rgb"]), min(16, len(train["rgb"])), replace=False)
        return voxel_step(net, {k: v[i] for k, v in train.items()})
    def metric():
        with torch.no_grad(): p = torch.sigmoid(net(val["depth"], val["normal"], val["silhou"]))
        return dict(iou=float(voxel_iou(p, val["voxel"]).mean()), floor_mean_shape=round(floor, 3))
    return run("voxel", net, step, metric, steps, every)


def embedding_pilot(root, steps, every, rng, lr=1e-3, batch=8):
    train, test = load_keypointnet(root/"kpnet", "chair", "train"), load_keypointnet(root/"kpnet", "chair", "test")
    clouds, labels = keypointnet_batch(train)
    tc, tl = keypointnet_batch(test)
    net = PointNetEmbedding(width=0.25)
    truth = [normalise_to_unit_cube(m.points)[np.clip(m.labels, 0, None)] for m in test]
    kp = np.stack([np.where((m.labels >= 0)[:, None], normalise_to_unit_cube(m.points)[np.clip(m.labels, 0, None)],
                            np.nan) for m in train])
    mean_kp = np.nanmean(kp, 0)                                     # where each keypoint usually is
    def hits(pred, radius):
        ok = [(np.linalg.norm(p - t, axis=1) < radius)[m.labels >= 0] for p, t, m in zip(pred, truth, test)]
        return float(np.mean(np.concatenate(ok)))
    at_mean = [tc[i].numpy()[np.argmin(((tc[i].numpy()[None] - mean_kp[:, None]) ** 2).sum(-1), 1)]
               for i in range(len(test))]
    def step():
        i = rng.choice(len(train), min(batch, len(train)), replace=False)
        return embedding_step(net, clouds[i], labels[i])
    def metric():
        with torch.no_grad():
            e, ids = keypoint_embeddings(net(clouds), labels)
            db = keypoint_database(e, ids, labels.shape[1])
            te = net(tc)
        pred = [transfer_keypoints(tc[i].numpy(), te[i], db)[0] for i in range(len(test))]
        return dict(within_0_05=hits(pred, 0.05), floor_0_05=round(hits(at_mean, 0.05), 3),
                    within_0_1=hits(pred, 0.1), floor_0_1=round(hits(at_mean, 0.1), 3))
    return run("embedding", net, step, metric, steps, every, lr=lr)


def matcher_pilot(root, steps, every, rng, size=(64, 48)):
    n_ids = keypointnet_batch(load_keypointnet(root/"kpnet", "chair", "train")[:1])[1].shape[1]
    items = pair_items(read_spair(root/"spair", "trn"), size, n_ids)
    pairs = read_spair(root/"spair", "test")
    net = HyperpixelNet(16)
    floor = evaluate([predict_identity(p) for p in pairs], pairs)
    def step(): return matcher_step(net, matcher_batch(items, 8, rng), size)
    def metric():
        e = evaluate([predict_matcher(net, p, size) for p in pairs], pairs)
        return dict(pck_img=e["img"].value, floor_identity_img=round(floor["img"].value, 3),
                    pck_bbox=e["bbox"].value, floor_identity_bbox=round(floor["bbox"].value, 3))
    return run("matcher", net, step, metric, steps, every)


PILOTS = ("sketch", "voxel", "embedding", "matcher")

def main(argv):
    if "--plot" in argv: return write_results(json.loads((OUT/"pilot_semantic_transfer.json").read_text()))
    tiny = "--tiny" in argv
    opt = lambda flag, default: argv[argv.index(flag) + 1] if flag in argv else default
    only = opt("--only", ",".join(PILOTS)).split(",")
    lr, batch = float(opt("--embedding-lr", 1e-3)), int(opt("--embedding-batch", 8))
    white = "--white" in argv
    flags = ("--tiny", "--white", "--only", "--embedding-lr", "--embedding-batch")
    valued = ("--only", "--embedding-lr", "--embedding-batch")
    argv = [a for i, a in enumerate(argv) if a not in flags and (i == 0 or argv[i - 1] not in valued)]
    steps, every = (int(argv[0]) if argv else 1500), (int(argv[1]) if len(argv) > 1 else 250)
    root, rng = data(tiny), np.random.default_rng(0)
    torch.manual_seed(0)
    saved = OUT/"pilot_semantic_transfer.json"
    curves = json.loads(saved.read_text()) if saved.exists() and not tiny else {}
    if {"sketch", "voxel"} & set(only): train, val = views(root, "train"), views(root, "vali")
    made = []                                                       # the curves this run measured
    for name in only:
        made.append(name)
        if name == "sketch":
            made[-1] = "sketch_white" if white else "sketch"
            curves[made[-1]] = sketch_pilot(root, train, val, steps, every, rng, 0.0 if white else BG_SHARE)
        elif name == "voxel": curves[name] = voxel_pilot(train, val, steps, every, rng)
        elif name == "embedding":
            made[-1] = name + ("" if (lr, batch) == (1e-3, 8) else f"_lr{lr:g}_batch{batch}")
            curves[made[-1]] = embedding_pilot(root, steps, every, rng, lr, batch)
        elif name == "matcher": curves[name] = matcher_pilot(root, steps, every, rng)
        else: raise SystemExit(f"--only: unknown network {name!r}; known: {', '.join(PILOTS)}")
    if tiny: return
    done = {k: curves[k] for k in made}
    write_results((json.loads(saved.read_text()) if saved.exists() else {}) | done)  # keep runs that ended meanwhile


def write_results(curves: dict) -> None:
    "The curves as JSON, a table (markdown) and a figure (shares on the left axis, degrees on the right)."
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT/"pilot_semantic_transfer.json").write_text(json.dumps(curves, indent=1))
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(curves), figsize=(3.8 * len(curves), 3.2))
    for ax, (name, c) in zip(axes, curves.items()):
        steps = [r["step"] for r in c]
        for k in [k for k in c[0] if k not in ("step", "seconds")]:
            if k.endswith("_deg"):
                tw = ax.twinx(); tw.plot(steps, [r[k] for r in c], "k--", lw=0.8); tw.set_ylabel(k, fontsize=7)
            else: ax.plot(steps, [r[k] for r in c], marker=".", label=k)
        ax.set(title=name, xlabel="step"); ax.legend(fontsize=7)
    fig.tight_layout(); fig.savefig(OUT/"pilot_semantic_transfer.png", dpi=110)
    rows = ["| network | step | seconds | metric | floor |", "|---|---|---|---|---|"]
    for name, c in curves.items():
        for r in c:
            vals = [f"{k} {v:.3f}" for k, v in r.items() if k not in ("step", "seconds")]
            rows.append(f"| {name} | {r['step']} | {r['seconds']} | {vals[0]} | {', '.join(vals[1:])} |")
    (OUT/"pilot_semantic_transfer.md").write_text("\n".join(rows) + "\n")

if __name__ == "__main__":
    main(sys.argv[1:])
