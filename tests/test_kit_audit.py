"""The audit as the ledger reads it: comparison by comparison, refused when stale, and an audit that cannot train.

The ledger tests write claim records in the layout `run.claim` writes (`figures/<paper>/<set>/claims/<id>.json`) into
a toy paper's workspace and read them back through `kit.ledger.ledger`; the last tests run the toy paper's audit."""
import json, os
import pytest
from conftest import run_cli, toy  # noqa: F401 (fixture)


def _claim(cid, status, comparisons, code="c1", params=None, data="d1"):
    "A claim record as `run.claim` writes it, made by notebook 11_use with the given provenance."
    return dict(kind="claim", id=cid, statement=cid, ref="Sec. 1", status=status, check="-", evidence={},
                comparisons=comparisons, paper_values={}, reason="", by_nature="",
                provenance=dict(notebook="nbs/papers/toy/11_use.ipynb", code=code,
                                params=params or {"profile": "small", "device": "cpu", "seed": 0, "steps": 5},
                                inputs={"data/toy/small/x.npy": data, "build/toy/small/checkpoints/m.pt": "w"}))


def _cmp(verdict, estimate, passes):
    return dict(verdict=verdict, estimate=estimate, passes=passes)


def _write(root, results, rec):
    p = root/f"figures/toy/{results}/claims/{rec['id']}.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(rec))


@pytest.fixture
def ledger_of(toy):
    "Write trained and audit records, then return the ledger of `small` as {id: claim}."
    src, root = toy
    def read(trained: list, audited: list) -> dict:
        for rec in trained: _write(root, "small", rec)
        for rec in audited: _write(root, "small-audit", rec)
        old = {k: os.environ.get(k) for k in ("PAPER_KIT_ROOT", "PAPER_KIT_SRC")}
        os.environ["PAPER_KIT_ROOT"], os.environ["PAPER_KIT_SRC"] = str(root), str(src)
        try:
            from paper_kit.kit.ledger import ledger, ledger_line
            return {c["id"]: c for c in ledger("toy", "small")}, ledger_line("toy")
        finally:
            for k, v in old.items():
                if v is None: os.environ.pop(k, None)
                else: os.environ[k] = v
    return read


def test_a_comparison_that_wins_untrained_makes_the_claim_uninformative(ledger_of):
    trained = _claim("mixed", "pass", {"moves": _cmp("better", 0.5, True), "data": _cmp("better", 0.4, True)})
    untrained = _claim("mixed", "undecided",
                       {"moves": _cmp("undecided", 0.0, False), "data": _cmp("better", 0.4, True)},
                       params={"profile": "small", "device": "cpu", "seed": 0, "steps": 0})
    led, _ = ledger_of([trained], [untrained])
    c = led["mixed"]
    assert (c["audit"], c["verdict"], c["wins_untrained"]) == ("undecided", "uninformative", ["data"])
    assert c["audit_comparisons"]["moves"]["trained_minus_untrained"] == pytest.approx(0.5)
    assert c["audit_comparisons"]["data"]["untrained_verdict"] == "better"
    from paper_kit.kit.site import claim_html
    page = claim_html(c)   # the site shows which comparison wins untrained, and every effect trained and untrained
    assert "claimed direction untrained: data" in page and "each comparison trained and untrained" in page


def test_comparisons_that_lose_untrained_keep_the_pass(ledger_of):
    trained = _claim("ok", "pass", {"moves": _cmp("better", 0.5, True)})
    untrained = _claim("ok", "undecided", {"moves": _cmp("undecided", 0.01, False)},
                       params={"profile": "small", "device": "cpu", "seed": 0, "steps": 0})
    led, line = ledger_of([trained], [untrained])
    assert (led["ok"]["audit"], led["ok"]["verdict"]) == ("undecided", "pass") and "(audited)" in line


@pytest.mark.parametrize("change,why", [
    (dict(code="c2"), "other code"),
    (dict(params={"profile": "small", "device": "cpu", "seed": 7, "steps": 0}), "other parameters: seed"),
    (dict(data="d2"), "other data: data/toy/small/x.npy"),
])
def test_a_stale_audit_is_refused(ledger_of, change, why):
    "An audit made by other code, with other parameters than those `audit:` switches off, or on other data."
    trained = _claim("s", "pass", {"moves": _cmp("better", 0.5, True)})
    audited = _claim("s", "pass", {"moves": _cmp("better", 0.5, True)},
                     **{"params": {"profile": "small", "device": "cpu", "seed": 0, "steps": 0}, **change})
    led, line = ledger_of([trained], [audited])
    c = led["s"]
    assert c["audit"] == "stale" and why in c["audit_stale"], c
    assert c["verdict"] == "pass", "a stale audit can neither confirm nor flag the claim"
    assert "(audit stale)" in line


def test_only_the_audit_switches_may_differ(ledger_of):
    "The audit's own parameters (steps: 0) and a different checkpoint file are not staleness."
    trained = _claim("p", "pass", {"moves": _cmp("better", 0.5, True)})
    audited = _claim("p", "pass", {"moves": _cmp("better", 0.5, True)},
                     params={"profile": "small", "device": "cpu", "seed": 0, "steps": 0})
    led, _ = ledger_of([trained], [audited])
    assert (led["p"]["audit"], led["p"]["verdict"]) == ("pass", "uninformative")


TRAINS_ANYWAY = '''\
import torch
net = torch.nn.Linear(1, 1); opt = torch.optim.SGD(net.parameters(), lr=0.1)
net(torch.ones(1, 1)).sum().backward(); opt.step()   # a warm-up step that ignores `steps`
'''


def test_the_audit_refuses_an_optimiser_step_on_weights(toy):
    "A training step the audit's parameters forgot to switch off fails the audit, naming the notebook."
    src, root = toy
    nb = src/"nbs/papers/toy/11_use.ipynb"
    nb.write_text(nb.read_text().replace("if fail: raise", json.dumps(TRAINS_ANYWAY)[1:-1] + "if fail: raise"))
    r = run_cli(["reproduce", "toy", "--profile", "smoke", "--no-progress"], root, src)
    assert r.returncode == 0, r.stdout + r.stderr
    man = json.loads((root/"build/toy/smoke/runs/11_use.json").read_text())
    assert man["optimiser_steps"]["training"] == 1, man["optimiser_steps"]
    r = run_cli(["audit", "toy", "--profile", "smoke", "--no-progress"], root, src)
    assert r.returncode != 0 and "11_use: an optimiser step on network weights in an audit" in r.stdout + r.stderr


def test_the_audit_refuses_weight_files(toy):
    src, root = toy
    nb = src/"nbs/papers/toy/11_use.ipynb"
    nb.write_text(nb.read_text().replace("steps = 5", "steps = 5\\ninit_weights = ''"))
    r = run_cli(["audit", "toy", "--profile", "smoke", "--no-progress", "-p", "init_weights=/tmp/w.pth"], root, src)
    assert r.returncode != 0 and "init_weights=/tmp/w.pth is refused at the audit" in r.stdout + r.stderr
