"""What one training step of each Semantic Transfer network costs at a profile's setting, and what 11_train then costs.

For each profile, the parameters `paper-kit reproduce semantic_transfer --profile <p>` gives `10_make_data` (render
side, voxel grid) and `11_train` (widths, batches, the matcher's input, each network's steps) build the networks of
one replicate (`train.build_networks`) and random batches of the right shapes: renders with their 2.5D sketches,
angles and voxels, KeypointNet-sized clouds (2,048 points, 10 keypoints), matcher pairs. After two warm-up steps,
`--steps` steps of each network are timed as 11_train runs them (`sketch_step`, `view_step`, `wgan_step`,
`voxel_step` with the frozen critic, `embedding_step`, `matcher_step`, each with its Adam step); on CUDA the GPU is
synchronised around them. Steps per replicate x seconds per step gives 11_train's training time per replicate and
category (data loading and the database not included).
Writes benchmarks/results/semantic_transfer_train_step_<device>.json.

    OMP_NUM_THREADS=2 python benchmarks/semantic_transfer_train_step.py [--profiles smoke small] [--steps 3]
        [--device cuda] [--networks sketch voxel ...]

`full` (256-px renders, a 128³ grid, width 64) is meant for a GPU: on 2 CPU cores one voxel step alone takes minutes.
"""
import argparse, json, os, platform, time, traceback
from pathlib import Path
import numpy as np
import torch

STAGES = {"sketch": "sketch_steps", "view": "view_steps", "gan": "gan_steps", "voxel": "voxel_steps",
          "embed": "embed_steps", "matcher": "matcher_steps"}
N_POINTS, N_KEYPOINTS = 2048, 10


def params(profile: str) -> tuple[dict, dict]:
    "The parameters 10_make_data and 11_train get at `profile`."
    from paper_kit.kit.paper import load_paper
    from paper_kit.kit.plan import plan_parameters
    _, p = plan_parameters(load_paper("semantic_transfer"), profile)
    return p["10_make_data"], p["11_train"]


def batches(data: dict, train: dict, device: str, g: torch.Generator) -> dict:
    "Random batches shaped as 11_train's: views (sketch, view, voxel, GAN), clouds (embedding), pairs (matcher)."
    from paper_kit.semantic_transfer.networks import SCALE_25D
    B, S, R = train["batch_size"], data["size"], data["res"]
    r = lambda *s: torch.rand(*s, generator=g)
    views = dict(rgb=r(B, 3, S, S) * 4 - 2, depth=r(B, 1, S, S) * SCALE_25D, normal=(r(B, 3, S, S) * 2 - 1) * SCALE_25D,
                 silhou=(r(B, 1, S, S) > 0.5).float() * SCALE_25D, azimuth=r(B).double() * 2 * np.pi,
                 elevation=(0.3 + r(B).double()) * 1.2, voxel=(r(B, 1, R, R, R) > 0.8).float())
    E, P = train["embed_batch"], train["pair_batch"]
    W, H = train["matcher_size"]
    uv = lambda: torch.stack([r(P, N_KEYPOINTS) * (W - 1), r(P, N_KEYPOINTS) * (H - 1)], -1)
    pairs = dict(src=r(P, 3, H, W) * 4 - 2, trg=r(P, 3, H, W) * 4 - 2, src_uv=uv(), trg_uv=uv(),
                 scored=torch.ones(P, N_KEYPOINTS, dtype=torch.bool))
    clouds = dict(clouds=r(E, N_POINTS, 3) - 0.5,
                  labels=torch.stack([torch.randperm(N_POINTS, generator=g)[:N_KEYPOINTS] for _ in range(E)]))
    to = lambda d: {k: v.to(device) for k, v in d.items()}
    return dict(views=to(views), pairs=to(pairs), clouds=to(clouds))


