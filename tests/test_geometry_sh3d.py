"""Tests of paper_kit.geometry.sh3d on a tiny .sh3f library written in SweetHome3D's layout, plus the real Debian
package."""
import time, zipfile
from pathlib import Path
import numpy as np
import pytest
import trimesh

from paper_kit.geometry import sh3d
from paper_kit.geometry.sh3d import (parse_properties, catalog, our_category, load_sh3d, load_category,
                                     attribution_table, sh3d_root, sh3d_cache_dir)

REAL = Path("/usr/share/sweethome3d/furniture")


def _box_obj(parts):
    "OBJ text (and the face count) for axis-aligned boxes [(material, centre, extents), ...], one `usemtl` group each."
    lines, off, nf = ["mtllib model.mtl"], 0, 0
    for mat, c, e in parts:
        b = trimesh.creation.box(extents=e); b.apply_translation(c)
        lines += [f"g {mat}_group", f"usemtl {mat}"]
        lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in b.vertices]
        lines += [f"f {a+1+off} {b_+1+off} {c_+1+off}" for a, b_, c_ in b.faces]
        off += len(b.vertices); nf += len(b.faces)
    return "\n".join(lines) + "\n", nf


MTL = ("newmtl red\nKd 0.8 0.1 0.1\n\nnewmtl blue\nKd 0.1 0.2 0.9\n\n"
       "newmtl glass_red\nKd 1 0 0\n\nnewmtl paint\nKd 0.2 0.3 0.4\n")

# A Blender-style chair: z up, its front towards -y, so the back rest sits at +y; the catalogue rotation
# "1 0 0 0 0 1 0 -1 0" (p' = M p: x'=x, y'=z, z'=-y) turns it to y up with the front at +z.
CHAIR = [("red", (0, 0, 0.45), (0.5, 0.5, 0.05)),            # seat
         ("blue", (0, 0.23, 0.75), (0.5, 0.04, 0.6)),        # back rest at +y (Blender's back)
         ("red", (0, 0, 0.22), (0.1, 0.1, 0.44))]            # a central leg
# A y-up car already in SweetHome3D's frame: long along z, tail light at the back (-z).
CAR = [("paint", (0, 0.5, 0), (1.8, 1.0, 4.2)), ("glass_red", (0, 0.7, -2.12), (1.2, 0.2, 0.05))]

PROPS = r"""# PluginFurnitureCatalog.properties written by the test
id=Test#Lib
name=Test library
license=Creative Commons Zero
id#1=Test#chairA
name#1=Caf\u00e9 chair
category#1=Living room
creator#1=Jo\:3D \
    the second
model#1=/blendswap-cc-0/chairA/chairA.obj
modelRotation#1=1 0 0 0 0 1 0 -1 0
width#1=50
depth#1=50
height#1=105
id#2=Test#carB
name#2=Ford Test
category#2=Vehicles
creator#2=Ruff
model#2=/blendswap-cc-0/carB/carB.obj
width#2=180
depth#2=424.5
height#2=100
id#3=Test#empty
name#3=Empty table
category#3=Kitchen
creator#3=Nobody
model#3=/blendswap-cc-0/empty/empty.obj
width#3=1
depth#3=1
height#3=1
id#4=Test#nan
name#4=NaN sofa
category#4=Living room
creator#4=Nobody
model#4=/blendswap-cc-0/nan/nan.obj
width#4=1
depth#4=1
height#4=1
id#5=Test#missing
name#5=Missing bed
category#5=Bedroom
creator#5=Nobody
model#5=/blendswap-cc-0/missing/missing.obj
width#5=1
depth#5=1
height#5=1
id#6=Test#bus
name#6=Bus
category#6=Vehicles
creator#6=Somebody
model#6=/blendswap-cc-0/carB/carB.obj
width#6=1
depth#6=1
height#6=1
"""


@pytest.fixture
def lib(tmp_path, monkeypatch):
    root, work = tmp_path / "furniture", tmp_path / "work"
    root.mkdir(); work.mkdir()
    chair, _ = _box_obj(CHAIR); car, _ = _box_obj(CAR)
    with zipfile.ZipFile(root / "BlendSwap-CC-0.sh3f", "w") as z:
        z.writestr("LICENSE.TXT", "CC0")
        z.writestr("PluginFurnitureCatalog.properties", PROPS.encode("latin-1"))
        z.writestr("blendswap-cc-0/chairA/chairA.obj", chair.replace("model.mtl", "chairA.mtl"))
        z.writestr("blendswap-cc-0/chairA/chairA.mtl", MTL)
        z.writestr("blendswap-cc-0/carB/carB.obj", car.replace("model.mtl", "carB.mtl"))
        z.writestr("blendswap-cc-0/carB/carB.mtl", MTL)
        z.writestr("blendswap-cc-0/carB/BLENDSWAP_LICENSE.txt",
                   'Thank you for downloading "Car" by Ruff\nReleased under\nCreative Commons Attribution 3.0\n'
                   "Downloaded from http://www.blendswap.com/blends/view/76275\n")
        z.writestr("blendswap-cc-0/empty/empty.obj", "# nothing here\nmtllib empty.mtl\n")
        z.writestr("blendswap-cc-0/nan/nan.obj",
                   "v 0 0 0\nv 1 0 0\nv nan 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n")
    monkeypatch.setenv("PAPER_KIT_SH3D", str(root))
    monkeypatch.setenv("PAPER_KIT_ROOT", str(work))
    return root, work


