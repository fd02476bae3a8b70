"""UNICORN on cars, one seed: the overfit test of the whole pipeline, and the pilot that chooses `small`'s budget.

    python benchmarks/pilot_unicorn.py prepare [--category chair]  # the pilot's collection (its own seed, once)
    OMP_NUM_THREADS=1 python benchmarks/pilot_unicorn.py overfit [--overfit-size 64 --overfit-width 16] &
    OMP_NUM_THREADS=1 python benchmarks/pilot_unicorn.py overfit --overfit-reference  # the supervised control
    OMP_NUM_THREADS=1 python benchmarks/pilot_unicorn.py overfit --overfit-true-poses  # UNICORN at the true poses
    OMP_NUM_THREADS=1 python benchmarks/pilot_unicorn.py overfit --overfit-epochs 84 --save-model /tmp/of84.pt
    python benchmarks/pilot_unicorn.py poses --overfit-epochs 84 --save-model /tmp/of84.pt  # where its poses fail
    python benchmarks/pilot_unicorn.py floors --overfit-epochs 84 --save-model /tmp/of84.pt # every image vs floors
    python benchmarks/pilot_unicorn.py overfit --device cuda --eval-every 6 --overfit-size 64 --overfit-width 16
    OMP_NUM_THREADS=1 python benchmarks/pilot_unicorn.py pilot; wait
    python benchmarks/pilot_unicorn.py report                   # results/pilot_unicorn.{md,png}

`overfit` trains UNICORN on a few hundred images (every view of a few training cars) and scores it on those same
images: the proof that the pipeline can learn at all, whatever the budget; `--overfit-true-poses` trains UNICORN's
shape and texture with every pose set to the true one (is the pose what stops the overfit?), and `poses` reads a
saved overfit model's per-image pose errors (are the wrong ones front-back flips?), and `floors` scores a saved one on
every one of its training images beside its floors, paired image by image. `pilot` trains UNICORN and the
supervised reference on the pilot's training split for `small`'s architecture and scores them on its test split (a
collection drawn from another seed than `small`'s, so the budget is never chosen on `small`'s test objects) every
epoch: the curve from which `small`'s budget is chosen. UNICORN's schedule (progressive milestones, freezes,
learning-rate drop) is scaled to the whole run, so an intermediate point is a snapshot of that run, not a shorter run.

Every evaluation scores what `12_shapenet` scores (`experiment.score_objects`: Chamfer-L1 x10 after rigid ICP and
after unit-cube normalisation plus anisotropic ICP), beside the two floors: the oracle (the medoid training cloud at
the true pose and scale, `score_floor`) and the template placed by the network's own predicted pose
(`score_template_floor`: what UNICORN scores if its shape branch learns nothing), and the pose accuracy (rotation
error under 30 degrees, after the one global rotation that best maps the learned canonical frame to the true one;
its chance level is the same statistic with the predictions shuffled across images). With `--device cuda` UNICORN
trains on the GPU and a copy of it is scored on the CPU, as `12_shapenet` scores; `--eval-every` thins the scoring.
"""
import argparse, copy, json, sys, time
from pathlib import Path
import pandas as pd
import roma, torch, yaml
from paper_kit.kit.config import use_seed
from paper_kit.geometry import collections as C
from paper_kit.geometry.metrics import geodesic_rotation_error
from paper_kit.unicorn.model import Poses, Unicorn, scaled_lr_drop
from paper_kit.unicorn.train import train, step_state, shape_step_losses
from paper_kit.unicorn.losses import PerceptualLoss
from paper_kit.unicorn.template import PRIOR_T, unicorn_camera
from paper_kit.unicorn.reference import reference_net, train_reference
from paper_kit.unicorn.standins import shapenet_colors
from paper_kit.unicorn.evaluate import shape_scores, to_gt_frame
from paper_kit.unicorn.experiment import (FILE_SIZE, load_training_set, load_test_set, predict_in_gt_frame,
                                          score_objects, score_floor, score_template_floor, unicorn_config,
                                          mean_shape, _subsample)
