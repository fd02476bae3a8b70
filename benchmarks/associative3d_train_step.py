"""What one Associative3D training step costs at `small`'s setting and at the official one, and what the official
schedule then costs: the numbers a `full` profile is planned from (issue 24 asks for them on a GPU; this script
measures them on the CPU too).

Settings: `small` is the parameters `paper-kit reproduce associative3d --profile small` gives `11_train` (paper.yml
over the notebook's defaults); `official` is `small`'s with the official sizes (README and `official_repos.md`
sec. 1.6): 640 x 480 renders, the object branch at ResNet-18 width 64 with the full fully connected sizes on a
480 x 640 fine and a 128 x 256 coarse image, 24 views a box3d step and 24 pairs a siamese step, the camera branch's
ResNet-50 at width 64 on 224 x 224 images, 32 pairs a step. For each, a fresh subprocess with one OpenMP thread writes
a few rooms (10_make_data's generator, ten views a room, every house in the training split; cached under
build/bench_associative3d/), builds the branches as 11_train does (bins by k-means, untrained weights: a step costs
the same), runs one warm-up step and then times `--steps` steps of each stage (box3d, siamese, camera) with
11_train's own batch builders and step functions: wall and process CPU time per step (on a loaded machine the CPU
time estimates the wall time with a core to itself; on CUDA the wall time counts, the GPU synchronised), and the
bytes 11_train holds per training view in memory (its image, the fine and coarse inputs, the camera input).

`--batch-div K` (1, 2, 4 or 8) divides every batch of the `official` setting by K (a step's cost is linear in its
batch; the reported step is the measured one times K): on a CPU with little memory a box3d step of 24 views at
480 x 640 needs several GiB. On CUDA leave it at 1, so that the peak memory is the real one. A stage that fails is
recorded with its error and the others are still timed (until 2026-11-29 the object branch's steps failed on CUDA:
its RoI bins and rotation likelihood built index tensors on the CPU; they now keep to their inputs' device).

The official schedule: box3d 8 epochs over the training views (247,532 training pairs, two views each, as the
paper's split; the official single-view loader's epoch is not stated), 24 views a step; siamese 30 epochs of 2,400
random pairs (the official pair loader's epoch), 24 a step; camera 95,000 iterations (`model_95000.pth`). `small`'s
schedule is its own (paper.yml). Writes benchmarks/results/associative3d_train_step[_cuda].json.

On a GPU machine the rooms need the SweetHome3D furniture: `scripts/gpu/sh3d_subset.py` over a workspace where this
script ran once, or over Associative3D's smoke workspace, carries the models it loads (`A3D_STEPS=1
scripts/gpu/check.sh steps` runs it).

    .venv/bin/python benchmarks/associative3d_train_step.py [--settings small official] [--steps 2] [--batch-div 1]
        [--device cuda]
"""
import argparse, json, sys, time
from pathlib import Path
from step_results import one_thread_case, write_results

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL = dict(image_size=[640, 480], fine_hw=[480, 640], coarse_hw=[128, 256], width=64, nz=1.0,
                camera_width=64, camera_hw=[224, 224], batch_size=24, pair_batch=24, camera_batch=32)