def test_parse_properties_escapes():
    p = parse_properties(b"a=1\n  # comment\n! bang\nb : x\\ty\nc\\:d=\\u00e9t\\u00e9\n"
                         b"e=line \\\n   continued\\\\\nf=\xa9\n")
    assert p == {"a": "1", "b": "x\ty", "c:d": "été", "e": "line continued\\", "f": "©"}
    with pytest.raises(ValueError, match=r"\\uXXXX"):
        parse_properties("bad=\\u12G4", "mine.properties")


def test_catalog_and_categories(lib):
    cat = catalog()
    assert len(cat) == 6 and cat.index.is_unique
    r = cat.loc["sh3d_BlendSwap-CC-0_chairA"]
    assert r["name"] == "Café chair" and r["creator"] == "Jo:3D the second"
    assert r["category"] == "chair" and r["model"] == "blendswap-cc-0/chairA/chairA.obj"
    assert r["model_rotation"] == (1, 0, 0, 0, 0, 1, 0, -1, 0)
    assert (r["width"], r["depth"], r["height"]) == (50, 50, 105)
    assert r["licence"] == "CC0 1.0" and r["model_licence"] is None
    car = cat.loc["sh3d_BlendSwap-CC-0_carB"]
    # the model's own Blend Swap licence file overrides the library's CC0
    assert car["category"] == "car" and car["licence"] == "CC BY 3.0" and car["library_licence"] == "CC0 1.0"
    assert car["source_url"] == "http://www.blendswap.com/blends/view/76275"
    assert cat.set_index("name").loc["Bus", "category"] is None
    assert our_category("Office chair", "Office") == "chair" and our_category("Tablet", "Miscellaneous") is None
    assert our_category("Car model", "Bedroom") is None and our_category("Sofa 3 seats") == "sofa"


def test_load_orientation_parts_attribution(lib):
    s = load_sh3d("sh3d_BlendSwap-CC-0_chairA", watertight=False)
    v = s.mesh.vertices
    np.testing.assert_allclose(np.ptp(v, 0).max(), 1.0, atol=1e-9)
    np.testing.assert_allclose((v.min(0) + v.max(0)) / 2, 0, atol=1e-9)
    # the catalogue says 50 x 105 (height) x 50: y is the longest side after the rotation
    np.testing.assert_allclose(np.ptp(v, 0), [50 / 105, 1, 50 / 105], atol=1e-9)
    assert sorted(s.part_names) == ["blue", "red"] and s.category == "chair"
    red, blue = s.part_names.index("red"), s.part_names.index("blue")
    np.testing.assert_allclose(s.part_colors[[red, blue]], [[0.8, 0.1, 0.1], [0.1, 0.2, 0.9]], atol=1e-2)
    centres = s.mesh.triangles_center
    back, seat = centres[s.face_part == blue], centres[s.face_part == red]
    assert back[:, 2].mean() < -0.2            # the back rest is at -z: the chair faces +z
    assert back[:, 1].max() > seat[:, 1].max()  # and it rises above the seat: y is up
    assert len(s.face_part) == len(s.mesh.faces)
    np.testing.assert_allclose(s.keypoints["bbox_top_center"], [0, 0.5, 0], atol=1e-9)
    np.testing.assert_allclose(s.keypoints["bbox_front_center"][2], v[:, 2].max())
    assert "‘Café chair’ by Jo:3D the second" in s.attribution and "CC0 1.0" in s.attribution
    assert "Debian sweethome3d-furniture" in s.attribution and "Blend Swap CC-0" in s.attribution
    car = load_sh3d("Ford Test", watertight=False)       # by unique name
    tail = car.mesh.triangles_center[car.face_part == car.part_names.index("glass_red")]
    assert tail[:, 2].mean() < -0.45 and car.params["catalogue_stretch"] == pytest.approx([1, 1, 1], abs=2e-3)
    t = attribution_table([s, car])
    assert list(t.model) == ["Café chair", "Ford Test"] and list(t.licence) == ["CC0 1.0", "CC BY 3.0"]
    md = attribution_table([s, car, car], markdown=True)
    assert md.count("\n") == 3 and "| Ford Test | Ruff |" in md


