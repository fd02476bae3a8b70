"""Speech from espeak-ng is byte-identical in fresh processes: one at a time, several at once (each on threads),
with address-space randomisation off, and on a "new machine" (empty HOME and TMPDIR, where the PulseAudio client
draws from the C rand() before espeak-ng does; see "Reproducible espeak-ng" in nbs/audio/01_sources.ipynb)."""
import hashlib, json, os, platform, shutil, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import pytest

HERE = Path(__file__).parent

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

def _new_machine_env(d):
    "Environment of a machine where PulseAudio never ran: an empty home and temporary folder."
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH")}
    return {**env, "HOME": str(d), "TMPDIR": str(d)}


# renders every allowed voice+variant and a few render_speech seeds; prints {job: sha256 of the samples}.
# With "new", every espeak-ng call gets its own empty HOME and TMPDIR, as the first call on a new machine.
WORKER = r'''
import hashlib, json, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor
import numpy as np
from paper_kit.audio.sources import SPEECH_VOICES, SPEECH_VARIANTS, espeak, render_speech
from test_audio_speech import _new_machine_env
TEXT = "The quiet teacher reads a story by the river, and the old dog sings."
def digest(x): return hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()
def one(job):
    if job.startswith("seed "): return digest(render_speech(2.0, 16000, int(job[5:])))
    return digest(espeak(TEXT, job)[0])
def run_on_new_machine(*a, _run=subprocess.run, **k):
    with tempfile.TemporaryDirectory() as d: return _run(*a, env=_new_machine_env(d), **k)
if sys.argv[2] == "new": subprocess.run = run_on_new_machine
jobs = [f"{v}+{a}" for v in SPEECH_VOICES for a in SPEECH_VARIANTS] + [f"seed {s}" for s in range(4)]
with ThreadPoolExecutor(int(sys.argv[1])) as ex: print(json.dumps(dict(zip(jobs, ex.map(one, jobs)))))
'''


def _no_aslr():
    "A command prefix that turns address-space randomisation off, or () where setarch cannot."
    pre = ("setarch", platform.machine(), "-R")
    ok = shutil.which("setarch") and subprocess.run([*pre, "true"], capture_output=True).returncode == 0
    return pre if ok else ()


def _render(threads=1, new_machine=False, prefix=()):
    path = [str(HERE)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}      # the worker imports _new_machine_env
    args = [*prefix, sys.executable, "-c", WORKER, str(threads), "new" if new_machine else "usual"]
    r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


def _espeak_md5(voice, env=None):
    r = subprocess.run(["espeak-ng", "--stdout", "-v", voice, "The quiet teacher reads a story."],
                       capture_output=True, env=env, timeout=60)
    assert r.returncode == 0 and len(r.stdout) > 1000, r.stderr
    return hashlib.md5(r.stdout).hexdigest()


def test_allowed_variants_draw_no_random_numbers():
    from paper_kit.audio.sources import SPEECH_VARIANTS, variant_draws_random
    assert [v for v in SPEECH_VARIANTS if variant_draws_random(v)] == []
    assert all(variant_draws_random(v) for v in ("f2", "f3", "f5", "klatt2", "klatt4"))


def test_new_machine_state_reproduces_the_cause(tmp_path):
    "Control: the new-machine environment really shifts rand(), so the determinism test below can see the bug."
    usual = {v: _espeak_md5(v) for v in ("en-us+f3", "en-us+m1")}
    new = {v: _espeak_md5(v, _new_machine_env(tmp_path/v)) for v in usual}
    assert new["en-us+m1"] == usual["en-us+m1"]
    if new["en-us+f3"] == usual["en-us+f3"]:
        pytest.skip("this espeak-ng does not call rand() through PulseAudio on a new machine; nothing to replay")


def test_speech_is_identical_across_fresh_processes():
    ref = _render()
    assert len(ref) > 4 and len(set(ref.values())) == len(ref)     # every voice+variant pair and seed differs
    runs = {"new machine": dict(new_machine=True),
            "no ASLR, 2 threads": dict(threads=2, prefix=_no_aslr()),
            "3 threads": dict(threads=3),
            "new machine, 3 threads": dict(threads=3, new_machine=True),
            "no ASLR, new machine": dict(new_machine=True, prefix=_no_aslr())}
    with ThreadPoolExecutor(3) as ex:                          # three worker processes at a time
        got = dict(zip(runs, ex.map(lambda kw: _render(**kw), runs.values())))
    for name, g in got.items():
        assert g == ref, f"{name}: differs for {sorted(k for k in ref if g.get(k) != ref[k])}"
