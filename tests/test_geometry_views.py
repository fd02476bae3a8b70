"paper_kit.geometry.views: figure structure (trace types, counts, colours, transforms) and bad input."
import json, warnings
import numpy as np
import pytest
import trimesh
from types import SimpleNamespace
from paper_kit.geometry import views as V

RNG = np.random.default_rng(0)
PTS = RNG.uniform(-0.5, 0.5, size=(50, 3))

def test_points_colours_labels_and_look():
    cols = RNG.uniform(size=(50, 3))
    fig = V.plot_points(PTS, colors=cols, size=3)
    (tr,) = fig.data
    assert tr.type == "scatter3d" and tr.mode == "markers" and len(tr.x) == 50 and tr.marker.size == 3
    assert tr.marker.color[7] == V.rgb(cols[7]) and np.allclose(tr.x, PTS[:, 0])
    sc = fig.layout.scene
    assert (sc.aspectmode == "data" and (sc.camera.up.x, sc.camera.up.y, sc.camera.up.z) == (0, 1, 0)
            and sc.camera.eye.z > 0)
    lab = np.repeat([2, 0, 5], [10, 20, 20])
    fig = V.plot_points(PTS, labels=lab, label_names={0: "seat", 2: "back"})
    assert [t.name for t in fig.data] == ["seat", "back", "label 5"] and [len(t.x) for t in fig.data] == [20, 10, 20]
    assert fig.data[0].marker.color == V.rgb(V.PALETTE[0]) and fig.data[2].marker.color == V.rgb(V.PALETTE[5])
    assert "seat" in fig.data[0].hovertemplate
    fig.to_json()  # serialisable

def test_side_by_side_clouds_share_one_legend():
    lab = np.arange(50) % 3
    fig = V.plot_points([PTS, PTS + 1, PTS * 2], labels=[lab, lab, None], label_names=["a", "b", "c"],
                        names=["input", "GT", "ours"], cols=2)
    assert [a.text for a in fig.layout.annotations] == ["input", "GT", "ours"]
    assert [t.scene for t in fig.data] == ["scene"] * 3 + ["scene2"] * 3 + ["scene3"]
    assert [t.showlegend for t in fig.data[:6]] == [True] * 3 + [False] * 3  # "a", "b", "c" listed once
    for k in ("scene", "scene2", "scene3"): assert fig.layout[k].aspectmode == "data"
    assert fig.layout.scene3.domain.y[1] < fig.layout.scene.domain.y[0]  # third panel on the second row

def test_mesh_inputs_and_colours():
    m = trimesh.creation.box()
    fig = V.plot_mesh(m.vertices, m.faces, color=(1, 0, 0))
    (tr,) = fig.data
    assert tr.type == "mesh3d" and len(tr.i) == 12 and tr.color == "rgb(255,0,0)" and tr.flatshading
    fc = np.tile([0.0, 0.5, 1.0], (12, 1))
    assert V.plot_mesh(m, face_colors=fc).data[0].facecolor[3] == "rgb(0,128,255)"
    vc = RNG.uniform(size=(8, 3))
    assert len(V.plot_mesh(m, vertex_colors=vc).data[0].vertexcolor) == 8

def _shape():
    a, b = trimesh.creation.box((1, 0.1, 1)), trimesh.creation.box((0.1, 1, 0.1)).apply_translation((0, -0.5, 0))
    return SimpleNamespace(name="t_0001", mesh=trimesh.util.concatenate([a, b]), face_part=np.repeat([0, 1], 12),
                           part_names=["top", "leg"], part_colors=np.array([[1.0, 0, 0], [0, 0, 1.0]]))

def test_shape_record_drawn_per_part():
    s = _shape()
    fig = V.plot_mesh(s)
    assert ([t.name for t in fig.data] == ["top", "leg"]
            and [t.color for t in fig.data] == ["rgb(255,0,0)", "rgb(0,0,255)"])
    # vertices compacted per part
    assert [len(t.x) for t in fig.data] == [8, 8] and sum(len(t.i) for t in fig.data) == 24
    assert "t_0001: leg" in fig.data[1].hovertemplate

def test_voxels_faces_and_marching_cubes():
    occ = np.zeros((4, 5, 6), bool); occ[1:3, 1:4, 2:5] = True  # a 2x3x3 block
    v, f = V.voxel_faces(occ, pitch=0.5, origin=(1, 2, 3))
    mesh = trimesh.Trimesh(v, f, process=True)
    assert len(f) == 2 * 2 * (2 * 3 + 3 * 3 + 2 * 3)  # 2 triangles per exposed face
    assert np.isclose(mesh.volume, 18 * 0.125) and np.allclose(mesh.bounds, [[1.5, 2.5, 4.0], [2.5, 4.0, 5.5]])
    fig = V.plot_voxels(occ, pitch=0.5, origin=(1, 2, 3), method="marching_cubes")
    tr = fig.data[0]
    # level 0.5 between an occupied and an empty voxel centre is their shared face: same bounds as the block
    assert tr.type == "mesh3d" and np.allclose([min(tr.x), max(tr.x), min(tr.y), max(tr.y), min(tr.z), max(tr.z)],
                                               [1.5, 2.5, 2.5, 4.0, 4.0, 5.5])
    full = V.voxel_faces(np.ones((3, 3, 3), bool))[1]
    assert len(full) == 6 * 9 * 2  # interior faces are not drawn
    assert len(V.plot_voxels(np.zeros((2, 2, 2), bool), method="marching_cubes").data[0].i) == 0

