"""ssl_pointcloud building blocks: the networks' layer sizes (supplement Tables 6-7), gradient routing between the
two optimisers, the ULSP silhouette against its dense form, neighbour mining against a naive search, checkpoints,
where each training replicate's files live, the mean-shape floor, and clear errors on bad input."""
import math
from pathlib import Path
import numpy as np, pytest, torch
from paper_kit.ssl_pointcloud.model import ReconNet, PoseNet
from paper_kit.ssl_pointcloud.train import (TrainSet, Hyper, METHODS, train, _losses, sample_poses, ulsp_silhouette,
                                            ulsp_silhouette_dense, mine_neighbours, save_checkpoint, load_checkpoint,
                                            networks_from, predict, checkpoint_path, knn_root, replicate_seed,
                                            rotation_key)
from paper_kit.ssl_pointcloud.evaluate import medoid, chamfer_matrix, one_per_model
from paper_kit.ssl_pointcloud.losses import affinity_loss, symmetry_loss, mask_bce
from paper_kit.geometry.points import ssl_project


def test_layer_sizes_follow_supplement_tables():
    net, sizes = ReconNet(), []
    h = net.trunk[0](torch.zeros(1, 3, 64, 64)); sizes.append(tuple(h.shape[1:]))
    for i in (2, 4, 6):
        h = net.trunk[i](torch.relu(h)); sizes.append(tuple(h.shape[1:]))
    assert sizes == [(32, 32, 32), (64, 16, 16), (128, 8, 8), (256, 4, 4)]          # E_s1..E_s4
    assert [m.out_features for m in net.enc if isinstance(m, torch.nn.Linear)] == [128]        # D_s1
    assert net.xyz.out_features == 1024 * 3 and net.rgb.out_features == 1024 * 3               # D_s4, D_c4
    assert net.color_dec[0].in_features == 256                                                  # concat(D_s3, D_c3)
    pose = PoseNet()
    v = pose(torch.rand(4, 3, 64, 64))
    assert v.shape == (4, 2) and v.abs().max() < math.pi


def _data(n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    pts = (torch.rand(n, 400, 3, generator=g) - 0.5) * torch.tensor([0.5, 0.8, 0.4])
    col = torch.rand(n, 400, 3, generator=g)
    v = sample_poses(n, 1, g)[:, 0]
    m, rgb = ssl_project(pts, col, v[:, 0], v[:, 1])
    return TrainSet(rgb, (m > 0.5).float(), v, [f"m{i}_0" for i in range(n)], rgb.flip(-1),
                    (m > 0.5).float().flip(-1), v)


def test_pose_supervised_methods_leave_the_pose_network_untouched():
    data = _data()
    torch.manual_seed(0)            # train() seeds, then builds ReconNet and PoseNet in this order
    ReconNet(); before = PoseNet().state_dict()
    _, posenet, _ = train("DIFFER", data, Hyper(iterations=2, batch_size=2, log_every=1), seed=0)
    for k, v in posenet.state_dict().items(): assert torch.equal(v, before[k]), k


def test_each_loss_reaches_only_its_own_network():
    data = _data()
    recon, posenet = ReconNet(), PoseNet()
    batch = {"images": data.images[:2], "masks": data.masks[:2], "poses": data.poses[:2]}
    rec, pos, L = _losses(METHODS["Ours-CC"], Hyper(), recon, posenet, batch, torch.Generator().manual_seed(0),
                          False, 64)
    assert {"image", "mask", "geo", "pose"} <= set(L)
    pos.backward(inputs=list(posenet.parameters()), retain_graph=True)
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in recon.parameters())
    assert sum(float(p.grad.abs().sum()) for p in posenet.parameters() if p.grad is not None) > 0
    rec.backward(inputs=list(recon.parameters()))
    assert sum(float(p.grad.abs().sum()) for p in recon.parameters() if p.grad is not None) > 0


def test_ulsp_silhouette_sparse_matches_dense():
    g = torch.Generator().manual_seed(1)
    pts = (torch.rand(3, 500, 3, generator=g) - 0.5) * 0.7
    az, el = torch.tensor([0.2, 1.5, -2.9]), torch.tensor([-0.3, 0.0, 0.6])
    torch.testing.assert_close(ulsp_silhouette(pts.double(), az.double(), el.double()),
                               ulsp_silhouette_dense(pts.double(), az.double(), el.double()), atol=1e-4, rtol=0)


def test_mined_neighbours_match_a_naive_search():
    recon = ReconNet().eval()
    imgs = torch.rand(12, 3, 64, 64)
    nb = mine_neighbours(recon, imgs, k=3)
    with torch.no_grad(): f = recon.encode(imgs).double()
    for i in range(12):
        d = [(float((f[i] - f[j]).norm()), j) for j in range(12) if j != i]
        assert set(nb[i].tolist()) == {j for _, j in sorted(d)[:3]}


