"""Training-step time of every ssl_pointcloud method (forward + both backward passes + both Adam steps).

    OMP_NUM_THREADS=2 python benchmarks/ssl_pointcloud_throughput.py [--device cuda] [--batch 8] [--steps 10]

Synthetic 64x64 inputs (random boxes of points projected with the ssl camera), so data loading is excluded. Each
method is timed in phase 1 (cycle losses on, pose network training) and phase 2 (after the supplement's freeze:
image and mask losses only). These numbers size the profiles in nbs/papers/ssl_pointcloud/paper.yml.
"""
import argparse, json, platform, time, traceback
from pathlib import Path
import torch
from paper_kit.ssl_pointcloud.train import METHODS, Hyper, TrainSet, train, sample_poses
from paper_kit.geometry.points import ssl_project


def synthetic(n, device, seed=0):
    g = torch.Generator().manual_seed(seed)
    pts = (torch.rand(n, 1024, 3, generator=g) - 0.5) * torch.tensor([0.5, 0.9, 0.4])
    col = torch.rand(n, 1024, 3, generator=g)
    v = sample_poses(n, 1, g)[:, 0]
    m, rgb = ssl_project(pts, col, v[:, 0], v[:, 1])
    v2 = sample_poses(n, 1, g)[:, 0]
    m2, rgb2 = ssl_project(pts, col, v2[:, 0], v2[:, 1])
    return TrainSet(rgb, (m > 0.5).float(), v, [f"m{i}_0" for i in range(n)], rgb2, (m2 > 0.5).float(), v2,
                    knn=torch.stack([torch.roll(torch.arange(n), -s) for s in range(1, 6)], 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu"); ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=10); ap.add_argument("--methods", nargs="*", default=list(METHODS))
    a = ap.parse_args()
    data = synthetic(max(32, 2 * a.batch), a.device)
    try: train("DIFFER", data, Hyper(iterations=3, batch_size=a.batch, log_every=3), device=a.device)   # warm-up
    except Exception: traceback.print_exc()
    rows = []
    for name in a.methods:
        row = {"method": name, "batch": a.batch, "device": a.device}
        try:
            for phase, freeze in (("phase 1 s/step", 1.0), ("phase 2 s/step", 0.0)):
                hp = Hyper(iterations=a.steps, batch_size=a.batch, log_every=a.steps, freeze_pose_at=freeze)
                if a.device == "cuda": torch.cuda.synchronize()
                t0 = time.perf_counter(); train(name, data, hp, device=a.device)
                if a.device == "cuda": torch.cuda.synchronize()
                row[phase] = round((time.perf_counter() - t0) / a.steps, 4)
            row["samples/s (phase 1)"] = round(a.batch / row["phase 1 s/step"], 1)
        except Exception as e:                   # one method's failure must not hide the others' numbers
            traceback.print_exc(); row["error"] = f"{type(e).__name__}: {e}"
        if a.device == "cuda": row["peak GiB"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
        rows.append(row); print(row, flush=True)
    out = Path(__file__).parent/"results"/f"ssl_pointcloud_throughput_{a.device}.json"
    gpu = torch.cuda.get_device_name() if a.device.startswith("cuda") else None
    out.write_text(json.dumps({"machine": platform.processor() or platform.machine(), "torch": torch.__version__,
                               "threads": torch.get_num_threads(), "gpu": gpu, "date": time.strftime("%Y-%m-%d"),
                               "rows": rows}, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
