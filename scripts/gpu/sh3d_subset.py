"""Write into .gpu_sh3d/ (ignored) the SweetHome3D furniture libraries cut down to the models some runs loaded, small
enough to carry to a lent GPU machine (the full libraries are 125 MB; the carried tree may be 64 MiB).

    .venv/bin/python scripts/gpu/sh3d_subset.py WORKSPACE [WORKSPACE ...]

Each WORKSPACE is a project root whose `data/sh3d/<library>/<model>/` folders name the models its runs loaded (a
fresh workspace after `paper-kit reproduce <paper> --profile smoke`, say). Every `.sh3f` of `sh3d_root()` is
rewritten with all its catalogue files and every model's licence file (so `catalog()` gives the same table) and
only the folders of those models; a model outside the subset then fails to extract with an error naming it. On the GPU
machine `scripts/gpu/check.sh` points PAPER_KIT_SH3D at the folder when it was carried.
"""
import re, sys, zipfile
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from paper_kit.geometry.sh3d import catalog, sh3d_cache_dir, sh3d_root   # noqa: E402


def loaded_models(workspaces: list[Path]) -> set[tuple[str, str]]:
    "(library folder, model folder) of every model cached under the workspaces' data/sh3d."
    found = {(m.parent.name, m.name) for w in workspaces for m in (Path(w)/"data"/"sh3d").glob("*/*") if m.is_dir()}
    if not found: raise SystemExit(f"no data/sh3d/<library>/<model> folders under {', '.join(map(str, workspaces))}")
    return found


def model_folders(models: set[tuple[str, str]]) -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    "Per library file, the zip folders of the wanted models; and the wanted models no catalogue row names."
    keep: dict[str, set[str]] = {}
    found = set()
    for _, row in catalog().iterrows():
        d = sh3d_cache_dir(row)
        if (d.parent.name, d.name) in models:
            keep.setdefault(row["sh3f"], set()).add(str(PurePosixPath(row["model"]).parent) + "/")
            found.add((d.parent.name, d.name))
    return keep, models - found


def write_subset(out: Path, keep: dict[str, set[str]]) -> int:
    "Each library with its top-level (catalogue) files, every model's licence file and the kept folders; bytes written."
    out.mkdir(exist_ok=True)
    for old in out.glob("*.sh3f"): old.unlink()
    for lib in sorted(sh3d_root().glob("*.sh3f")):
        folders = keep.get(str(lib), set())
        with zipfile.ZipFile(lib) as src, zipfile.ZipFile(out/lib.name, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                name = info.filename.rsplit("/", 1)[-1]
                if ("/" not in info.filename or any(info.filename.startswith(f) for f in folders)
                        or re.search(r"licen[cs]e", name, re.I)):       # the catalogue reads every model's licence
                    dst.writestr(info, src.read(info))
    return sum(p.stat().st_size for p in out.glob("*.sh3f"))


def main():
    if len(sys.argv) < 2: raise SystemExit(__doc__)
    models = loaded_models([Path(a) for a in sys.argv[1:]])
    keep, unknown = model_folders(models)
    if unknown: print(f"warning: no catalogue row for the cached model(s) {sorted(unknown)}", file=sys.stderr)
    size = write_subset(ROOT/".gpu_sh3d", keep)
    exclude = ROOT/".git"/"info"/"exclude"                      # ignored here, carried there (`carry`)
    exclude.parent.mkdir(parents=True, exist_ok=True)
    if "/.gpu_sh3d/" not in (exclude.read_text() if exclude.exists() else ""):
        with open(exclude, "a") as f: f.write("/.gpu_sh3d/\n")
    print(f"{len(models)} models in {len(keep)} libraries: .gpu_sh3d/ holds {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
