"""filterreg at smoke, what only this paper has (the generic checks of every paper are in `test_papers_e2e.py`, on the
same workspace): a block's draws are those of the protocol whatever job runs them, and 12_figures names a block that
11_bunny did not run and loses nothing."""
import shutil
import numpy as np, pandas as pd, pytest
from conftest import run_cli
from paper_kit.registration.meshes import bunny
from paper_kit.filterreg.protocol import block_rng, sample, register, warm_up

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ws(smoke_workspace): return smoke_workspace("filterreg")


def test_a_blocks_draws_are_the_protocols(ws):
    root, _, _ = ws
    got = pd.read_csv(root/"figures/filterreg/smoke/data/per_run_block0.csv")
    first = got[(got.kind == "outliers") & (got.outliers == 0.4) & (got.run == 0)]
    mesh = bunny(); warm_up(mesh)
    d = sample(block_rng(0, 0, 0.4, 0.0), mesh, 600, 0.4, 0.0)   # smoke: seed 0, block 0, 600 points
    want = pd.DataFrame(register(d, 0.4))
    np.testing.assert_allclose(first.error.values, want.error.values, rtol=1e-9, atol=1e-12)
    assert (first.iterations.values == want.iterations.values).all()


def test_a_missing_block_is_named_and_loses_nothing(ws):
    root, _, _ = ws
    before = (root/"figures/filterreg/smoke/table1.csv").read_bytes()
    try:
        r = run_cli(["reproduce", "filterreg", "--profile", "smoke", "--experiments-only", "--no-progress",
                     "-p", "n_seeds=2"], root)
    finally:   # the workspace is shared: the other tests see only the smoke set
        for where in ("figures", "build", "data"):
            for made in (root/where).glob("filterreg/smoke-custom-*"): shutil.rmtree(made)
    assert r.returncode == 1
    assert "12_figures.ipynb" in r.stderr and "per_run_block1.csv" in r.stderr, r.stderr[-2000:]
    assert (root/"figures/filterreg/smoke/table1.csv").read_bytes() == before
    assert not list((root/"figures").rglob("*.tmp"))
