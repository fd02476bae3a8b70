"""One-seed pilot of ssl_pointcloud's `small`: the headline claims' metric against its floors, by training budget.

    python benchmarks/pilot_ssl_pointcloud.py prepare          # the pilot's car collection (its own seed, once)
    OMP_NUM_THREADS=1 python benchmarks/pilot_ssl_pointcloud.py train a &
    OMP_NUM_THREADS=1 python benchmarks/pilot_ssl_pointcloud.py train b; wait
    OMP_NUM_THREADS=1 python benchmarks/pilot_ssl_pointcloud.py train c &   # DIFFER's longer budgets
    OMP_NUM_THREADS=1 python benchmarks/pilot_ssl_pointcloud.py train d; wait
    python benchmarks/pilot_ssl_pointcloud.py report           # the curve: results/pilot_ssl_pointcloud.{md,png}

The headline claims of Tables 1 and 3 (`cycle_losses_needed`, `nn_improves`, `comparable_to_pose_supervised`) rest
on four models of the car category: OURS-No-CC, OURS-CC, OURS-NN (fine-tuned from OURS-CC with one neighbour) and
pose-supervised DIFFER, plus the control "OURS-CC trained as long as OURS-NN" (`Ours-CC-long`: OURS-CC fine-tuned
for the same iterations, with the same schedule, without neighbours). The paper's schedule depends on the budget
(the pose network is frozen and the cycle losses switched off half-way), so each point of the curve is its own
training run at that budget, not a snapshot of a longer one. Every run is scored on the pilot's own test split (a
collection drawn from another seed than the one `small` uses, so the budget is never chosen on `small`'s test
objects) by the protocol of `12_shapenet`: the global rotation fitted on the validation split, then Chamfer ×1000
on the unit-box-scaled clouds. Beside it: the category-mean-shape floor, the untrained networks (budget 0: what
`paper-kit audit` scores), and the spread of the predictions (their mean pairwise Chamfer over the ground truths'
one: near 0 when a network outputs one template whatever the image).
"""
import argparse, json, sys, time
from pathlib import Path
import pandas as pd
import torch, yaml
from paper_kit.kit.config import use_seed
from paper_kit.ssl_pointcloud.data import make_category, load_split, train_set
from paper_kit.ssl_pointcloud.train import METHODS, Method, Hyper, train, predict, mine_neighbours
from paper_kit.ssl_pointcloud import evaluate as E

RESULTS = Path(__file__).parent/"results"
PAPER_YML = Path(__file__).parents[1]/"nbs"/"papers"/"ssl_pointcloud"/"paper.yml"
SMALL = yaml.safe_load(PAPER_YML.read_text())["profiles"]["small"]
ALIGN = {k: SMALL["12_shapenet"][f"align_{k}"] for k in ("steps", "points", "starts", "lr")}
CC_LONG = Method("Ours-CC-long", init_from="Ours-CC")       # the control: OURS-CC trained as long as OURS-NN
# which worker trains what: (method, budget, the OURS-CC budget a fine-tuned model starts from)
PLAN = {"a": [("Ours-CC", n, None) for n in (500, 1000, 2000)] + [("Ours-NN", 500, 2000)],
        "b": [(m, n, None) for m in ("Ours-No-CC", "DIFFER") for n in (500, 1000, 2000)]
             + [("Ours-NN", 500, 1000), ("Ours-CC-long", 500, 1000), ("Ours-CC-long", 500, 2000)],
        # the pose-supervised reference at longer budgets: at 2,000 it beats the mean shape by too little to gate
        "c": [("DIFFER", n, None) for n in (4000, 8000)],
        "d": [("DIFFER", n, None) for n in (3000, 6000)]}


def prepare(a):
    "Write the pilot's car collection (70/10/20 split, two views per object) from its own seed."
    t0 = time.time()
    make_category(a.data, "car", a.models, seed=a.seed, size=64, views=2)
    print(f"{a.models} cars in {time.time() - t0:.0f} s")


def spread(clouds: torch.Tensor, pts: int = 256) -> float:
    "Mean Chamfer between the clouds of different objects (the first 64), ×1000."
    c = clouds[:64]
    d = E.chamfer_matrix(c, c, pts)
    return float(d.sum() / (len(c) * (len(c) - 1)) * 1000)


def score(method: Method, recon, posenet, val: dict, test: dict) -> dict:
    "Test Chamfer ×1000 after the validation-fitted rotation (none for pose-supervised methods), and the spread."
    pt = predict(recon, posenet, test["images"])
    Q = None
    if method.pose_source != "gt":
        pv = predict(recon, posenet, val["images"])
        Q = E.fit_global_rotation(pv["points"], val["pcl"], steps=ALIGN["steps"], lr=ALIGN["lr"], batch=1,
                                  n_points=ALIGN["points"], starts=ALIGN["starts"], seed=0).Q
    df = E.reconstruction_metrics(test["pcl"], pt["points"], rotation=Q, n_points=1024, emd=False)
    return {"chamfer": float(df.chamfer.mean() * 1000), "spread": spread(pt["points"])}


def ckpt(a, name, n) -> Path:
    "Where the pilot keeps OURS-CC trained for `n` iterations (the start of the fine-tuned runs)."
    return a.data/"pilot_models"/f"{name}_{n}.pt"


def wait_for(path: Path):
    "Wait until the other worker has written `path`."
    while not path.exists(): time.sleep(10)


