"""Speed and memory of paper_kit.geometry.metrics (Chamfer, EMD, F-score, ICP).

    OMP_NUM_THREADS=2 python benchmarks/geometry_metrics.py [--device cuda] [--repeats 5]

Every case runs in its own subprocess so that its peak resident memory (ru_maxrss) is its own. Writes
benchmarks/results/geometry_metrics[_<device>].json with the timings (median of the repeats, after one warm-up)
and machine info. "fwd+bwd" means the Chamfer value plus its backward pass to both clouds.
"""
import argparse, json, os, platform, resource, subprocess, sys, time
from pathlib import Path
import torch

CASES = {
    "chamfer_psgn 1x1024^2 fwd": dict(kind="chamfer", B=1, N=1024, backward=False),
    "chamfer_psgn 1x1024^2 fwd+bwd": dict(kind="chamfer", B=1, N=1024, backward=True),
    "chamfer_psgn 8x1024^2 fwd+bwd": dict(kind="chamfer", B=8, N=1024, backward=True),
    "chamfer_psgn 16x2048^2 fwd": dict(kind="chamfer", B=16, N=2048, backward=False),
    "chamfer_psgn 16x2048^2 fwd+bwd": dict(kind="chamfer", B=16, N=2048, backward=True),
    "baseline full cdist+min 16x2048^2 fwd+bwd": dict(kind="naive", B=16, N=2048, backward=True),
    "chamfer_l1_unicorn 16x2048^2 fwd+bwd": dict(kind="unicorn", B=16, N=2048, backward=True),
    "fscore 16x2048^2": dict(kind="fscore", B=16, N=2048),
    "emd (exact LSA) 1x1024<->1024": dict(kind="emd", B=1, N=1024),
    "icp rigid 2048<->2048": dict(kind="icp", N=2048, mode="rigid"),
    "icp similarity 2048<->2048": dict(kind="icp", N=2048, mode="similarity"),
    "icp anisotropic 2048<->2048": dict(kind="icp", N=2048, mode="anisotropic"),
    "icp_gradient (UNICORN, 100 Adam steps) 1x2048": dict(kind="gicp", B=1, N=2048),
}

def run_case(name, device, repeats):
    from paper_kit.geometry import metrics as M
    import roma
    c = CASES[name]; dev = torch.device(device)
    g = torch.Generator().manual_seed(0)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    extra = {}
    if c["kind"] in ("chamfer", "naive", "unicorn", "fscore", "emd", "gicp"):
        a = torch.rand(c["B"], c["N"], 3, generator=g).to(dev); b = torch.rand(c["B"], c["N"], 3, generator=g).to(dev)
        def step():
            x = a.clone().requires_grad_(c.get("backward", False))
            y = b.clone().requires_grad_(c.get("backward", False))
            if c["kind"] == "chamfer": v = M.chamfer_psgn(x, y).value
            elif c["kind"] == "unicorn": v = M.chamfer_l1_unicorn(x, y).value
            elif c["kind"] == "naive":
                d = torch.cdist(x, y) ** 2; v = d.min(2).values.mean(1) + d.min(1).values.mean(1)
            elif c["kind"] == "fscore": v = M.fscore(x, y, 0.05).f
            elif c["kind"] == "emd": v = M.emd(x, y).value
            elif c["kind"] == "gicp": v = M.icp_gradient(x, y, iters=100).loss
            if c.get("backward"): v.sum().backward()
            sync()
    else:
        src = (torch.rand(c["N"], 3, generator=g, dtype=torch.float64)
               * torch.tensor([1.0, 0.6, 0.3], dtype=torch.float64))
        R = roma.rotvec_to_rotmat(torch.tensor([0.1, -0.2, 0.15], dtype=torch.float64))
        s = {"rigid": [1, 1, 1], "similarity": [1.1] * 3, "anisotropic": [1.2, 0.9, 1.05]}[c["mode"]]
        dst = (src * torch.tensor(s, dtype=torch.float64)) @ R.T + 0.05
        def step():
            r = M.icp(src, dst, mode=c["mode"], iters=100); extra.update(icp_iters=r.iters, icp_error=r.error)
    step()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
    times.sort()
    out = dict(case=name, device=device, median_s=round(times[len(times) // 2], 5), min_s=round(times[0], 5),
               repeats=repeats, peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
               **extra)
    if dev.type == "cuda": out["peak_cuda_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print(json.dumps(out))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu"); ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--case", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.case: return run_case(a.case, a.device, a.repeats)
    rows = []
    print(f"{'case':48s} {'median s':>9s} {'min s':>9s} {'peak RSS MB':>12s}")
    for name in CASES:
        reps = 3 if ("emd" in name or "gradient" in name or "baseline" in name) else a.repeats
        p = subprocess.run([sys.executable, __file__, "--case", name, "--device", a.device, "--repeats", str(reps)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(f"{name}: FAILED\n{p.stderr[-2000:]}"); continue
        r = json.loads(p.stdout.strip().splitlines()[-1]); rows.append(r)
        print(f"{name:48s} {r['median_s']:9.4f} {r['min_s']:9.4f} {r['peak_rss_mb']:12.1f}", flush=True)
    info = dict(python=platform.python_version(), torch=torch.__version__, machine=platform.machine(),
                processor=platform.processor(), cpu_count=os.cpu_count(),
                omp_num_threads=os.environ.get("OMP_NUM_THREADS"), torch_threads=torch.get_num_threads(),
                load_average_1_5_15min=[round(x, 2) for x in os.getloadavg()],
                note="shared 2-core machine; other jobs ran at the same time, so min_s is the better estimate",
                cuda=torch.cuda.get_device_name(0) if a.device.startswith("cuda") else None)
    out = Path(__file__).parent / "results" / ("geometry_metrics.json" if a.device == "cpu"
                                                else f"geometry_metrics_{a.device.split(':')[0]}.json")
    out.parent.mkdir(exist_ok=True); out.write_text(json.dumps(dict(machine=info, results=rows), indent=1))
    print(f"written {out}")

if __name__ == "__main__":
    main()
