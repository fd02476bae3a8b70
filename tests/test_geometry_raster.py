"Tests for paper_kit.geometry.raster: gradients, sparse vs dense, hard renders vs an independent ray caster."
import math
import numpy as np
import pytest
import torch
import trimesh

from paper_kit.geometry.camera import look_at, intrinsics_fov, camera_center
from paper_kit.geometry.raster import soft_rasterize, dense_soft_rasterize, hard_render, check_mesh

D64 = torch.float64


def random_mesh(n_faces=6, seed=0, dtype=D64, spread=0.8):
    g = torch.Generator().manual_seed(seed)
    verts = (torch.rand(n_faces * 3, 3, generator=g, dtype=dtype) - 0.5) * spread
    faces = torch.arange(n_faces * 3).reshape(n_faces, 3)
    colors = torch.rand(n_faces * 3, 3, generator=g, dtype=dtype)
    return verts, faces, colors


def cameras(az, el, dist=2.0, fov=40.0, size=16, dtype=D64):
    R, T = look_at(torch.tensor(az, dtype=torch.float32), torch.tensor(el, dtype=torch.float32), dist)
    K = intrinsics_fov(fov, size, batch=len(az))
    return R.to(dtype), T.to(dtype), K.to(dtype)


# ---------------------------------------------------------------- gradients (float64 gradcheck)
def _tiny():
    # two overlapping triangles at clearly different depths, seen at 8x8 with a wide blur
    verts = torch.tensor([[-0.5, -0.4, 0.1], [0.45, -0.3, 0.1], [0.0, 0.5, 0.1],
                          [-0.3, 0.2, -0.3], [0.5, 0.35, -0.3], [0.1, -0.5, -0.3]], dtype=D64)
    faces = torch.tensor([[0, 1, 2], [3, 4, 5]])
    colors = torch.tensor([[1., 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=D64)
    return verts, faces, colors, cameras([10.0], [15.0], 2.0, 50.0, 8)


KW = dict(image_size=8, sigma=2e-2, gamma=2e-2, far=10.0, dist_eps=1e-12)


@pytest.mark.parametrize("mode", ["softras", "layered"])
def test_gradcheck_silhouette_vertices(mode):
    v, f, c, (R, T, K) = _tiny()
    fn = lambda v: soft_rasterize(v, f, R, T, K, mode=mode, **KW)["silhouette"]
    assert torch.autograd.gradcheck(fn, (v.clone().requires_grad_(),), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("mode", ["softras", "layered"])
def test_gradcheck_colour_vertices_and_colours(mode):
    v, f, c, (R, T, K) = _tiny()
    fn = lambda v, c: soft_rasterize(v, f, R, T, K, colors=c, mode=mode, background=(0.2, 0.3, 0.4), **KW)["rgb"]
    assert torch.autograd.gradcheck(fn, (v.clone().requires_grad_(), c.clone().requires_grad_()), eps=1e-6, atol=1e-5)


def test_gradcheck_face_colours():
    v, f, c, (R, T, K) = _tiny()
    fc = torch.tensor([[0.9, 0.1, 0.2], [0.1, 0.8, 0.3]], dtype=D64, requires_grad=True)
    fn = lambda fc: soft_rasterize(v, f, R, T, K, colors=fc, colors_per="face", **KW)["rgb"]
    assert torch.autograd.gradcheck(fn, (fc,), eps=1e-6, atol=1e-5)


def test_gradcheck_uv_texture_softras():
    "SoftRas mode's hand-written backward feeds the texture lookup: vertices, texture image and UVs."
    from paper_kit.geometry.raster import UVTexture
    v, f, c, (R, T, K) = _tiny()
    g = torch.Generator().manual_seed(0)
    maps, uvs = torch.rand(1, 3, 4, 5, generator=g, dtype=D64), torch.rand(6, 2, generator=g, dtype=D64) * 0.8 + 0.1
    fn = lambda v, m, uv: soft_rasterize(v, f, R, T, K, colors=UVTexture(m, uv), **KW)["rgb"]
    assert torch.autograd.gradcheck(fn, (v.clone().requires_grad_(), maps.requires_grad_(), uvs.requires_grad_()),
                                    eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("seed", range(3))
def test_softras_gradients_match_dense_reference(seed):
    "The Function's chain rule against autograd through the dense reference: random meshes, two views, 1 px blur."
    v, f, c = random_mesh(10, seed)
    g = torch.Generator().manual_seed(200 + seed)
    az, el = (torch.rand(2, generator=g) * 360).tolist(), (torch.rand(2, generator=g) * 80 - 40).tolist()
    R, T, K = cameras(az, el, 1.8, 45.0, 16)
    wsil, wrgb = torch.rand(2, 16, 16, generator=g, dtype=D64), torch.rand(2, 3, 16, 16, generator=g, dtype=D64)
    grads = []
    for fn, extra in ((soft_rasterize, {}), (soft_rasterize, {"max_pairs": 7}), (dense_soft_rasterize, {})):
        vv, cc = v.clone().requires_grad_(), c.clone().requires_grad_()
        out = fn(vv, f, R, T, K, 16, colors=cc, sigma=1e-3, gamma=1e-3, background=(0.3, 0.6, 0.9), **extra)
        ((out["silhouette"] * wsil).sum() + (out["rgb"] * wrgb).sum()).backward()
        grads.append((vv.grad, cc.grad))
    for (gv, gc) in grads[:2]:
        torch.testing.assert_close(gv, grads[2][0], atol=1e-9 * grads[2][0].abs().max().item(), rtol=0)
        torch.testing.assert_close(gc, grads[2][1], atol=1e-10, rtol=0)
    assert grads[2][0].abs().max() > 0 and grads[2][1].abs().max() > 0


def test_softras_second_derivative_is_refused():
    "The hand-written backward is not itself differentiable: asking for a second derivative raises, never misleads."
    v, f, c, (R, T, K) = _tiny()
    v = v.clone().requires_grad_()
    (g,) = torch.autograd.grad(soft_rasterize(v, f, R, T, K, **KW)["silhouette"].sum(), v, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable|double backward"):
        g.sum().backward()


# ---------------------------------------------------------------- sparse == dense
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("mode", ["softras", "layered"])
def test_sparse_matches_dense(seed, mode):
    v, f, c = random_mesh(10, seed)
    g = torch.Generator().manual_seed(100 + seed)
    az, el = (torch.rand(2, generator=g) * 360).tolist(), (torch.rand(2, generator=g) * 80 - 40).tolist()
    R, T, K = cameras(az, el, 1.6 + seed * 0.3, 45.0, 16)
    kw = dict(image_size=(16, 14), colors=c, sigma=3e-4 * (seed + 1), mode=mode, faces_per_pixel=4, background=0.5)
    s = soft_rasterize(v, f, R, T, K, **kw)
    d = dense_soft_rasterize(v, f, R, T, K, **kw)
    torch.testing.assert_close(s["silhouette"], d["silhouette"], atol=1e-12, rtol=0)
    torch.testing.assert_close(s["rgb"], d["rgb"], atol=1e-9, rtol=0)
    # chunked enumeration (tiny chunks) changes nothing, including the streaming softmax
    sc = soft_rasterize(v, f, R, T, K, **kw, max_pairs=7)
    torch.testing.assert_close(sc["silhouette"], s["silhouette"], atol=1e-12, rtol=0)
    torch.testing.assert_close(sc["rgb"], s["rgb"], atol=1e-9, rtol=0)


def test_truncation_error_bounded_by_dist_eps():
    v, f, _ = random_mesh(10, 3)
    R, T, K = cameras([30.0, 200.0], [10.0, -20.0], 2.0, 40.0, 16)
    for dist_eps in (1e-3, 1e-4, 1e-6):
        s = soft_rasterize(v, f, R, T, K, 16, sigma=1e-3, dist_eps=dist_eps)["silhouette"]
        d = dense_soft_rasterize(v, f, R, T, K, 16, sigma=1e-3, truncate=False)["silhouette"]
        assert (s - d).abs().max() <= len(f) * dist_eps


def test_float32_matches_float64():
    v, f, c = random_mesh(10, 1)
    R, T, K = cameras([40.0], [20.0], 2.0, 40.0, 16)
    a = soft_rasterize(v, f, R, T, K, 16, colors=c, sigma=1e-3)
    b = soft_rasterize(v.float(), f, R.float(), T.float(), K.float(), 16, colors=c.float(), sigma=1e-3)
    torch.testing.assert_close(b["silhouette"].double(), a["silhouette"], atol=1e-4, rtol=0)
    assert b["rgb"].dtype == torch.float32


# ---------------------------------------------------------------- hard renderer vs trimesh ray casting
def composite_mesh():
    box = trimesh.creation.box((0.6, 0.3, 0.4))
    cyl = trimesh.creation.cylinder(0.12, 0.7, sections=24)
    cyl.apply_translation((0.2, 0.1, 0.1))
    sph = trimesh.creation.icosphere(2, radius=0.2)
    sph.apply_translation((-0.25, 0.2, -0.1))
    return trimesh.util.concatenate([box, cyl, sph])


def meshes():
    out = {"icosphere": trimesh.creation.icosphere(3, radius=0.5),
           "box": trimesh.creation.box((0.8, 0.5, 0.6)), "composite": composite_mesh()}
    from paper_kit.geometry.shapes import make_shape
    out["procedural_chair"] = make_shape("chair", seed=0).mesh
    return out


def have_sh3d():
    from paper_kit.geometry.sh3d import sh3d_root
    try: return sh3d_root().is_dir()
    except FileNotFoundError: return False


# real artist meshes from Debian's sweethome3d-furniture, raw as they are rendered into datasets: thin legs,
# open edges and (the Ford Focus) edges shared by more than two faces
REAL_MODELS = ["sh3d_Scopia_office_chair", "sh3d_BlendSwap-CC-BY_fordFocus"]


def ray_cast(mesh, R, T, K, H, W):
    "Independent reference: trimesh rays from the camera centre through every pixel centre."
    C = camera_center(R[None].double(), T[None].double())[0].numpy()
    v, u = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    Kd = K.double().numpy()
    dc = np.stack([(u - Kd[0, 2]) / Kd[0, 0], (v - Kd[1, 2]) / Kd[1, 1], np.ones_like(u, dtype=float)],
                  -1).reshape(-1, 3)
    dw = dc @ R.double().numpy()                     # R^T d for row vectors
    loc, idx_ray, idx_tri = mesh.ray.intersects_location(np.repeat(C[None], len(dw), 0), dw, multiple_hits=False)
    mask = np.zeros(H * W, bool); depth = np.zeros(H * W)
    mask[idx_ray] = True
    depth[idx_ray] = (loc @ R.double().numpy().T + T.double().numpy())[:, 2]
    return mask.reshape(H, W), depth.reshape(H, W)


@pytest.mark.parametrize("name", list(meshes()))
def test_hard_render_matches_ray_caster(name):
    check_hard_vs_rays(meshes()[name], name)


@pytest.mark.skipif(not have_sh3d(), reason="Debian package sweethome3d-furniture is not installed")
@pytest.mark.parametrize("uid", REAL_MODELS)
def test_hard_render_matches_ray_caster_real_mesh(uid, tmp_path, monkeypatch):
    from paper_kit.geometry.sh3d import load_sh3d
    monkeypatch.setenv("PAPER_KIT_ROOT", str(tmp_path))       # the model cache goes to a temporary folder
    mesh = load_sh3d(uid, watertight=False).mesh
    assert len(mesh.faces) > 1000
    check_hard_vs_rays(mesh, uid)


def check_hard_vs_rays(mesh, name):
    "Hard-mode mask, depth and normals from three views against trimesh ray casting through every pixel centre."
    H, W = 48, 40
    v, f = torch.tensor(mesh.vertices, dtype=torch.float32), torch.tensor(mesh.faces)
    R, T = look_at(torch.tensor([25.0, 160.0, 290.0]), torch.tensor([20.0, -15.0, 50.0]), 2.2)
    K = intrinsics_fov(35, H, W, batch=3)
    out = hard_render(v, f, R, T, K, (H, W), name=name, allow_degenerate=True)
    for b in range(3):
        m_ref, d_ref = ray_cast(mesh, R[b], T[b], K[b], H, W)
        m = out["mask"][b].numpy()
        iou = (m & m_ref).sum() / (m | m_ref).sum()
        assert iou >= 0.99, (name, b, iou)
        both = m & m_ref
        err = np.abs(out["depth"][b].numpy() - d_ref)[both]
        assert np.median(err) < 1e-5 and np.mean(err > 1e-3) < 0.01, (name, b, err.max())
        assert (out["depth"][b][~out["mask"][b]] == 0).all() and (out["face_index"][b][~out["mask"][b]] == -1).all()
        n = out["normals"][b].permute(1, 2, 0)[out["mask"][b]]
        torch.testing.assert_close(n.norm(dim=-1), torch.ones(len(n)), atol=1e-5, rtol=0)


def test_hard_render_face_index_and_normals():
    mesh = trimesh.creation.icosphere(2, radius=0.5)
    v, f = torch.tensor(mesh.vertices, dtype=D64), torch.tensor(mesh.faces)
    R, T, K = cameras([30.0], [20.0], 2.5, 30.0, 32)
    out = hard_render(v, f, R, T, K, 32, vertex_normals=v * 2, shading=True)
    fi = out["face_index"][0]
    # the visible face's normal points toward the camera (outward faces of a convex mesh)
    n = torch.tensor(mesh.face_normals)[fi[fi >= 0]] @ R[0].T
    assert (n[:, 2] < 0).all()
    # interpolated vertex normals of a sphere = direction to the surface point
    nrm = out["normals"][0].permute(1, 2, 0)[fi >= 0]
    assert (nrm * n).sum(-1).min() > 0.95
    assert out["rgb"].min() >= 0 and out["rgb"].max() <= 1


def test_camera_convention():
    sq = torch.tensor([[-0.2, -0.2, 0], [0.2, -0.2, 0], [0.2, 0.2, 0], [-0.2, 0.2, 0]])
    f = torch.tensor([[0, 1, 2], [0, 2, 3]])
    R, T = look_at(torch.tensor([0.0]), torch.tensor([0.0]), 3.0)
    K = intrinsics_fov(40, 32, batch=1)
    right = hard_render(sq + torch.tensor([0.4, 0, 0]), f, R, T, K, 32)["mask"][0]
    up = hard_render(sq + torch.tensor([0, 0.4, 0]), f, R, T, K, 32)["mask"][0]
    cols, rows = right.nonzero()[:, 1].float().mean(), up.nonzero()[:, 0].float().mean()
    assert cols > 15.5 + 3 and rows < 15.5 - 3
    soft = soft_rasterize(sq + torch.tensor([0.4, 0, 0]), f, R, T, K, 32)["silhouette"][0]
    assert soft[:, 16:].sum() > 10 * soft[:, :16].sum()


# ---------------------------------------------------------------- robustness
def test_no_nan_for_degenerate_and_clipped_faces():
    # a face seen edge-on (its plane contains the camera centre), a zero-area face, a face behind the camera
    v = torch.tensor([[-0.3, -0.3, 0], [0.3, -0.3, 0], [0, 0.3, 0],        # normal face
                      [0.0, -0.2, 0.3], [0.0, 0.2, -0.3], [0.0, 0.3, 0.2],  # plane x = 0 contains the camera
                      [0.1, 0.1, 0.1], [0.1, 0.1, 0.1], [0.2, 0.1, 0.0],   # zero area
                      [0.0, 0.0, 2.5], [0.3, 0.0, 2.5], [0.0, 0.3, 3.5]], dtype=D64, requires_grad=True)
    f = torch.arange(12).reshape(4, 3)
    R, T, K = cameras([0.0], [0.0], 2.0, 40.0, 16)
    with pytest.raises(ValueError, match="1 zero-area faces in mesh 'bad'"):
        soft_rasterize(v, f, R, T, K, 16, name="bad")
    for mode in ("softras", "layered"):
        out = soft_rasterize(v, f, R, T, K, 16, colors=v.detach().abs(), mode=mode, allow_degenerate=True)
        (out["silhouette"].sum() + out["rgb"].sum()).backward()
        assert torch.isfinite(out["rgb"]).all() and torch.isfinite(v.grad).all()
        v.grad = None
    h = hard_render(v.detach(), f, R, T, K, 16, allow_degenerate=True, shading=True)
    assert all(torch.isfinite(x.float()).all() for x in h.values())
    assert set(h["face_index"].unique().tolist()) <= {-1, 0, 1}


def bad_calls():
    v, f, c = random_mesh(4, 0)
    R, T, K = cameras([0.0], [0.0])
    nanv = v.clone(); nanv[3, 1] = float("nan")
    return [
        (lambda: soft_rasterize(nanv, f, R, T, K, 16), "verts: NaN"),
        (lambda: soft_rasterize(v, f + 100, R, T, K, 16), "faces: vertex indices"),
        (lambda: soft_rasterize(v, f.float(), R, T, K, 16), "faces: expected an integer"),
        (lambda: soft_rasterize(v, f[:0], R, T, K, 16), "faces: no faces"),
        (lambda: soft_rasterize(v, f[:, :2], R, T, K, 16), r"faces: expected shape \(F, 3\)"),
        (lambda: soft_rasterize(v, f, R, T, K, (16, -1)), "image_size"),
        (lambda: soft_rasterize(v, f, R, T, K, 16.0), "image_size"),
        (lambda: soft_rasterize(v, f, R, T, K, 16, colors=c[:5]), "colors: expected shape"),
        (lambda: soft_rasterize(v, f, R, T, K, 16, colors=c, background=(1, 1)), "background"),
        (lambda: soft_rasterize(v, f, R, T, K, 16, mode="nope"), "mode"),
        (lambda: soft_rasterize(v, f, R, T, K, 16, sigma=0), "sigma"),
        (lambda: soft_rasterize(v, f, R[:, :2], T, K, 16), "R: expected shape"),
        (lambda: soft_rasterize(v[None].expand(2, -1, -1), f, R.expand(3, 3, 3), T, K, 16), "batch size"),
        (lambda: hard_render(v, f, R, T, K, 16, face_colors=torch.rand(3, 3)), "face_colors"),
        (lambda: hard_render(v, f, R, T, K, 16, vertex_normals=torch.rand(5, 3)), "vertex_normals"),
    ]


@pytest.mark.parametrize("i", range(15))
def test_bad_input(i):
    fn, msg = bad_calls()[i]
    with pytest.raises(ValueError, match=msg):
        fn()


def test_ambiguous_colours():
    v = torch.tensor([[0., 0, 0], [1, 0, 0], [0, 1, 0]]); f = torch.tensor([[0, 1, 2]])
    R, T, K = cameras([0.0], [0.0], dtype=torch.float32)
    c = torch.rand(1, 3)
    with pytest.raises(ValueError, match="ambiguous"):   # V = 3, F = 1: fine; make V = F
        soft_rasterize(v[:3], torch.tensor([[0, 1, 2], [0, 2, 1], [1, 2, 0]]), R, T, K, 8, colors=torch.rand(3, 3))
    soft_rasterize(v, f, R, T, K, 8, colors=c, colors_per="face")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_parity():
    v, f, c = random_mesh(10, 2, torch.float32)
    R, T, K = cameras([30.0, 100.0], [10.0, 40.0], 2.0, 40.0, 16, torch.float32)
    for mode in ("softras", "layered"):
        a = soft_rasterize(v, f, R, T, K, 16, colors=c, mode=mode, sigma=1e-3)
        b = soft_rasterize(v.cuda(), f.cuda(), R.cuda(), T.cuda(), K.cuda(), 16, colors=c.cuda(), mode=mode, sigma=1e-3)
        torch.testing.assert_close(b["silhouette"].cpu(), a["silhouette"], atol=1e-5, rtol=0)
        torch.testing.assert_close(b["rgb"].cpu(), a["rgb"], atol=1e-4, rtol=0)
    ico = trimesh.creation.icosphere(3, radius=0.5)
    vi, fi = torch.tensor(ico.vertices, dtype=torch.float32), torch.tensor(ico.faces)
    ha = hard_render(vi, fi, R, T, K, 16)
    hb = hard_render(vi.cuda(), fi.cuda(), R.cuda(), T.cuda(), K.cuda(), 16)
    assert (ha["mask"] == hb["mask"].cpu()).float().mean() > 0.999
