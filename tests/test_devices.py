"""Device placement, checked without a GPU. On PyTorch's `meta` device a constant made on the CPU either raises (as it
would on CUDA) or leaves an output on the CPU; both fail here. The GPU lease of 2026-11-27 found these functions
crashing on the first CUDA training step (docs/gpu.md); the CUDA tests themselves need a GPU and skip without one.
`look_at` checks its inputs' values, which a meta tensor does not have, so its up vector is not checked here."""
import torch
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