def test_scene_places_objects_by_transform():
    T = np.eye(4); T[:3, 3] = (2, 0, 0)
    R = np.eye(4); R[:3, :3] = [[0, 0, 1], [0, 1, 0], [-1, 0, 0]]  # 90 degrees about y
    s = _shape()
    fig = V.plot_scene([(s, R, None, "table"), (PTS, T, "red", "cloud"),
                        {"geometry": (np.eye(3), [[0, 1, 2]]), "transform": None, "name": "tri"}], frames=True)
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert names == ["table", "cloud", "tri"]
    cloud = next(t for t in fig.data if t.name == "cloud")
    assert np.allclose(cloud.x, PTS[:, 0] + 2) and cloud.marker.color == "red"
    top = fig.data[0]  # the Shape's first part, rotated: x' = z, z' = -x
    assert np.isclose(max(top.x), 0.5) and np.isclose(max(top.z), 0.5)
    assert sum(t.mode == "lines" for t in fig.data if t.type == "scatter3d") == 9  # 3 axes per object

@pytest.mark.parametrize("call, match", [
    (lambda: V.plot_points(np.zeros((5, 2))), r"points: expected shape \(N, 3\)"),
    (lambda: V.plot_points(np.r_[PTS, [[0, np.nan, 0]]]), r"points: 1 point\(s\) with NaN or inf \(first at row 50\)"),
    (lambda: V.plot_points([PTS, PTS[:, :2]]), r"points\[1\]: expected shape"),
    (lambda: V.plot_points(PTS, colors=np.ones((49, 3))), r"colors: expected shape \(50, 3\)"),
    (lambda: V.plot_points(PTS, colors=np.full((50, 3), 2.0)), r"colors: RGB values must be finite and in \[0, 1\]"),
    (lambda: V.plot_points(PTS, labels=np.zeros(7)), r"labels: expected shape \(50,\)"),
    (lambda: V.plot_points(PTS, labels=np.full(50, 0.5)), r"labels: labels must be integers"),
    (lambda: V.plot_points([PTS, PTS], colors=[None, np.ones((3, 3))]), r"colors\[1\]: expected shape \(50, 3\)"),
    (lambda: V.plot_points([PTS, PTS], names=["a"]), r"names: 1 names for 2 clouds"),
    (lambda: V.plot_points(PTS, colors=np.ones((50, 3)), labels=np.zeros(50)), r"give colors or labels"),
    (lambda: V.plot_mesh(np.eye(3), [[0, 1, 5]]), r"mesh faces: indices must be integers in \[0, 3\)"),
    (lambda: V.plot_mesh(np.eye(3)), r"faces: required"),
    (lambda: V.plot_mesh(trimesh.creation.box(), face_colors=np.ones((3, 3))),
     r"face_colors: expected shape \(12, 3\)"),
    (lambda: V.plot_mesh(trimesh.creation.box(), vertex_colors=np.ones((12, 3))),
     r"vertex_colors: expected shape \(8, 3\)"),
    (lambda: V.plot_voxels(np.zeros((3, 3))), r"occupancy: expected shape \(D, H, W\)"),
    (lambda: V.plot_voxels(np.zeros((3, 3, 3)), pitch=0), r"pitch: must be a positive number"),
    (lambda: V.plot_voxels(np.zeros((3, 3, 3)), method="cubes"), r"method: use 'faces' or 'marching_cubes'"),
    (lambda: V.plot_scene([(PTS, np.eye(3))]), r"objects\[0\] transform: expected a finite 4x4"),
    (lambda: V.plot_scene([]), r"objects: need at least one"),
    (lambda: V.k3d_points(PTS, labels=np.zeros(3)), r"labels: expected shape \(50,\)"),
    (lambda: V.k3d_mesh(trimesh.creation.box(), face_colors=np.ones((2, 3))), r"face_colors: expected shape \(12, 3\)"),
])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match): call()

def test_k3d_snapshot_iframe_is_offline_and_quiet():
    from IPython.core.interactiveshell import InteractiveShell
    InteractiveShell.instance()
    plot = V.k3d_mesh(_shape(), height=200)
    obj = plot.objects[0]
    assert obj.indices.shape == (24, 3) and obj.colors[0] == 0xFF0000  # the top part's colour, one vertex set per face
    assert plot.camera[6:] == [0, 1, 0] and not plot.camera_auto_fit
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # IPython's "Consider using IPython.display.IFrame" must not escape
        V.show_k3d(plot, height=200)
    snap = plot.get_snapshot()
    assert "cdn." not in snap and "jsdelivr" not in snap and "unpkg" not in snap