def step_fns(nets: dict, b: dict, train: dict, g: torch.Generator) -> dict:
    "One training step of each network, its Adam step included (11_train's `fit` and `train_gan`)."
    from paper_kit.semantic_transfer import train as T
    adam = lambda m, betas=(0.5, 0.9): torch.optim.Adam(m.parameters(), lr=1e-3, betas=betas)
    opt = {k: adam(nets[k]) for k in ("sketch", "view", "voxel")} | {k: adam(nets[k], (0.9, 0.999))
                                                                      for k in ("embed", "matcher")}
    opt_d, opt_g = adam(nets["critic"]), adam(nets["generator"])
    def fit(name, terms_fn):
        def step():
            opt[name].zero_grad(); terms_fn()["total"].backward(); opt[name].step()
        return step
    return dict(
        sketch=fit("sketch", lambda: T.sketch_step(nets["sketch"], b["views"])),
        view=fit("view", lambda: T.view_step(nets["view"], b["views"])),
        gan=lambda: T.wgan_step(nets["critic"], nets["generator"], b["views"]["voxel"], opt_d, opt_g, g),
        voxel=fit("voxel", lambda: T.voxel_step(nets["voxel"], b["views"], nets["critic"], 1e-3)),
        embed=fit("embed", lambda: T.embedding_step(nets["embed"], b["clouds"]["clouds"], b["clouds"]["labels"])),
        matcher=fit("matcher", lambda: T.matcher_step(nets["matcher"], b["pairs"], tuple(train["matcher_size"]))))


def time_profile(profile: str, steps: int, device: str, networks: list) -> dict:
    from paper_kit.semantic_transfer.train import build_networks
    data, train = params(profile)
    g = torch.Generator().manual_seed(0)
    cfg = dict(width=train["width"], embed_width=train["embed_width"], res=data["res"])
    nets = {k: m.to(device).train() for k, m in build_networks(cfg).items()}
    fns = step_fns(nets, batches(data, train, device, g), train, g)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    rows = {}
    for name in networks:
        try:
            for _ in range(2): fns[name]()                                  # warm-up
            sync(); t0 = time.perf_counter()
            for _ in range(steps): fns[name]()
            sync(); rows[name] = dict(step_s=(time.perf_counter() - t0) / steps, steps=train[STAGES[name]])
        except Exception as e:                                              # one network must not hide the others
            traceback.print_exc(); rows[name] = dict(error=f"{type(e).__name__}: {e}", steps=train[STAGES[name]])
        print(profile, name, rows[name], flush=True)
    timed = [r for r in rows.values() if "step_s" in r]
    hours = sum(r["step_s"] * r["steps"] for r in timed) / 3600 if len(timed) == len(rows) else None
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None
    return dict(profile=profile, device=device, size=data["size"], res=data["res"], width=train["width"],
                batch=train["batch_size"], networks=rows, hours_per_replicate_and_category=hours,
                replicates=len(train["replicates"]), categories=len(train["categories"]), peak_gib=peak)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profiles", nargs="+", default=["smoke", "small"])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--networks", nargs="+", default=list(STAGES), choices=list(STAGES))
    a = ap.parse_args()
    rows = [time_profile(p, a.steps, a.device, a.networks) for p in a.profiles]
    for r in rows:
        h = r["hours_per_replicate_and_category"]
        total = "" if h is None else f"; x {r['replicates']} replicates x {r['categories']} categories: " \
                                     f"{h * r['replicates'] * r['categories']:.1f} h"
        steps = ", ".join(f"{k} {v.get('step_s', float('nan')):.3f} s" for k, v in r["networks"].items())
        print(f"{r['profile']}: {steps}" + (f" -> {h:.2f} h a replicate" if h else "") + total)
    gpu = torch.cuda.get_device_name() if a.device.startswith("cuda") else None
    machine = dict(platform=platform.platform(), torch=torch.__version__, cpu_count=os.cpu_count(), gpu=gpu,
                   threads=torch.get_num_threads(), date=time.strftime("%Y-%m-%d %H:%M:%S"))
    out = Path(os.environ.get("OUT", Path(__file__).parent/"results"))/f"semantic_transfer_train_step_{a.device}.json"
    out.write_text(json.dumps(dict(machine=machine, results=rows), indent=1) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