from paper_kit.kit.stats import paired

RESULTS = Path(__file__).parent/"results"
PAPER_YML = Path(__file__).parents[1]/"nbs"/"papers"/"unicorn"/"paper.yml"
SMALL = yaml.safe_load(PAPER_YML.read_text())["profiles"]["small"]
ARCH = {k: SMALL["11_train"][k] for k in ("size", "width", "field_units", "faces_per_pixel", "batch_size")}
SCORE = dict(n_points=SMALL["12_shapenet"]["metric_points"], fit_points=SMALL["12_shapenet"]["fit_points"])
COLS = ["chamfer_l1_icp", "chamfer_l1_icp_aniso"]
# runs scored before the pose fit took the best of the chordal-mean frame and each image's own (402bf93): their pose
# accuracy and its chance are the older statistic (one chordal-mean frame), lower and at times 0; compare within a run
OLDER_POSE_FIT = {"overfit", "overfit6"}


def lit_colors(shape, seed: int):           # (F, 3)
    """`shapenet_colors` with lamps: the front tenth of the model's length (+z, where the car builder puts its nose)
    pale yellow, the rear tenth red; a cue to front and back that the stand-in's cars otherwise barely have."""
    c = shapenet_colors(shape, seed)
    z = shape.mesh.triangles_center[:, 2]
    lo, hi = shape.mesh.bounds[:, 2]
    c[z > hi - 0.1 * (hi - lo)], c[z < lo + 0.1 * (hi - lo)] = (1.0, 0.95, 0.6), (0.8, 0.1, 0.1)
    return c


def prepare(a):
    "Write the pilot's car collection (70/10/20 split, NMR's 24 views) from its own seed."
    t0 = time.time()
    C.make_nmr_collection(a.data, a.category, a.models, seed=a.seed, size=64, n_points=30_000,
                          colors=lit_colors if a.lights else shapenet_colors, verbose=False)
    print(f"{a.models} {a.category} models in {time.time() - t0:.0f} s")


def overfit_split(train: dict, n_models: int, seed: int = 0) -> tuple[torch.Tensor, dict]:
    "The first n training models' every view (the images trained on) and one view of each of them (scored)."
    views = torch.randint(0, C.NMR_VIEWS, (n_models,), generator=torch.Generator().manual_seed(seed))
    pick = lambda k: train[k][torch.arange(n_models), views]
    return train["images"][:n_models].flatten(0, 1), dict(view=views, R=pick("R"), T=pick("T"), K=pick("K"),
                                                          image=pick("images").float() / 255)


def training_clouds(root, category: str, models: list[str], test: dict) -> dict:
    "`test` completed with the ground-truth clouds of `models` (for scoring training images)."
    ds = C.NMRDataset(root, category, "train", per_view=False, image_size=FILE_SIZE)
    idx = [ds.models.index(m) for m in models]
    items = [ds[i] for i in idx]
    return test | dict(models=models, points=[x["points"] for x in items], normals=[x["normals"] for x in items])


def best_frame(R_pred: torch.Tensor, R_gt: torch.Tensor, within: float = 30.0) -> torch.Tensor: # (3, 3)
    """The global frame rotation Q (R_gt ~ R Q) that puts the most images within `within` degrees. The candidates
    are each image's own frame and their chordal mean: a consensus, since the mean alone falls between the modes
    when part of the predictions is flipped front to back."""
    frames = R_pred.transpose(1, 2) @ R_gt                                             # (N, 3, 3) per-image frames
    mean = roma.special_procrustes(frames.sum(0).double()).to(R_pred)
    hits = lambda Q: float((geodesic_rotation_error(R_pred @ Q, R_gt, check=False) < within).float().mean())
    return max([mean, *frames], key=hits)


def pose_accuracy(R_pred: torch.Tensor, R_gt: torch.Tensor, within: float = 30.0) -> float:
    "Share of images whose rotation is within `within` degrees, after the `best_frame`."
    Q = best_frame(R_pred, R_gt, within)
    return float((geodesic_rotation_error(R_pred @ Q, R_gt, check=False) < within).float().mean())


