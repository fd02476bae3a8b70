"""The Associative3D camera branch at another width on the 85-room pilot data (see pilot_associative3d.py):

    OMP_NUM_THREADS=1 python benchmarks/pilot_associative3d_camera_width.py WIDTH adam|sgd STEPS [HxW] [BATCH]

Writes the pilot's data first if absent (85 houses, 10 views, 70 % training); trains CameraBranch(WIDTH) with Adam
1e-3 or the official SGD (Nesterov, weight decay 1e-2) at 1e-2 on BATCH training pairs a step (default 2), each in
either order (11_train), and every 1,000 steps prints the mean training loss of the last 500 steps and the pilot's
camera metrics on the first 40 test pairs. HxW (default 48x64, 11_train's) is the branch's input size.
"""
import sys, time, json, numpy as np, torch
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
import pilot_associative3d as P
from paper_kit.kit.config import use_seed
from paper_kit.associative3d.camera_branch import CameraBranch, camera_optimizer
width, opt_name, steps = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if len(sys.argv) > 4: P.A["camera_hw"] = tuple(int(x) for x in sys.argv[4].split("x"))
if len(sys.argv) > 5: P.A["camera_batch"] = int(sys.argv[5])
root = P.pilot_rooms()
tr = P.training_set(root); te = P.test_set(root, tr, 40); floors = P.camera_floors(tr, te)
with use_seed(0):
    cam = CameraBranch(width, 128, len(tr["centres"]["trans"]), len(tr["centres"]["rot"]))
    opt = camera_optimizer(cam, 1e-2) if opt_name == "sgd" else torch.optim.Adam(cam.parameters(), 1e-3)
    rng, t0, losses = np.random.default_rng(0), time.time(), []
    for k in range(1, steps + 1):
        cam.train(); opt.zero_grad(); terms = P.camera_step(cam, tr, rng); terms["total"].backward(); opt.step()
        losses.append(float(terms["total"].detach()))
        if k % 1000 == 0:
            m = P.camera_metrics(cam, tr, te, floors)
            print(json.dumps(dict(width=width, opt=opt_name, hw=P.A["camera_hw"], batch=P.A["camera_batch"], step=k,
                                  s_per_step=round((time.time() - t0) / k, 3),
                                  loss_last_500=round(float(np.mean(losses[-500:])), 3)) |
                             {x: m[x] for x in ("trans_top1", "rot_top1", "trans_err_median", "floor_trans_top1",
                                                "floor_rot_top1", "floor_trans_err_median")}), flush=True)
