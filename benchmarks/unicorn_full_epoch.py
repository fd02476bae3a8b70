"""One epoch of UNICORN's `full` training per category, on that category's own stand-in images (issue 21 asks for
it on a GPU): what `paper-kit reproduce unicorn --profile full` then costs per model and in all.

At `full` (paper.yml) every category has 1,000 models, 70 % of them training models with 24 views each: 16,800
training images, 525 steps of 32 an epoch, and 800,000 iterations make 1,524 epochs (`epochs_for`, as `11_train`
counts them), with the class's own official stages (`unicorn_config(..., category=c)`). For each category this
script writes a small stand-in collection (`--models` models at 64 px, the data generator of `10_make_data`),
tiles its training images to the epoch's 16,800, builds the `full` network (width 64, 512 field units, 50 faces a
pixel, the perceptual loss with random weights) and times `11_train`'s `train` over `--steps` steps of the last
epoch (every stage on: the dearest step) after two warm-up steps, the device synchronised; the epoch is those
seconds per step times 525. With `--full-epoch CATEGORY` that category is also timed over a whole epoch, the first
one (stage 1, the shape code empty, the textures constant: the cheapest step, so the bound from below). A step
is the same network work whatever the images show; timing each category on its own images checks that (on the
H200 of 2026-11-30 the spread followed the order of timing more than the data: docs/benchmarks.md, "On a GPU").

    python benchmarks/unicorn_full_epoch.py --device cuda [--steps 40] [--full-epoch car] [--categories car chair]

Writes benchmarks/results/unicorn_full_epoch[_cuda].json (under $OUT when set).
"""
import argparse, json, tempfile, time
from pathlib import Path
from step_results import write_results
from unicorn_train_step import train_params, training_images


def category_images(root: Path, category: str, n_models: int, size: int):   # (M·24, 3, size, size) uint8
    "The training images of a small stand-in collection of `category` (written under `root` once)."
    from paper_kit.geometry import collections as C
    from paper_kit.unicorn.experiment import load_training_set
    from paper_kit.unicorn.standins import shapenet_colors
    if not (root/C.synset_id(category)).exists():
        C.make_nmr_collection(root, category, n_models, seed=0, size=64, n_points=2000, colors=shapenet_colors,
                              verbose=False)
    return load_training_set(root, category, size)["images"].flatten(0, 1)


def timed_train(net, images, p: dict, perc, start_epoch: int, device: str) -> float:
    "Seconds per step of `train` over `images` (one epoch of len // batch steps from `start_epoch`), synchronised."
    import torch
    from paper_kit.unicorn.train import train
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    kw = dict(batch_size=p["batch_size"], faces_per_pixel=p["faces_per_pixel"], perceptual=perc,
              memory_size=p["memory_size"], start_epoch=start_epoch)
    sync(); t = time.perf_counter()
    h = train(net, images, epochs=1, **kw)
    sync()
    return (time.perf_counter() - t) / len(h)


def time_category(root: Path, category: str, a, p: dict, full_epoch: bool) -> dict:
    "One category's row: its seconds per step at the last epoch (and over a whole first epoch), the epoch's cost."
    import torch
    from paper_kit.kit.config import use_seed
    from paper_kit.unicorn.model import Unicorn
    from paper_kit.unicorn.losses import PerceptualLoss
    from paper_kit.unicorn.experiment import epochs_for, unicorn_config
    t0 = time.perf_counter()
    own = category_images(root, category, a.models, p["size"])
    data_s = time.perf_counter() - t0
    n_train = training_images(p)
    per_epoch = n_train // p["batch_size"]
    epochs = epochs_for(n_train, p["batch_size"], p["epochs"], p["iterations"])
    reps = -(-n_train // len(own))
    epoch = own.repeat(reps, 1, 1, 1)[:n_train].to(a.device)     # one epoch's images, the category's own cycled
    cfg = unicorn_config("Ours", epochs, size=p["size"], width=p["width"], field_units=p["field_units"],
                         category=category)
    with use_seed(0): net = Unicorn(**cfg).to(a.device)
    perc = PerceptualLoss(None, seed=0).to(a.device) if p["perceptual"] else None
    if a.device.startswith("cuda"): torch.cuda.reset_peak_memory_stats()
    timed_train(net, epoch[:2 * p["batch_size"]], p, perc, epochs - 1, a.device)            # warm-up
    last = timed_train(net, epoch[:a.steps * p["batch_size"]], p, perc, epochs - 1, a.device)
    first = timed_train(net, epoch, p, perc, 0, a.device) if full_epoch else None
    peak = torch.cuda.max_memory_allocated() / 2**30 if a.device.startswith("cuda") else None
    row = dict(category=category, device=a.device, own_images=len(own), data_s=round(data_s, 1), epochs=epochs,
               steps_per_epoch=per_epoch, steps_timed=a.steps, step_s_last_epoch=last,
               epoch_s=last * per_epoch, first_epoch_s=None if first is None else first * per_epoch,
               step_s_first_epoch=first, peak_gib=peak, model_h=last * per_epoch * epochs / 3600)
    print(json.dumps(row), flush=True)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--profile", default="full", help="whose 11_train settings (another profile: to try the script)")
    ap.add_argument("--steps", type=int, default=40, help="steps timed per category (of the last epoch)")
    ap.add_argument("--models", type=int, default=12, help="models in each category's stand-in collection")
    ap.add_argument("--categories", nargs="+", help="default: full's thirteen")
    ap.add_argument("--full-epoch", help="this category also over a whole (first) epoch")
    ap.add_argument("--data", type=Path, help="where the collections are written (default: a temporary folder)")
    a = ap.parse_args()
    p = train_params(a.profile)
    cats = a.categories or p["categories"]
    with tempfile.TemporaryDirectory() as tmp:
        root = a.data or Path(tmp)
        rows = [time_category(root, c, a, p, c == a.full_epoch) for c in cats]
    print(f"{'category':12s} {'s/step':>7s} {'epoch s':>8s} {'1st epoch s':>11s} {'epochs':>6s} {'h/model':>7s} "
          f"{'GiB':>5s}")
    for r in rows:
        first = f"{r['first_epoch_s']:11.1f}" if r["first_epoch_s"] else f"{'-':>11s}"
        print(f"{r['category']:12s} {r['step_s_last_epoch']:7.4f} {r['epoch_s']:8.1f} {first} {r['epochs']:6d} "
              f"{r['model_h']:7.1f} {r['peak_gib'] or 0:5.2f}")
    write_results("unicorn_full_epoch", rows, a.device)


if __name__ == "__main__":
    main()
