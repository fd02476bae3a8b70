"""What one UNICORN training step costs at each profile's setting, and what 11_train then costs per profile.

For each profile, the parameters `paper-kit reproduce unicorn --profile <p>` gives `11_train` (paper.yml over the
notebook's defaults) set the network (width, field units, image size), the batch and the faces per pixel. A fresh
subprocess with one OpenMP thread builds that network, runs warm-up steps, then times `steps` training steps on random
images: wall and process CPU time per step (on a shared, loaded machine the CPU time estimates the wall time the step
would take with a core to itself), images per second. From the CPU time (on CUDA: the wall time, the GPU
synchronised) it estimates 11_train's work per profile: steps per model = `iterations` (else epochs x (training
images // batch), training images = 70 % of `n_models` x 24 views, the NMR split), times the UNICORN models trained
(methods x categories x replicates, ablations on Table 3's categories only). The supervised reference and the
evaluation are not included. Writes benchmarks/results/unicorn_train_step[_cuda].json.

    .venv/bin/python benchmarks/unicorn_train_step.py [--profiles smoke small] [--steps 6] [--device cuda]
"""
import argparse, json, sys, time
from step_results import one_thread_case, write_results


def train_params(profile: str) -> dict:
    "The parameters 11_train and 10_make_data get at `profile`."
    from paper_kit.kit.paper import load_paper
    from paper_kit.kit.plan import plan_parameters
    _, params = plan_parameters(load_paper("unicorn"), profile)
    return params["11_train"] | {"n_models": params["10_make_data"]["n_models"]}


def training_images(p: dict) -> int:
    "11_train's training images at parameters `p`: the NMR split's 70 % of `n_models` (10_make_data's), every view."
    from paper_kit.geometry.collections import NMR_VIEWS
    return int(0.7 * p["n_models"]) * NMR_VIEWS


def run_case(profile: str, steps: int, device: str = "cpu"):
    import torch
    from paper_kit.unicorn.model import Unicorn
    from paper_kit.unicorn.losses import PerceptualLoss
    from paper_kit.unicorn.train import train
    from paper_kit.unicorn.experiment import unicorn_config
    p = train_params(profile)
    net = Unicorn(**unicorn_config("Ours", max(1, p["epochs"]), size=p["size"], width=p["width"],
                                   field_units=p["field_units"])).to(device)
    perc = PerceptualLoss(None, seed=0).to(device) if p["perceptual"] else None
    imgs = torch.rand(p["batch_size"] * (steps + 2), 3, p["size"], p["size"],
                      generator=torch.Generator().manual_seed(0)).to(device)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    kw = dict(batch_size=p["batch_size"], faces_per_pixel=p["faces_per_pixel"], perceptual=perc,
              memory_size=p["memory_size"])
    train(net, imgs[:2 * p["batch_size"]], epochs=1, **kw)            # warm-up: one pose and one 3D step
    sync(); t, c = time.perf_counter(), time.process_time()
    h = train(net, imgs[2 * p["batch_size"]:], epochs=1, **kw)
    sync(); wall, cpu = (time.perf_counter() - t) / len(h), (time.process_time() - c) / len(h)
    cost = wall if device.startswith("cuda") else cpu
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None
    print(json.dumps(dict(profile=profile, device=device, steps=len(h), wall_s=wall, cpu_s=cpu, step_s=cost,
                          images_per_s=p["batch_size"] / cost, peak_gib=peak,
                          **{k: p[k] for k in ("batch_size", "size", "width", "field_units", "faces_per_pixel",
                                               "perceptual")})))


def estimate(row: dict) -> dict:
    "11_train's UNICORN work at a profile from the measured seconds per step (CPU time, or wall time on CUDA)."
    from paper_kit.unicorn.experiment import METHODS, methods_for
    p = train_params(row["profile"])
    per_model = p["iterations"] or p["epochs"] * (training_images(p) // p["batch_size"])
    models = sum(not METHODS[m].reference for c in p["categories"]
                 for m in methods_for(p["methods"], c, p["ablation_categories"])) * len(p["replicates"])
    return dict(steps_per_model=per_model, unicorn_models=models, hours=per_model * models * row["step_s"] / 3600)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profiles", nargs="+", default=["smoke", "small", "full"])
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (then the wall time per step counts)")
    args = ap.parse_args()
    rows = []
    for profile in args.profiles:
        row = one_thread_case(__file__, profile, str(args.steps), args.device)
        if row: rows.append(row | estimate(row))
    print(f"{'profile':8s} {'B':>3s} {'px':>3s} {'width':>5s} {'fu':>4s} {'fpp':>3s} {'wall s':>7s} {'cpu s':>6s} "
          f"{'img/s':>6s} {'GiB':>5s} {'steps/model':>11s} {'models':>6s} {'11_train h':>10s}")
    for r in rows:
        print(f"{r['profile']:8s} {r['batch_size']:3d} {r['size']:3d} {r['width']:5d} {r['field_units']:4d} "
              f"{r['faces_per_pixel']:3d} {r['wall_s']:7.3f} {r['cpu_s']:6.3f} {r['images_per_s']:6.1f} "
              f"{r['peak_gib'] or 0:5.2f} {r['steps_per_model']:11d} {r['unicorn_models']:6d} {r['hours']:10.1f}")
    write_results("unicorn_train_step", rows, args.device)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--case": run_case(sys.argv[2], int(sys.argv[3]), *sys.argv[4:5])
    else: main()
