import os, shutil, subprocess, sys
from pathlib import Path
import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run_cli(args, root, src=REPO, timeout=900, env_extra=None):
    "Run the `paper-kit` command in workspace `root` with notebooks from `src`; return the CompletedProcess."
    env = dict(os.environ, PAPER_KIT_ROOT=str(root), PAPER_KIT_SRC=str(src), PYTHONUNBUFFERED="1")
    env.update(env_extra or {})
    exe = shutil.which("paper-kit", path=str(BIN)) or "paper-kit"
    return subprocess.run([exe, *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
