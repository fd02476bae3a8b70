"""House style: lines of at most 120 characters in the library, its notebooks' code cells, the tests and the benchmarks.

nbdev writes each module's `__all__` itself (wrapped at 120 before `__all__ = ` is put in front), so those lines do
not count. The modules in `WAITING` (and the notebook cells they are exported from) still hold long lines: committed
result sets depend on that code (`paper-kit status` compares it byte for byte), so rewrapping it is left for the next
remake of those sets; so are the notebooks of papers whose committed sets would go stale."""
import json, re, subprocess
from pathlib import Path
from conftest import REPO

LIMIT = 120
_REGISTRATION = "FilterReg, robust_loss and SDRSAC `full`"
WAITING = {  # module, or a paper's notebook folder -> the committed result sets that would go stale
    "paper_kit/geometry/views.py": _REGISTRATION, "paper_kit/geometry/raster.py": _REGISTRATION,
    "paper_kit/geometry/camera.py": _REGISTRATION,
    "paper_kit/kit/registry.py": "every paper's", "paper_kit/kit/config.py": "every paper's",
    "paper_kit/kit/display.py": "every paper's", "nbs/papers/filterreg": "FilterReg `full`",
}

def _tracked(*patterns) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", *patterns], cwd=REPO, capture_output=True, text=True, check=True)
    files = [f for f in out.stdout.split("\0") if f]
    assert files, f"no tracked file matches {patterns}"
    return files

def _text(path: str) -> str: return (REPO/path).read_text(encoding="utf-8")

def _long(lines, where: str, nbdev_module: bool = False) -> list[str]:
    "The lines over `LIMIT` characters (not bytes); in a module nbdev wrote, its `__all__` line does not count."
    return [f"{where} {i} ({len(l)} characters)" for i, l in enumerate(lines, 1)
            if len(l) > LIMIT and not (nbdev_module and l.startswith("__all__ = "))]

def _exported_from(module: str) -> set[tuple[str, str]]:
    "(notebook, cell id) of each cell nbdev exported into `module` (from its `# %% ../../nbs/x.ipynb #id` lines)."
    text = _text(module)
    return {(str((REPO/module).parent.joinpath(nb).resolve().relative_to(REPO)), cid)
            for nb, cid in re.findall(r"^# %% (\S+\.ipynb) #(\w+)$", text, re.M)}

def _waiting_cells() -> set[tuple[str, str]]:
    return set().union(*(_exported_from(m) for m in WAITING if m.endswith(".py")))

def _notebook_lines(path: str, skip: set) -> list[str]:
    cells = json.loads(_text(path))["cells"]
    return [x for k, c in enumerate(cells) if c["cell_type"] == "code" and (path, c.get("id")) not in skip
            for x in _long("".join(c["source"]).splitlines(), f"{path} cell {k} ({c.get('id')}), line")]

def _in_waiting_folder(path: str) -> bool:
    return any(path.startswith(w + "/") for w in WAITING if not w.endswith(".py"))

def test_code_lines_are_at_most_120_characters():
    files = [f for f in _tracked("paper_kit/*.py", "tests/*.py", "benchmarks/*.py", "scripts/*", "bootstrap.sh")
             if f != "paper_kit/_modidx.py" and f not in WAITING]
    bad = [x for f in files for x in _long(_text(f).splitlines(), f"{f}:", f.startswith("paper_kit/"))]
    assert not bad, "lines over 120 characters:\n" + "\n".join(bad)

def test_notebook_code_cells_are_at_most_120_characters():
    skip = _waiting_cells()
    bad = [x for f in _tracked("nbs/*.ipynb") if not _in_waiting_folder(f) for x in _notebook_lines(f, skip)]
    assert not bad, "lines over 120 characters:\n" + "\n".join(bad)

def test_every_waiting_entry_still_waits():
    "An entry of `WAITING` whose code is short by now is to be dropped, so the list says what is left to do."
    for w in WAITING:
        if w.endswith(".py"): still = bool(_long(_text(w).splitlines(), w, nbdev_module=True))
        else: still = any(_notebook_lines(f, set()) for f in _tracked(f"{w}/*.ipynb"))
        assert still, f"{w} has no line over {LIMIT} characters now: drop it from WAITING"
