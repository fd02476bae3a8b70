"""Device placement, checked without a GPU. On PyTorch's `meta` device a constant made on the CPU either raises (as it
would on CUDA) or leaves an output on the CPU; both fail here. The GPU lease of 2026-11-27 found these functions
crashing on the first CUDA training step (docs/gpu.md); the CUDA tests themselves need a GPU and skip without one.
`look_at` checks its inputs' values, which a meta tensor does not have, so its up vector is not checked here."""
import pytest, torch
from paper_kit.geometry.camera import ssl_camera, world_matrix, camera_position
from paper_kit.unicorn.template import unicorn_camera


def meta(*shape): return torch.zeros(*shape, device="meta")


def on_meta(*tensors): return all(t.device.type == "meta" for t in tensors)


def test_ssl_camera_follows_its_angles():
    assert on_meta(*ssl_camera(meta(3), meta(3)))


def test_world_matrix_and_camera_position_follow_their_inputs():
    assert on_meta(world_matrix(meta(2, 3, 3), meta(2, 3)), camera_position(meta(2), meta(2), meta(2)))


def test_unicorn_camera_follows_the_prediction():
    assert on_meta(*unicorn_camera(meta(2, 3, 3), meta(2, 3)))


def test_semantic_transfer_draws_on_the_cpu_and_follows_the_renders():
    import numpy as np
    from paper_kit.semantic_transfer.networks import VoxelGenerator
    from paper_kit.semantic_transfer.train import with_backgrounds
    gen = VoxelGenerator(width=2, res=16).to("meta")
    assert on_meta(gen(2, torch.Generator().manual_seed(0)))     # a CPU generator, the code drawn on the CPU
    batch = with_backgrounds(dict(rgb=meta(2, 3, 8, 8), silhou=meta(2, 1, 8, 8)), np.random.default_rng(0), 1.0)
    assert on_meta(batch["rgb"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_semantic_transfer_viewpoint_loss_on_cuda():
    """The soft bins are made beside the angles: `to_bins` checks the angles' values (which `meta` lacks), and the
    sketch and view steps failed on CUDA with their bins on the CPU until the lease of 2026-11-30."""
    from paper_kit.semantic_transfer.viewpoint import viewpoint_loss
    g = torch.Generator().manual_seed(0)
    az, el = torch.rand(4, generator=g) * 6.28, torch.rand(4, generator=g) * 3.14
    la, le = torch.randn(4, 24, generator=g).log_softmax(1), torch.randn(4, 12, generator=g).log_softmax(1)
    on_gpu = viewpoint_loss(*(t.cuda() for t in (la, le, az, el)))
    assert on_gpu.device.type == "cuda"
    torch.testing.assert_close(on_gpu.cpu(), viewpoint_loss(la, le, az, el), rtol=1e-5, atol=1e-4)