OFFICIAL_STEPS = dict(box3d=8 * 2 * 247_532 // 24, siamese=30 * 2_400 // 24, camera=95_000)
DIVISORS = (1, 2, 4, 8)     # divide 24 and 32 exactly and leave batches of 3 or more: the scaling by K is exact


def settings(name: str, batch_div: int = 1) -> dict:
    "11_train's parameters at `small`, or `small`'s with the official sizes (batches divided by `batch_div`)."
    from paper_kit.kit.paper import load_paper
    from paper_kit.kit.plan import plan_parameters
    _, params = plan_parameters(load_paper("associative3d"), "small")
    p = params["11_train"]
    if name == "small": return p
    if name != "official": raise ValueError(f"--settings: {name!r}; use small and/or official")
    if batch_div not in DIVISORS: raise ValueError(f"--batch-div {batch_div}: use one of {DIVISORS}")
    return p | OFFICIAL | {k: OFFICIAL[k] // batch_div for k in ("batch_size", "pair_batch", "camera_batch")}


def rooms(image_size: list) -> Path:
    """Four rooms of ten views at `image_size`, all in the training split, furnished with each class's first
    SweetHome3D model (the one every smoke run loads; a step's cost does not depend on which); written once."""
    from paper_kit.associative3d.data import SceneConfig, make_scenes
    root = ROOT/"build/bench_associative3d"/f"{image_size[0]}x{image_size[1]}_m1"
    if not (root/"associative3d_train_set.txt").exists():
        tmp = root.with_name(root.name + ".writing")
        import shutil; shutil.rmtree(tmp, ignore_errors=True)
        make_scenes(tmp, SceneConfig(houses=4, views=10, image_size=tuple(image_size), objects_per_room=4,
                                     models_per_class=1, repeat=0.25, splits={"train": 1.0}, seed=7,
                                     watertight=4000))
        shutil.rmtree(root, ignore_errors=True); tmp.rename(root)
    return root


def timed(step, n: int, sync) -> tuple[float, float]:
    "Wall and CPU seconds per call of `step` over `n` calls after one warm-up call."
    step(); sync()
    t, c = time.perf_counter(), time.process_time()
    for _ in range(n): step()
    sync()
    return (time.perf_counter() - t) / n, (time.process_time() - c) / n


def training_set(p: dict) -> dict:
    "11_train's training data for settings `p`: the views and their inputs as it holds them, and the k-means bins."
    import numpy as np
    from paper_kit.geometry.suncg import read_split, split_views
    from paper_kit.associative3d.camera import fit_bins, relative_pose
    from paper_kit.associative3d.targets import view_objects
    from paper_kit.associative3d.train import view_input, image_tensor, both_orders
    root = rooms(p["image_size"])
    pairs = read_split(root/"associative3d_train_set.txt")
    keys = split_views(pairs)
    views = {k: view_objects(root, *k, tuple(p["image_size"])) for k in keys}
    inputs = {k: view_input(v, tuple(p["fine_hw"]), tuple(p["coarse_hw"])) for k, v in views.items()}
    cam = {k: image_tensor(v["image"], tuple(p["camera_hw"])) for k, v in views.items()}
    held = np.mean([views[k]["image"].nbytes + inputs[k]["fine"].nbytes + inputs[k]["coarse"].nbytes
                    + cam[k].nbytes for k in keys])
    rel = [relative_pose(*q.poses) for q in both_orders(pairs)]
    quats = np.stack([c.quat for v in views.values() for c in v["codes"]])
    bins = dict(obj=fit_bins(quats, min(p["rot_bins"], len(quats)), 0),
                trans=fit_bins(np.stack([t for _, t in rel]), min(p["trans_bins"], len(rel)), 0),
                rot=fit_bins(np.stack([q for q, _ in rel]), min(p["cam_rot_bins"], len(rel)), 0))
    return dict(pairs=pairs, views=views, inputs=inputs, cam=cam, held=float(held), bins=bins,
                with_objects=[k for k in keys if views[k]["codes"]],
                usable=[q for q in pairs if all(views[(q.house, v)]["codes"] for v in q.views)])


def stage_steps(p: dict, d: dict, device: str) -> dict:
    "One training step of each stage (box3d, siamese, camera) on data `d`, as 11_train takes it, on `device`."
    import numpy as np, torch
    from paper_kit.associative3d.object_branch import ObjectBranch, MAX_ROIS
    from paper_kit.associative3d.camera_branch import CameraBranch, camera_loss, camera_optimizer
    from paper_kit.associative3d.train import (object_batch, object_step, siamese_step, camera_targets, reverse_some,
                                              batch_to)
    views, inputs, cam, bins = d["views"], d["inputs"], d["cam"], d["bins"]
    torch.manual_seed(0); rng = np.random.default_rng(0)
    dev = torch.device(device)
    obj = ObjectBranch(tuple(p["coarse_hw"]), p["width"], p["nz"], bins["obj"].n_clusters, 32).to(dev).train()
    cnet = CameraBranch(p["camera_width"], 128, bins["trans"].n_clusters, bins["rot"].n_clusters).to(dev).train()
    opt, copt = torch.optim.Adam([q for q in obj.parameters() if q.requires_grad], lr=1e-4), camera_optimizer(cnet)
    pick = lambda items, n: [items[i] for i in rng.choice(len(items), n, replace=len(items) < n)]

    def box3d():
        ks = pick(d["with_objects"], p["batch_size"])
        b = batch_to(object_batch([views[x] for x in ks], [inputs[x] for x in ks], bins["obj"], rng), dev)
        opt.zero_grad(); object_step(obj, b)["total"].backward(); opt.step()

    def siamese():
        ps = pick(d["usable"], p["pair_batch"])
        ks = [(q.house, q.views[0]) for q in ps] + [(q.house, q.views[1]) for q in ps]
        b = batch_to(object_batch([views[x] for x in ks], [inputs[x] for x in ks], bins["obj"], rng, cap=MAX_ROIS),
                     dev)
        ids = [np.asarray(views[x]["node_ids"])[kk] for x, kk in zip(ks, b["keep"])]
        opt.zero_grad(); siamese_step(obj, b, ids)["total"].backward(); opt.step()

    def camera():
        ps = reverse_some(pick(d["pairs"], p["camera_batch"]), rng)
        a = torch.stack([cam[(q.house, q.views[0])] for q in ps]).to(dev)
        b = torch.stack([cam[(q.house, q.views[1])] for q in ps]).to(dev)
        tb, rb = camera_targets(ps, bins["trans"], bins["rot"])
        copt.zero_grad(); camera_loss(cnet(a, b), tb.to(dev), rb.to(dev))["total"].backward(); copt.step()

    return dict(box3d=box3d, siamese=siamese, camera=camera)


def run_case(name: str, steps: int, batch_div: int, device: str):
    "Time each stage's step at setting `name`; print the row as JSON."
    import torch
    p = settings(name, batch_div)
    d = training_set(p)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    div = batch_div if name == "official" else 1
    out = dict(setting=name, device=device, batch_div=div, bytes_per_view=d["held"],
               **{k: p[k] for k in ("width", "nz", "fine_hw", "coarse_hw", "camera_width", "camera_hw",
                                    "batch_size", "pair_batch", "camera_batch")})
    for stage, fn in stage_steps(p, d, device).items():
        if device.startswith("cuda"): torch.cuda.reset_peak_memory_stats()
        try: wall, cpu = timed(fn, steps, sync)
        except RuntimeError as e:       # e.g. a tensor on the wrong device: the other stages are still timed
            out[stage] = dict(error=str(e).splitlines()[0][:300]); continue
        step = (wall if device.startswith("cuda") else cpu) * div
        peak = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None
        out[stage] = dict(wall_s=wall, cpu_s=cpu, step_s=step, peak_gib=peak)
    print(json.dumps(out))


def schedule(row: dict) -> dict:
    "Steps of each stage by the setting's schedule and the hours they take at the measured cost per step."
    if row["setting"] == "official": steps = OFFICIAL_STEPS
    else:
        p = settings("small")
        steps = dict(box3d=p["box3d_steps"], siamese=p["siamese_steps"], camera=p["camera_steps"])
    hours = {k: steps[k] * row[k]["step_s"] / 3600 for k in steps if "step_s" in row[k]}
    return dict(schedule_steps=steps, hours=hours,
                replicate_hours=sum(hours.values()) if len(hours) == len(steps) else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--settings", nargs="+", default=["small", "official"])
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--batch-div", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (then the wall time per step counts)")
    args = ap.parse_args()
    rows = []
    for name in args.settings:
        row = one_thread_case(__file__, name, str(args.steps), str(args.batch_div), args.device)
        if row: rows.append(row | schedule(row))
    print(f"{'setting':9s} {'stage':8s} {'batch':>5s} {'wall s':>7s} {'cpu s':>7s} {'s/step':>7s} {'GiB':>5s} "
          f"{'steps':>7s} {'hours':>8s}")
    for r in rows:
        for stage, b in (("box3d", "batch_size"), ("siamese", "pair_batch"), ("camera", "camera_batch")):
            m = r[stage]
            if "error" in m: print(f"{r['setting']:9s} {stage:8s} failed: {m['error']}"); continue
            print(f"{r['setting']:9s} {stage:8s} {r[b] * r['batch_div']:5d} {m['wall_s']:7.2f} {m['cpu_s']:7.2f} "
                  f"{m['step_s']:7.2f} {m['peak_gib'] or 0:5.2f} {r['schedule_steps'][stage]:7d} "
                  f"{r['hours'][stage]:8.1f}")
        total = "?" if r["replicate_hours"] is None else f"{r['replicate_hours']:.1f}"
        print(f"{r['setting']:9s} one replicate: {total} h; 11_train holds "
              f"{r['bytes_per_view'] / 2**20:.2f} MiB a training view")
    write_results("associative3d_train_step", rows, args.device)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--case":
        run_case(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:6])
    else: main()