def untrained_rows(a, val: dict, test: dict) -> list[dict]:
    "The mean-shape floor and the untrained networks (budget 0: the audit), scored like every run."
    tr = load_split(a.data, "car", "train")
    floor = E.medoid(tr["pcl"][E.one_per_model(tr["models"])]).expand(len(test["pcl"]), -1, -1)
    df = E.reconstruction_metrics(test["pcl"], floor.contiguous(), n_points=1024, emd=False)
    rows = [{"method": "Mean shape (floor)", "iterations": 0, "chamfer": float(df.chamfer.mean() * 1000),
             "spread": 0.0, "gt_spread": spread(test["pcl"])}]
    for m in ("Ours-No-CC", "Ours-CC", "DIFFER"):
        with use_seed(1):
            recon, posenet, _ = train(m, train_set(a.data, "car"), Hyper(iterations=0), seed=1)
        rows.append({"method": m, "iterations": 0, **score(METHODS[m], recon, posenet, val, test)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def train_worker(a):
    "Train this worker's runs in order, scoring each (and the untrained networks once); rows appended to JSON."
    val, test = load_split(a.data, "car", "val"), load_split(a.data, "car", "test")
    out = RESULTS/f"pilot_ssl_pointcloud_{a.worker}.json"
    rows = json.loads(out.read_text()) if out.exists() else []
    (a.data/"pilot_models").mkdir(exist_ok=True)
    if a.worker == "b": rows += untrained_rows(a, val, test)
    for name, n, start in PLAN[a.worker]:
        method = CC_LONG if name == "Ours-CC-long" else METHODS[name]
        data, init = train_set(a.data, "car"), None
        if start is not None:
            wait_for(ckpt(a, "Ours-CC", start))
            init = torch.load(ckpt(a, "Ours-CC", start))
            recon0, _, _ = train("Ours-CC", data, Hyper(iterations=0), init=init)
            data.knn = mine_neighbours(recon0, data.images, k=5)
        hp = Hyper(iterations=n, batch_size=SMALL["11_train"]["batch_size"], log_every=max(1, n // 10))
        t0 = time.time()
        with use_seed(1):
            recon, posenet, hist = train(method, data, hp, seed=1, init=init)
        secs = time.time() - t0
        if name == "Ours-CC":
            tmp = ckpt(a, name, n).with_suffix(".tmp")
            torch.save({"recon": recon.state_dict(), "pose": posenet.state_dict()}, tmp); tmp.rename(ckpt(a, name, n))
        total = n + (start or 0)
        rows.append({"method": name, "iterations": total, "from_cc": start, "train_s": round(secs, 1),
                     **score(method, recon, posenet, val, test)})
        print(json.dumps(rows[-1]), flush=True)
        out.write_text(json.dumps(rows, indent=1))


def report(a):
    "Merge the workers' rows into a table (methods × total iterations) and a plot."
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
    rows = [r for w in PLAN for r in json.loads((RESULTS/f"pilot_ssl_pointcloud_{w}.json").read_text())]
    df = pd.DataFrame(rows)
    label = lambda r: r.method if pd.isna(r.get("from_cc")) else f"{r.method} (from CC@{int(r.from_cc)})"
    df["label"] = df.apply(label, axis=1)
    table = df.pivot_table(index="iterations", columns="label", values="chamfer")
    sp = df.pivot_table(index="iterations", columns="label", values="spread")
    gt = float(df.gt_spread.dropna().iloc[0])
    text = ("Test Chamfer x1000 (lower is better), one seed; iterations 0 = untrained (the audit)\n\n"
            + table.round(3).to_markdown() + "\n\nSpread of the predictions (mean pairwise Chamfer x1000; "
            f"ground truth: {gt:.3f})\n\n" + sp.round(3).to_markdown() + "\n\nTraining seconds (one thread)\n\n"
            + df.pivot_table(index="iterations", columns="label", values="train_s").to_markdown() + "\n")
    (RESULTS/"pilot_ssl_pointcloud.md").write_text(text)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    floor = table.pop("Mean shape (floor)").iloc[0]
    for col in table:
        s = table[col].dropna()
        axes[0].plot(s.index, s.values, marker="o", label=col)
        s = sp[col].dropna(); axes[1].plot(s.index, s.values, marker="o", label=col)
    axes[0].axhline(floor, color="k", ls="--", label="mean shape (floor)")
    axes[1].axhline(gt, color="k", ls="--", label="ground truth")
    axes[0].set_title("car test Chamfer x1000 by training budget (0 = untrained)", fontsize=9)
    axes[1].set_title("spread of the predictions (mean pairwise Chamfer x1000)", fontsize=9)
    for ax in axes: ax.set_xlabel("total training iterations"); ax.legend(fontsize=7)
    fig.tight_layout(); fig.savefig(RESULTS/"pilot_ssl_pointcloud.png", dpi=120)
    print(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["prepare", "train", "report"])
    ap.add_argument("worker", nargs="?", choices=list(PLAN), default="a", help="which share of the runs to train")
    ap.add_argument("--data", type=Path, default=Path("/tmp/pilot_ssl_pointcloud"), help="the pilot's dataset root")
    ap.add_argument("--models", type=int, default=1000, help="car objects (split 70/10/20)")
    ap.add_argument("--seed", type=int, default=7, help="the collection's seed (small's data uses 0)")
    a = ap.parse_args(argv)
    {"prepare": prepare, "train": train_worker, "report": report}[a.step](a)


if __name__ == "__main__":
    sys.exit(main())
