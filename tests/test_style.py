"""House style: lines of at most 120 characters in the library, its notebooks' code cells, the tests, the benchmarks
and the scripts. nbdev writes each module's `__all__` itself (wrapped at 120 before `__all__ = ` is put in front), so
that line of a generated module does not count. Rewrapping code reruns nothing and stales no committed result: the
kit compares code by `kit.code.code_fingerprint`."""
import json, subprocess
from conftest import REPO

LIMIT = 120

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

def test_code_lines_are_at_most_120_characters():
    files = [f for f in _tracked("paper_kit/*.py", "tests/*.py", "benchmarks/*.py", "scripts/*", "bootstrap.sh")
             if f != "paper_kit/_modidx.py"]
    bad = [x for f in files for x in _long(_text(f).splitlines(), f"{f}:", f.startswith("paper_kit/"))]
    assert not bad, "lines over 120 characters:\n" + "\n".join(bad)

def test_notebook_code_cells_are_at_most_120_characters():
    bad = []
    for f in _tracked("nbs/*.ipynb"):
        cells = json.loads(_text(f))["cells"]
        bad += [x for k, c in enumerate(cells) if c["cell_type"] == "code"
                for x in _long("".join(c["source"]).splitlines(), f"{f} cell {k} ({c.get('id')}), line")]
    assert not bad, "lines over 120 characters:\n" + "\n".join(bad)
