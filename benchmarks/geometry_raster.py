"""Speed and memory of paper_kit.geometry.raster (soft and hard mesh rasterizers).

Each case runs in a fresh subprocess: time = min and median over repeats after warm-up; memory = peak RSS increase
(VmHWM after the runs, with the high-water mark reset via /proc/self/clear_refs after setup, minus VmRSS at the
reset). Bars: soft 64², 1280 faces, batch 8, silhouette + colour, fwd+bwd <= 50 ms (UNICORN issue; the geometry
toolkit's issue asked <= 100 ms) and <= 1 GB; hard render 64²
single view <= 20 ms. `cpu_ms` is the process CPU time per step: with 1 thread on a shared, loaded machine it
estimates the wall time the step would take with a core to itself. Writes benchmarks/results/geometry_raster.json.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/geometry_raster.py
"""
import json, os, platform, subprocess, sys, time
from pathlib import Path

CASES = {
    "soft_softras_sil_rgb_b8": dict(kind="soft", mode="softras", colors=True, B=8, level=3, bar_ms=50, bar_mb=1024),
    "soft_softras_sil_b8": dict(kind="soft", mode="softras", colors=False, B=8, level=3, bar_ms=100, bar_mb=1024),
    "soft_layered_sil_rgb_b8": dict(kind="soft", mode="layered", colors=True, B=8, level=3, bar_ms=None, bar_mb=1024),
    # UNICORN's training render: 642 vertices, batch 32, 50 faces per pixel (ShapeNet), a 64x64 UV texture each
    "unicorn_layered_uv_b32": dict(kind="soft", mode="layered", colors="uv", B=32, level=3, fpp=50, bar_ms=None,
                                   bar_mb=4096),
    "hard_1280": dict(kind="hard", level=3, B=1, bar_ms=20),
    "hard_5120": dict(kind="hard", level=4, B=1, bar_ms=20),
    "hard_5120_shaded": dict(kind="hard", level=4, B=1, bar_ms=20, shading=True),
}


def _status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key): return int(line.split()[1]) / 1024   # MB
    return float("nan")


def run_case(name, device):
    import torch, trimesh
    from paper_kit.geometry.camera import look_at, intrinsics_fov
    from paper_kit.geometry.raster import soft_rasterize, hard_render, UVTexture
    c = CASES[name]
    ico = trimesh.creation.icosphere(c["level"], radius=0.5)
    v0 = torch.tensor(ico.vertices, dtype=torch.float32, device=device)
    f = torch.tensor(ico.faces, device=device)
    B = c["B"]
    R, T = look_at(torch.linspace(0, 315, B), torch.full((B,), 20.0), 2.732)
    K = intrinsics_fov(30, 64, batch=B)
    R, T, K = R.to(device), T.to(device), K.to(device)
    col = (v0 + 0.5).clamp(0, 1)[None].expand(B, -1, -1).contiguous()
    tex = torch.rand(B, 3, 64, 64, generator=torch.Generator().manual_seed(0)).to(device)
    uvs = torch.stack([(torch.atan2(v0[:, 0], v0[:, 2]) + torch.pi) / (2 * torch.pi),
                       torch.acos((v0[:, 1] / v0.norm(dim=1)).clamp(-1, 1)) / torch.pi], -1)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    info = {}

    def step():
        if c["kind"] == "hard":
            return hard_render(v0, f, R, T, K, 64, face_colors=col[:, f[:, 0]], shading=c.get("shading", False))
        v = v0[None].expand(B, -1, -1).clone().requires_grad_()
        cc = col.clone().requires_grad_() if c["colors"] else None
        if c["colors"] == "uv": cc = UVTexture(tex.clone().requires_grad_(), uvs)
        out = soft_rasterize(v, f, R, T, K, 64, colors=cc, mode=c["mode"], faces_per_pixel=c.get("fpp", 25))
        loss = out["silhouette"].square().sum() + (out["rgb"].square().sum() if cc is not None else 0)
        loss.backward()
        info["pairs"] = out["num_pairs"]
        return out

    try: open("/proc/self/clear_refs", "w").write("5")          # reset the RSS high-water mark
    except OSError: pass
    rss0 = _status("VmRSS")
    if device == "cuda": torch.cuda.reset_peak_memory_stats()
    n_warm, n_rep = (3, 20) if c["kind"] == "soft" else (5, 50)
    for _ in range(n_warm): step()
    ts, cs = [], []
    for _ in range(n_rep):
        sync(); t, c0 = time.perf_counter(), time.process_time(); step(); sync()
        ts.append(time.perf_counter() - t); cs.append(time.process_time() - c0)
    ts.sort(); cs.sort()
    res = dict(case=name, device=device, faces=len(ico.faces), batch=B, image=64, min_ms=1e3 * ts[0],
               median_ms=1e3 * ts[len(ts) // 2], cpu_ms_median=1e3 * cs[len(cs) // 2],
               peak_rss_increase_mb=_status("VmHWM") - rss0,
               bar_ms=c.get("bar_ms"), bar_mb=c.get("bar_mb"), **info)
    if device == "cuda": res["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(res))


def main():
    import torch
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    # CPU cases run with 2 OpenMP threads (the target machine) and, for reference, with 1: on a shared, loaded
    # 2-core machine OpenMP barriers make 2 threads much slower than 1, and the 1-thread numbers show the work itself.
    for device in devices:
        for threads in (["2", "1"] if device == "cpu" else ["2"]):
            for name in CASES:
                p = subprocess.run([sys.executable, __file__, "--case", name, device], capture_output=True, text=True,
                                   env=os.environ | {"OMP_NUM_THREADS": threads})
                if p.returncode: print(p.stderr); raise SystemExit(f"case {name} failed")
                rows.append(json.loads(p.stdout.strip().splitlines()[-1]) | {"omp_threads": int(threads)})
    print(f"{'case':28s} {'dev':5s} {'thr':>3s} {'faces':>6s} {'B':>2s} {'pairs':>8s} {'min ms':>8s} {'med ms':>8s} "
          f"{'cpu ms':>7s} {'bar ms':>7s} {'peak MB':>8s} {'bar MB':>7s}")
    for r in rows:
        print(f"{r['case']:28s} {r['device']:5s} {r['omp_threads']:3d} {r['faces']:6d} {r['batch']:2d} "
              f"{r.get('pairs', 0):8d} {r['min_ms']:8.1f} "
              f"{r['median_ms']:8.1f} {r['cpu_ms_median']:7.1f} {str(r['bar_ms'] or '-'):>7s} "
              f"{r['peak_rss_increase_mb']:8.0f} {str(r.get('bar_mb') or '-'):>7s}")
    machine = dict(platform=platform.platform(), python=platform.python_version(), torch=torch.__version__,
                   cpu_count=os.cpu_count(), omp_num_threads=os.environ.get("OMP_NUM_THREADS"),
                   torch_threads=torch.get_num_threads(), load_average=os.getloadavg(),
                   cuda=torch.cuda.get_device_name() if torch.cuda.is_available() else None,
                   date=time.strftime("%Y-%m-%d %H:%M:%S"))
    out = Path(__file__).parent / "results" / "geometry_raster.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(dict(machine=machine, results=rows), indent=1) + "\n")
    print("wrote", out, "| load average", machine["load_average"])


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--case": run_case(sys.argv[2], sys.argv[3])
    else: main()