def test_watertight_and_cache(lib):
    root, work = lib
    t0 = time.perf_counter(); s = load_sh3d("sh3d_BlendSwap-CC-0_chairA", resolution=3000, max_faces=4000)
    cold = time.perf_counter() - t0
    assert s.mesh.is_watertight and s.mesh.is_volume and len(s.mesh.faces) <= 4000
    assert set(np.unique(s.face_part)) == {0, 1} and s.params["is_watertight"]
    d = sh3d_cache_dir(catalog().loc["sh3d_BlendSwap-CC-0_chairA"])
    assert d == work / "data" / "sh3d" / "BlendSwap-CC-0" / "chairA"
    assert (d / "model" / "chairA.obj").exists() and (d / "model" / "chairA.mtl").exists()
    assert (d / "shape_wt3000_4000.npz").exists()
    t0 = time.perf_counter(); s2 = load_sh3d("sh3d_BlendSwap-CC-0_chairA", resolution=3000, max_faces=4000)
    warm = time.perf_counter() - t0
    assert warm < cold and warm < 0.5
    # built or read back, the same shape to the bit, so a run on a cold cache gives what its rerun gives
    np.testing.assert_array_equal(s2.mesh.vertices, s.mesh.vertices)
    np.testing.assert_array_equal(s2.part_colors, s.part_colors)
    np.testing.assert_array_equal(s2.face_part, s.face_part)
    assert all(np.array_equal(s2.keypoints[k], s.keypoints[k]) for k in s.keypoints)
    assert s2.part_names == s.part_names and s2.attribution == s.attribution and s2.params == s.params
    # the back rest is still behind after remeshing
    back = s.mesh.triangles_center[s.face_part == s.part_names.index("blue")]
    assert back[:, 2].mean() < -0.2
    shapes = load_category("chair", resolution=3000, max_faces=4000)
    assert [x.name for x in shapes] == ["sh3d_BlendSwap-CC-0_chairA"]
    assert load_category("car", licence="CC0 1.0") == []


def test_bad_input(lib, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"empty.*no faces"):
        load_sh3d("sh3d_BlendSwap-CC-0_empty", watertight=False)
    with pytest.raises(ValueError, match=r"nan.*NaN"):
        load_sh3d("sh3d_BlendSwap-CC-0_nan", watertight=False)
    with pytest.raises(ValueError, match=r"missing.*no member 'blendswap-cc-0/missing/missing.obj'"):
        load_sh3d("sh3d_BlendSwap-CC-0_missing", watertight=False)
    with pytest.raises(ValueError, match="not a uid, id or name"):
        load_sh3d("no such chair")
    with pytest.raises(ValueError, match="category"):
        load_category("airplane")
    assert [s.name for s in load_category("sofa", watertight=False, skip_errors=True)] == []
    monkeypatch.setenv("PAPER_KIT_SH3D", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="sweethome3d-furniture"):
        sh3d_root()
    bad = tmp_path / "bad"; bad.mkdir(); (bad / "Broken.sh3f").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="Broken.sh3f"):
        catalog(bad)


@pytest.mark.skipif(not REAL.is_dir(), reason="Debian package sweethome3d-furniture is not installed")
def test_real_package_chair_and_car(tmp_path, monkeypatch):
    monkeypatch.delenv("PAPER_KIT_SH3D", raising=False)
    monkeypatch.setenv("PAPER_KIT_ROOT", str(tmp_path))
    cat = catalog()
    assert len(cat) == 820 and (cat.category == "car").sum() >= 10 and (cat.category == "chair").sum() >= 50
    chair = load_sh3d("sh3d_Scopia_office_chair", watertight=False)
    assert chair.category == "chair" and "Scopia" in chair.attribution and "CC BY 3.0" in chair.attribution
    car = load_sh3d("sh3d_BlendSwap-CC-BY_fordFocus", watertight=True)
    assert car.mesh.is_watertight and car.category == "car" and "Ruff" in car.attribution
    assert np.argmax(np.ptp(car.mesh.vertices, 0)) == 2   # long along z
    # tail lights (red glass) at the back: the front is +z
    z = car.mesh.triangles_center[car.face_part == car.part_names.index("glass_red"), 2]
    assert z.mean() < -0.3
    # the raw model is a render-only triangle soup: it loads although some edges are shared by three or more faces
    raw = load_sh3d("sh3d_BlendSwap-CC-BY_fordFocus", watertight=False)
    _, counts = np.unique(np.sort(raw.mesh.edges, axis=1), axis=0, return_counts=True)
    assert (counts > 2).sum() > 0 and raw.attribution == car.attribution
