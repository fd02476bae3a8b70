#!/usr/bin/env bash
# One entry point for a fresh Debian/Ubuntu machine with Python 3.11.
#   ./bootstrap.sh reproduce   install everything, regenerate every table and figure (profile small), build the site
#   ./bootstrap.sh test        install everything, run the test suite (profile smoke)
#   ./bootstrap.sh install     install only
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"
TASK="${1:-install}"; shift || true
PY="${PYTHON:-python3}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc 2>/dev/null || echo 2)}"

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

# 1. Debian packages: HRTF (libmysofa1), instrument synthesis (fluidsynth + GM soundfont), speech (espeak-ng),
#    headless browser for the site test (chromium), Node/npm for the offline front-end files of the site, real
#    furniture meshes (sweethome3d-furniture), the Stanford scans in CGAL's demo data (libcgal-demo), RCC's Shuttle
#    set (r-cran-mlbench: an R data file; R itself is never run, pyreadr reads the file).
DEB_PKGS="libmysofa1 libfluidsynth3 timgm6mb-soundfont espeak-ng chromium libsndfile1 sweethome3d-furniture libcgal-demo
  r-cran-mlbench"
missing=""
# npm may come with a nodejs build that conflicts with Debian's npm package: ask for it only when absent
command -v npm >/dev/null 2>&1 || missing=" nodejs npm"
if command -v dpkg >/dev/null 2>&1; then
  for p in $DEB_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
fi
if [ -n "$missing" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    say "installing Debian packages:$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    die "these system packages are missing and apt-get is not available: $missing" \
        "(install them with your package manager)"
  fi
elif ! command -v dpkg >/dev/null 2>&1; then
  say "not a Debian system: make sure these are installed: $DEB_PKGS"
fi

# 2. Python environment in .venv (torch 2.13.0 first, so nothing pulls a CUDA build)
"$PY" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' 2>/dev/null \
  || die "$PY is missing or older than 3.10"
if [ ! -x .venv/bin/python ]; then say "creating .venv"; "$PY" -m venv .venv; fi
VPY="$ROOT/.venv/bin/python"
if ! "$VPY" -c 'import torch' >/dev/null 2>&1; then
  say "installing torch==2.13.0"
  "$VPY" -m pip install -q torch==2.13.0
fi
STAMP=".venv/.paper_kit_deps"
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  say "installing paper_kit and its dependencies"
  "$VPY" -m pip install -q -e ".[dev]"
  touch "$STAMP"
fi

# 3. Front-end files for the offline site (MathJax 3, require.js, jupyter-widgets html-manager), from npm
if [ ! -f site_vendor/node_modules/mathjax/es5/tex-chtml.js ]; then
  command -v npm >/dev/null 2>&1 \
    || die "npm is missing (apt-get install npm): the docs site needs it for its offline JavaScript"
  say "installing the site's front-end files (npm ci)"
  (cd site_vendor && npm ci --silent --no-audit --no-fund)
fi

# 4. Jupyter kernel for JupyterLab users, inside the venv (--sys-prefix): a per-user kernel would point at whichever
#    checkout ran this last, and break when that checkout is gone
"$VPY" -m ipykernel install --sys-prefix --name paper-kit --display-name "Python (paper_kit)" >/dev/null

export PATH="$ROOT/.venv/bin:$PATH"
case "$TASK" in
  install) say "installed. Activate with: source .venv/bin/activate" ;;
  reproduce) paper-kit reproduce --profile small "$@" && paper-kit audit --profile small "$@" && paper-kit site ;;
  test) bash scripts/test.sh "$@" ;;
  *) die "unknown task '$TASK' (use: install, reproduce, test)" ;;
esac