def test_checkpoint_roundtrip_and_wrong_method(tmp_path):
    data = _data()
    recon, posenet, hist = train("Ours-No-CC", data, Hyper(iterations=1, batch_size=2, log_every=1), seed=0)
    p = tmp_path/"m.pt"
    save_checkpoint(p, METHODS["Ours-No-CC"], Hyper(), recon, posenet, hist)
    r2, p2 = networks_from(load_checkpoint(p, "Ours-No-CC"), 64)
    torch.testing.assert_close(predict(r2, p2, data.images[:2])["points"],
                               predict(recon, posenet, data.images[:2])["points"])
    with pytest.raises(ValueError, match="Ours-CC"): load_checkpoint(p, "Ours-CC")
    with pytest.raises(FileNotFoundError, match="missing.pt"): load_checkpoint(tmp_path/"missing.pt")
    assert not list(tmp_path.glob("*.tmp*"))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"\(B, 3, 64, 64\)"): ReconNet()(torch.rand(2, 4, 64, 64))
    with pytest.raises(ValueError, match="NaN"): PoseNet()(torch.full((1, 3, 64, 64), float("nan")))
    with pytest.raises(ValueError, match="masks"):
        TrainSet(torch.rand(3, 3, 64, 64), torch.rand(3, 32, 32), torch.zeros(3, 2), ["a_0", "b_0", "c_0"])
    with pytest.raises(ValueError, match="no training images"):
        TrainSet(torch.rand(0, 3, 64, 64), torch.rand(0, 64, 64), torch.zeros(0, 2), [])
    with pytest.raises(ValueError, match="ULSP"):
        d = _data(); d.images2 = None
        train("ULSP", d, Hyper(iterations=1, batch_size=2))
    with pytest.raises(ValueError, match="mask_bce"): mask_bce(torch.zeros(1, 4, 4), torch.zeros(1, 4, 5))


def test_affinity_and_symmetry_are_zero_only_for_perfect_inputs():
    gt = torch.zeros(2, 16, 16); gt[:, 4:10, 5:12] = 1
    f, b = affinity_loss(gt, gt * 0.9, mode="paper")
    assert float(f) == 0 and float(b) == 0
    shifted = torch.roll(gt, 3, dims=2) * 0.9
    f, b = affinity_loss(gt, shifted, mode="paper")
    assert float(f) > 0 and float(b) > 0
    # the official form is a per-pixel penalty of 1e6 on false positives and false negatives
    f0, b0 = affinity_loss(gt, gt * 0.9); f1, b1 = affinity_loss(gt, shifted)
    assert float(f1) > 1e3 * float(f0) and float(b1) > float(b0)
    half = torch.rand(1, 100, 3); half[..., 1] = half[..., 1].abs() + 0.05
    # float32 cdist rounding
    assert float(symmetry_loss(torch.cat([half, half * torch.tensor([1., -1, 1])], 1))) < 1e-6
    assert float(symmetry_loss(torch.cat([half, half * torch.tensor([1., -1, 1]) + 0.1], 1))) > 1e-3


def test_replicate_zero_keeps_the_one_seed_paths_and_every_replicate_has_its_own():
    assert checkpoint_path("m", "chair", "Ours-NN") == Path("m/chair/Ours-NN.pt")
    assert knn_root("m") == Path("m/neighbours") and rotation_key("chair", "Ours-NN") == "chair/Ours-NN"
    ckpts = {checkpoint_path("m", "chair", "Ours-NN", r) for r in range(3)}
    knns = {knn_root("m", r) for r in range(3)}
    keys = {rotation_key("chair", "Ours-NN", r) for r in range(3)}
    assert len(ckpts) == len(knns) == len(keys) == 3
    assert checkpoint_path("m", "chair", "Ours-NN", 2).parent.parent == knn_root("m", 2).parent == Path("m/seed2")
    assert [replicate_seed(5, r) for r in range(3)] == [5, 1005, 2005]
    for bad in (-1, 1.0, True):
        with pytest.raises(ValueError, match="replicate"): checkpoint_path("m", "chair", "Ours-NN", bad)


def test_medoid_is_the_cloud_closest_to_the_others():
    g = torch.Generator().manual_seed(0)
    clouds = torch.rand(6, 128, 3, generator=g) * torch.tensor([1., 1, 1, 1, 1, 4])[:, None, None]   # one outlier
    d = chamfer_matrix(clouds, clouds, pts=128)
    assert d.shape == (6, 6) and torch.allclose(d.diagonal(), torch.zeros(6), atol=1e-7)
    naive = min(range(6), key=lambda i: float(d[i].mean()))
    assert torch.equal(medoid(clouds, pts=128), clouds[naive]) and naive != 5
    assert one_per_model(["b", "a", "b", "c", "a"], limit=2) == [0, 1]
