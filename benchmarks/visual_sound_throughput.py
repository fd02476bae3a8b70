"""Training throughput (samples/s, forward + backward + Adam step) of the visual_sound networks.

    python benchmarks/visual_sound_throughput.py [--device cuda] [--steps 10]

Synthetic batches of the right shapes, so data loading is excluded (the reproduce runs report end-to-end
samples/s in their training_stats tables).
"""
import argparse, json, os, sys, time
from pathlib import Path
import torch
from paper_kit.vision.backbones import count_params
from paper_kit.visual_sound.model import Mono2Binaural
from paper_kit.visual_sound.separation import SeparationNet

CONFIGS = {  # name: (frame (H, W), ResNet width, U-Net ngf, batch)
    "small (CPU profile)": ((112, 224), 16, 16, 16),
    "full (paper)": ((224, 448), 64, 64, 32),
}

def bench(model, batch_fn, steps, device):
    opt = torch.optim.Adam(model.parameters(), 1e-4)
    model.to(device).train()
    def step():
        loss = batch_fn()
        opt.zero_grad(); loss.backward(); opt.step()
    step()  # warm-up
    if device.type == "cuda": torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps): step()
    if device.type == "cuda": torch.cuda.synchronize()
    return (time.perf_counter() - t0) / steps

def main():
    ap = argparse.ArgumentParser(); ap.add_argument("--device", default="cpu")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--configs", nargs="*", default=list(CONFIGS))
    a = ap.parse_args(); dev = torch.device(a.device)
    rows = []
    for name in a.configs:
        (H, W), width, ngf, B = CONFIGS[name]
        g = torch.Generator().manual_seed(0)
        frame = torch.randn(B, 3, H, W, generator=g).to(dev); spec = torch.randn(B, 2, 257, 64, generator=g).to(dev)
        for kind, m in (("mono2binaural", Mono2Binaural((H, W), width, ngf)),
                        ("audio-only", Mono2Binaural((H, W), width, ngf, audio_only=True)),
                        ("separation (binaural)", SeparationNet("binaural", (H, W), width, ngf))):
            m = m.to(dev)
            if kind == "separation (binaural)":
                fn = lambda: m(torch.cat([frame, frame]), torch.cat([spec.abs(), spec.abs()]))["pred_mag"].abs().mean()
                per = 2 * B
            else:
                fn = lambda: (m(None if m.audio_only else frame, spec)["pred_diff_spec"]
                              - spec[:, :, :256]).pow(2).mean()
                per = B
            s = bench(m, fn, a.steps, dev)
            rows.append(dict(config=name, network=kind, params=count_params(m), batch=B, step_s=round(s, 4),
                             samples_per_s=round(per / s, 1), device=str(dev)))
            print(rows[-1], flush=True)
    out = Path(__file__).parent/"results"/f"visual_sound_throughput_{dev.type}.json"
    out.parent.mkdir(exist_ok=True); out.write_text(json.dumps(rows, indent=1))
    print(f"written {out}")

if __name__ == "__main__":
    main()