@torch.no_grad()
def predicted_cameras(net: Unicorn, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: # (N, 3, 3), (N, 3)
    "The network's best pose hypothesis of each image as a camera R, T in the toolkit's convention."
    Rs, Ts = [], []
    for s in range(0, len(images), 64):
        R, T, _ = unicorn_camera(*net(images[s:s + 64]).best(), images.shape[-1])
        Rs.append(R); Ts.append(T)
    return torch.cat(Rs), torch.cat(Ts)


def predicted_rotations(net: Unicorn, images: torch.Tensor) -> torch.Tensor: # (N, 3, 3), the toolkit's convention
    return predicted_cameras(net, images)[0]


def evaluate(net: Unicorn, method: str, test: dict, floors: dict | None = None) -> dict:
    "Mean scores of `net` on `test`, its template-at-predicted-pose floor, pose accuracy and its shuffled chance."
    net.eval()
    verts = predict_in_gt_frame(net, method, test)
    row = score_objects(verts, net.faces, test, SCORE["n_points"], fit_points=SCORE["fit_points"])[COLS].mean()
    out = {k: float(v) for k, v in row.items()}
    if method != "Reference":
        tf = score_template_floor(net, test, SCORE["n_points"], fit_points=SCORE["fit_points"])[COLS].mean()
        out |= {f"template_{k}": float(v) for k, v in tf.items()}
        R = predicted_rotations(net, test["image"])
        perm = torch.randperm(len(R), generator=torch.Generator().manual_seed(0))
        out |= dict(pose_acc30=pose_accuracy(R, test["R"]), pose_chance30=pose_accuracy(R[perm], test["R"]))
    net.train()
    return out | (floors or {})


def oracle_floor(root, category: str, test: dict) -> dict:
    "The oracle mean shape's mean scores on `test` (the medoid training model at the true pose and scale)."
    fl = score_floor(root, category, test, SCORE["n_points"], fit_points=SCORE["fit_points"])[COLS].mean()
    return {f"oracle_{k}": float(v) for k, v in fl.items()}


def run_unicorn(a, name: str, images: torch.Tensor, test: dict, epochs: int, lr: float, out: Path, arch=ARCH):
    "Train UNICORN for `epochs` on `images`, scoring on `test` before training and after each epoch; rows to `out`."
    floors = oracle_floor(a.data, a.category, test)
    cfg = unicorn_config("Ours", epochs, size=arch["size"], width=arch["width"], field_units=arch["field_units"])
    with use_seed(1): net = Unicorn(**cfg).to(a.device)
    rows, t0 = [], time.time()
    steps_per_epoch = len(images) // arch["batch_size"]

    def log(e, model):
        if (e + 1) % a.eval_every and e + 1 != epochs: return
        scored = model if a.device == "cpu" else copy.deepcopy(model).cpu()   # scored on the CPU, as 12_shapenet
        rows.append(dict(run=name, epoch=e + 1, steps=(e + 1) * steps_per_epoch, train_s=round(time.time() - t0, 1),
                         **evaluate(scored, "Ours", test, floors)))
        print(json.dumps(rows[-1]), flush=True)
        out.write_text(json.dumps(rows, indent=1))
        if a.save_model and e + 1 == epochs: torch.save(scored.state_dict(), a.save_model)

    log(-1, net)
    perc = PerceptualLoss(seed=1).to(a.device) if a.perceptual else None      # random weights: none can be fetched
    train(net, images.to(a.device), epochs=epochs, batch_size=arch["batch_size"], lr=lr, seed=1, perceptual=perc,
          lr_drop=scaled_lr_drop("shapenet", epochs), faces_per_pixel=arch["faces_per_pixel"], on_epoch_end=log)


def overfit(a):
    "UNICORN trained and scored on the same few hundred images (small's architecture unless --overfit-size/width)."
    arch = ARCH | dict(size=a.overfit_size, width=a.overfit_width, field_units=a.overfit_field_units)
    tr = load_training_set(a.data, a.category, arch["size"])
    images, test = overfit_split(tr, a.overfit_models)
    test = training_clouds(a.data, a.category, tr["models"][:a.overfit_models], test)
    print(f"overfit: {len(images)} images of {a.overfit_models} {a.category} models, {a.overfit_epochs} epochs at lr "
          f"{a.overfit_lr}, "
          f"{arch}")
    name = "overfit" + ("" if a.category == "car" else f"_{a.category}") + \
        ("" if a.overfit_models == 12 else str(a.overfit_models)) + \
        "".join(f"_{k}{arch[k]}" for k in ("size", "width", "field_units") if arch[k] != ARCH[k]) + \
        ("" if a.overfit_epochs == 60 else f"_{a.overfit_epochs}epochs") + \
        ("_true_poses" if a.overfit_true_poses else "") + (f"_{a.tag}" if a.tag else "")
    if a.overfit_true_poses: return overfit_true_poses(a, name, tr, test, arch)
    if a.overfit_reference:           # the control: can this architecture, supervised, go below the oracle here?
        sub = {k: tr[k][:a.overfit_models] for k in ("images", "masks", "R", "T", "K")}
        reference_curve(a, sub, test, oracle_floor(a.data, a.category, test),
                        RESULTS/f"pilot_unicorn_{name}_reference.json", run=f"{name} reference", arch=arch)
        return
    run_unicorn(a, name, images, test, a.overfit_epochs, a.overfit_lr, RESULTS/f"pilot_unicorn_{name}.json", arch)


def unicorn_pose(R: torch.Tensor, T: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: # (B, 3, 3), (B, 3)
    "UNICORN's (R, T) of a true camera (the toolkit's world-to-camera R, T): `unicorn_camera` inverted."
    D = torch.tensor([-1.0, -1.0, 1.0])
    return (D[:, None] * R).transpose(1, 2), D * T - torch.tensor(PRIOR_T)


def evaluate_true_poses(net: Unicorn, test: dict, floors: dict) -> dict:
    "Mean scores of a network trained at the true poses: its meshes are in the true object frame as they come."
    net.eval()
    with torch.no_grad(): verts = net(test["image"]).verts
    sc = lambda v: score_objects(v, net.faces, test, SCORE["n_points"], fit_points=SCORE["fit_points"])[COLS].mean()
    out = {k: float(v) for k, v in sc(verts).items()}
    out |= {f"template_{k}": float(v) for k, v in sc(net.template_verts.expand_as(verts)).items()}
    net.train()
    return out | floors


def true_pose_step(net: Unicorn, st, imgs: torch.Tensor, R: torch.Tensor, T: torch.Tensor):
    "One 3D step of UNICORN on images (B, 3, H, W) in [0, 1] with every pose set to its true camera R, T."
    avg = net.average_textures(st.generator)
    p = net(imgs, avg, st.generator)
    Ru, Tu = unicorn_pose(R, T)
    p.poses = Poses(p.poses.angles[:1], Ru[None], Tu[None], torch.ones(1, len(imgs)))
    st.optimizer.zero_grad(set_to_none=True)
    shape_step_losses(net, p, imgs, st, avg)["total"].backward()
    st.optimizer.step()


def overfit_true_poses(a, name: str, tr: dict, test: dict, arch: dict, eval_every: int = 6):
    """The diagnostic: UNICORN's shape and texture branches trained by their own 3D step (rendered RGB against the
    image, the mesh regularisers; no swap loss, whose neighbours' poses come from the pose head) with every pose set
    to the true one, on the overfit images: does the RGB reconstruction alone reach the oracle once poses are right?
    The schedule (progressive codes, learning-rate drop) is the UNICORN run's of the same length."""
    n, epochs, bs = a.overfit_models, a.overfit_epochs, arch["batch_size"]
    images, R, T = (tr[k][:n].flatten(0, 1) for k in ("images", "R", "T"))
    floors = oracle_floor(a.data, a.category, test)
    cfg = unicorn_config("Ours", epochs, size=arch["size"], width=arch["width"], field_units=arch["field_units"])
    with use_seed(1): net = Unicorn(**cfg)
    st = step_state(net, a.overfit_lr, 1, None, arch["faces_per_pixel"])
    st.weights["swap"] = 0.0
    lr_drop, rows, t0 = scaled_lr_drop("shapenet", epochs), [], time.time()
    shuffle, n_b = torch.Generator().manual_seed(1), len(images) // bs

    def log(e):
        rows.append(dict(run=name, epoch=e + 1, steps=(e + 1) * n_b, train_s=round(time.time() - t0, 1),
                         **evaluate_true_poses(net, test, floors)))
        print(json.dumps(rows[-1]), flush=True)
        (RESULTS/f"pilot_unicorn_{name}.json").write_text(json.dumps(rows, indent=1))

    log(-1)
    for e in range(epochs):
        order = torch.randperm(len(images), generator=shuffle)
        for b in range(n_b):
            net.set_epoch(e + b / n_b)
            for g in st.optimizer.param_groups: g["lr"] = a.overfit_lr * (0.2 if e + b / n_b >= lr_drop else 1.0)
            i = order[b * bs:(b + 1) * bs]
            true_pose_step(net, st, images[i].float() / 255, R[i], T[i])
        if (e + 1) % eval_every == 0 or e == epochs - 1: log(e)


def pose_modes(a):
    """Where a trained overfit model's poses go wrong: every training image's rotation error after the best global
    frame (as `pose_accuracy`), its histogram, the share of each of NMR's 24 views off by more than 90 degrees and
    the mean |axis| of those errors; to results/pilot_unicorn_poses_<model file stem>[_<tag>].json."""
    arch = ARCH | dict(size=a.overfit_size, width=a.overfit_width, field_units=a.overfit_field_units)
    tr, n = load_training_set(a.data, a.category, arch["size"]), a.overfit_models
    images, R_gt = tr["images"][:n].flatten(0, 1).float() / 255, tr["R"][:n].flatten(0, 1)
    cfg = unicorn_config("Ours", a.overfit_epochs, size=arch["size"], width=arch["width"],
                         field_units=arch["field_units"])
    net = Unicorn(**cfg); net.load_state_dict(torch.load(a.save_model)); net.set_epoch(a.overfit_epochs).eval()
    R = predicted_rotations(net, images)
    Q = best_frame(R, R_gt)
    err = geodesic_rotation_error(R @ Q, R_gt, check=False)
    off = err > 90
    axis = roma.rotmat_to_rotvec(((R @ Q).transpose(1, 2) @ R_gt)[off].double())
    axis = (axis / axis.norm(dim=1, keepdim=True)).abs().mean(0)
    out = dict(data=a.data.name, model=a.save_model.name, epochs=a.overfit_epochs, images=len(err),
               within_30=int((err < 30).sum()), off_90=int(off.sum()),
               histogram_30deg=torch.histc(err, bins=6, min=0, max=180).int().tolist(),
               off_share_by_view=[round(float(x), 2) for x in off.reshape(n, -1).float().mean(0)],
               off_mean_abs_axis_xyz=[round(float(x), 3) for x in axis])
    (RESULTS/f"pilot_unicorn_poses_{a.save_model.stem}{'_' + a.tag if a.tag else ''}.json").write_text(
        json.dumps(out, indent=1))
    print(json.dumps(out))


def every_view(a, tr: dict) -> dict:
    "Every view of the overfit's models as a test set with their clouds: all its training images, each scored."
    n, pick = a.overfit_models, lambda k: tr[k][:a.overfit_models].flatten(0, 1)
    clouds = training_clouds(a.data, a.category, tr["models"][:n], {})
    return dict(view=torch.arange(C.NMR_VIEWS).repeat(n), R=pick("R"), T=pick("T"), K=pick("K"),
                image=pick("images").float() / 255,
                **{k: [x for x in clouds[k] for _ in range(C.NMR_VIEWS)] for k in ("models", "points", "normals")})


def score_medoid_at_poses(root, category: str, test: dict, R: torch.Tensor, T: torch.Tensor,
                          Q: torch.Tensor | None = None) -> pd.DataFrame: # (3, 3) the frame, if already fitted
    """The oracle's mean shape (the medoid training model) placed as UNICORN places its own mesh: by the network's
    predicted camera R, T (N, 3, 3), (N, 3), after the one global rotation Q that best maps the true canonical frame
    onto the learned one (`best_frame`, as the pose accuracy). What UNICORN would score had its shape branch learned
    the category's best single shape and nothing of the object in the image; scored as `score_floor` scores the
    medoid at the true pose (same subsamples), so the two differ by the pose alone."""
    pts, nrm = mean_shape(root, category)
    Q, Rg, Tg = best_frame(R, test["R"]) if Q is None else Q, test["R"], test["T"]
    rows, g = [], torch.Generator().manual_seed(0)
    for i, (gp, gn) in enumerate(zip(test["points"], test["normals"])):
        a, b = _subsample(pts, SCORE["n_points"], g), _subsample(gp, SCORE["n_points"], g)
        p = to_gt_frame((pts[a] @ Q.T)[None], R[i:i + 1], T[i:i + 1], Rg[i:i + 1], Tg[i:i + 1])[0]
        n = nrm[a] @ Q.T @ R[i].T @ Rg[i]                        # the same rotations, no translation
        s = shape_scores(p, n, gp[b], gn[b], fit_points=SCORE["fit_points"])
        rows.append(dict(object=test["models"][i], view=int(test["view"][i])) | s)
    return pd.DataFrame(rows)


def floors(a):
    """A saved overfit model scored on every one of its training images beside three floors, image by image: its
    template and the medoid placed by its own predicted poses (`score_medoid_at_poses`), and the oracle (the medoid
    at the true pose). Paired differences, clustered by model; also split by whether the image's pose is within 30
    degrees; to results/pilot_unicorn_floors_<model file stem>[_<tag>].json."""
    arch = ARCH | dict(size=a.overfit_size, width=a.overfit_width, field_units=a.overfit_field_units)
    tr = load_training_set(a.data, a.category, arch["size"])
    test = every_view(a, tr)
    cfg = unicorn_config("Ours", a.overfit_epochs, size=arch["size"], width=arch["width"],
                         field_units=arch["field_units"])
    net = Unicorn(**cfg); net.load_state_dict(torch.load(a.save_model)); net.set_epoch(a.overfit_epochs).eval()
    R, T = predicted_cameras(net, test["image"])
    Q = best_frame(R, test["R"])
    good = geodesic_rotation_error(R @ Q, test["R"], check=False) < 30
    kw = dict(fit_points=SCORE["fit_points"])
    with torch.no_grad(): verts = predict_in_gt_frame(net, "Ours", test)
    scores = {"unicorn": score_objects(verts, net.faces, test, SCORE["n_points"], **kw),
              "template_at_its_poses": score_template_floor(net, test, SCORE["n_points"], **kw),
              "medoid_at_its_poses": score_medoid_at_poses(a.data, a.category, test, R, T, Q),
              "oracle": score_floor(a.data, a.category, test, SCORE["n_points"], **kw)}
    out = dict(data=a.data.name, model=a.save_model.name, images=len(good), within_30=int(good.sum()))
    for col in COLS:
        out[col] = {k: round(float(v[col].mean()), 4) for k, v in scores.items()}
        for part, m in (("all", torch.ones_like(good)), ("within_30", good), ("off_30", ~good)):
            m = m.numpy()
            if len(set(models_of(test, m))) < 2: continue               # no spread across cars to pair on
            for base in ("template_at_its_poses", "medoid_at_its_poses", "oracle"):
                r = paired(scores["unicorn"][col][m], scores[base][col][m], clusters=models_of(test, m))
                out[col][f"unicorn - {base}, {part}"] = dict(diff=round(r.diff, 4), se=round(r.se, 4),
                                                            n=r.n, clusters=r.n_clusters, verdict=r.verdict)
    (RESULTS/f"pilot_unicorn_floors_{a.save_model.stem}{'_' + a.tag if a.tag else ''}.json").write_text(
        json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


def models_of(test: dict, mask) -> list[str]:
    "The model id of each image `mask` keeps (the clusters of a paired comparison)."
    return [m for m, k in zip(test["models"], mask) if k]


def reference_curve(a, tr: dict, test: dict, floors: dict, out: Path, run: str = "reference", arch=ARCH):
    "The supervised reference at increasing step counts (one run, scored at each checkpoint)."
    with use_seed(1): net = reference_net(width=arch["width"], field_units=arch["field_units"])
    rows, done, t0 = [], 0, time.time()
    for n in [0] + a.ref_steps:
        if n > done:
            train_reference(net, tr["images"], tr["masks"], tr["R"], tr["T"], tr["K"], steps=n - done,
                            batch_size=8, lr=1e-4, seed=1 + done, log_every=max(1, n - done))
            done = n
        rows.append(dict(run=run, steps=n, train_s=round(time.time() - t0, 1),
                         **evaluate(net, "Reference", test, floors)))
        print(json.dumps(rows[-1]), flush=True)
        out.write_text(json.dumps(rows, indent=1))


def pilot(a):
    "The supervised reference, then UNICORN, on the pilot's training split, scored on its test split."
    tr = load_training_set(a.data, a.category, ARCH["size"])
    test = load_test_set(a.data, a.category, ARCH["size"], seed=0)
    floors = oracle_floor(a.data, a.category, test)
    if a.only != "unicorn": reference_curve(a, tr, test, floors, RESULTS/"pilot_unicorn_reference.json")
    if a.only != "reference":
        name = "ours" + ("" if a.epochs == 20 else f"_{a.epochs}epochs") + (f"_{a.tag}" if a.tag else "")
        run_unicorn(a, name, tr["images"].flatten(0, 1), test, a.epochs, 1e-4, RESULTS/f"pilot_unicorn_{name}.json")


def report(a):
    "The curves (Chamfer against both floors, pose accuracy) as a table and a plot."
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
    files = sorted(RESULTS.glob("pilot_unicorn_overfit*.json")) + sorted(RESULTS.glob("pilot_unicorn_ours*.json")) + \
        [RESULTS/"pilot_unicorn_reference.json"]
    parts = {f.stem.removeprefix("pilot_unicorn_"): pd.DataFrame(json.loads(f.read_text())) for f in files
             if f.exists()}
    text = ["UNICORN pilot, cars, one seed (Chamfer-L1 x10, lower is better; steps 0 = untrained, the audit)\n"]
    cols = min(3, len(parts)); rows = -(-len(parts) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 4 * rows), squeeze=False)
    axes = axes.ravel()
    for ax in axes[len(parts):]: ax.axis("off")
    for ax, (name, df) in zip(axes, parts.items()):
        older = ["(pose accuracy by the older fit: one chordal-mean frame; see OLDER_POSE_FIT)\n"
                 ] if name in OLDER_POSE_FIT else []
        text += [f"## {name}\n", *older, df.round(4).to_markdown(index=False), ""]
        for c in COLS + [f"template_{c}" for c in COLS] + [f"oracle_{c}" for c in COLS]:
            if c in df: ax.plot(df.steps, df[c], label=c, ls="--" if c.startswith(("template", "oracle")) else "-")
        if "pose_acc30" in df:
            ax2 = ax.twinx(); ax2.plot(df.steps, df.pose_acc30, color="gray", label="pose acc@30°")
            ax2.plot(df.steps, df.pose_chance30, color="gray", ls=":", label="chance"); ax2.set_ylim(0, 1)
            ax2.legend(fontsize=6, loc="upper center")
        ax.set(title=f"{name}, to step {int(df.steps.max()):,}" + (" (older pose fit)" if name in OLDER_POSE_FIT
                                                                      else ""), xlabel="training steps",
               ylabel="Chamfer-L1 x10"); ax.legend(fontsize=6)
    fig.tight_layout(); fig.savefig(RESULTS/"pilot_unicorn.png", dpi=110)
    text += floors_tables()
    (RESULTS/"pilot_unicorn.md").write_text("\n".join(text) + "\n")
    print("\n".join(text))


def floors_tables() -> list[str]:
    "The `floors` results as tables: every training image of a saved overfit model against its floors, paired."
    text = []
    for f in sorted(RESULTS.glob("pilot_unicorn_floors_*.json")):
        d = json.loads(f.read_text())
        text += [f"## floors of {d['model']} ({d['data']}): {d['images']} training images, "
                 f"{d['within_30']} within 30°\n"]
        for col in COLS:
            means = {k: v for k, v in d[col].items() if not isinstance(v, dict)}
            pairs = {k: f"{v['diff']:+.4f} ± {v['se']:.4f} ({v['verdict']}, n {v['n']})"
                     for k, v in d[col].items() if isinstance(v, dict)}
            text += [f"{col}: " + ", ".join(f"{k} {v:.4f}" for k, v in means.items()) + "\n",
                     pd.Series(pairs, name="mean difference ± SE").to_markdown(), ""]
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["prepare", "overfit", "poses", "floors", "pilot", "report"])
    ap.add_argument("--data", type=Path, default=Path("/tmp/pilot_unicorn"), help="the pilot's dataset root")
    ap.add_argument("--category", default="car", help="the ShapeNet class (its collection is written once)")
    ap.add_argument("--models", type=int, default=150, help="models (split 70/10/20)")
    ap.add_argument("--seed", type=int, default=7, help="the collection's seed (small's data uses 0)")
    ap.add_argument("--lights", action="store_true", help="prepare: colour the cars' front and rear (`lit_colors`)")
    ap.add_argument("--epochs", type=int, default=20, help="pilot: UNICORN epochs over the training split")
    ap.add_argument("--only", choices=["unicorn", "reference"], help="pilot: train only this one")
    ap.add_argument("--ref-steps", type=int, nargs="+", default=[500, 1000, 2000, 3000], help="pilot: reference")
    ap.add_argument("--overfit-models", type=int, default=12, help="overfit: models (x 24 views)")
    ap.add_argument("--overfit-epochs", type=int, default=60)
    ap.add_argument("--overfit-lr", type=float, default=3e-4)
    ap.add_argument("--overfit-reference", action="store_true",
                    help="overfit: train the supervised reference (true cameras) on the same images instead")
    ap.add_argument("--overfit-true-poses", action="store_true",
                    help="overfit: UNICORN's 3D step alone, every pose set to the true one (the diagnostic)")
    ap.add_argument("--overfit-size", type=int, default=ARCH["size"], help="overfit: image side (the data has 64)")
    ap.add_argument("--overfit-width", type=int, default=ARCH["width"], help="overfit: encoder width")
    ap.add_argument("--overfit-field-units", type=int, default=ARCH["field_units"], help="overfit: field MLP width")
    ap.add_argument("--perceptual", action="store_true",
                    help="overfit/pilot: UNICORN with the perceptual loss (weight 10, random-weight VGG16 as `full`)")
    ap.add_argument("--tag", help="overfit/pilot: a suffix for the run's name (and its results file)")
    ap.add_argument("--save-model", type=Path, help="overfit/pilot: save the trained UNICORN's state dict there")
    ap.add_argument("--device", default="cpu", help="overfit/pilot: train UNICORN there (scored on the CPU)")
    ap.add_argument("--eval-every", type=int, default=1, help="overfit/pilot: score every this many epochs")
    a = ap.parse_args(argv)
    {"prepare": prepare, "overfit": overfit, "poses": pose_modes, "floors": floors, "pilot": pilot,
     "report": report}[a.step](a)


if __name__ == "__main__":
    sys.exit(main())
