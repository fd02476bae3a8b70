#!/usr/bin/env bash
# The test suite (what `./bootstrap.sh test` and CI run). Smoke profile only; extra args go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
fail() { echo "test.sh: $*" >&2; exit 1; }

echo "== nbdev-export: the library must match the notebooks"
nbdev-export || fail "nbdev-export failed"
if [ -d .git ]; then
  changed="$(git status --porcelain -- paper_kit)"
  [ -z "$changed" ] || { echo "$changed"; fail "paper_kit/ is out of sync with nbs/ (run nbdev-export and commit)"; }
fi

# The toolkits' notebooks (`kit.paper.list_toolkits`, as the site finds them) are executed by the site build of the
# suite's site tests, with the same cells skipped (`#| slow`, `#| gpu`), and `test_site_shared_pages` fails on any
# of them that fails: running them here too cost minutes on a slow host. A paper's notebooks, its method notebooks
# included, run through papermill in its smoke reproduce, which every paper's end-to-end tests share.
list_toolkits="from paper_kit.kit.paper import list_toolkits; print('|'.join(list_toolkits()))"
toolkits="$(PAPER_KIT_SRC="$PWD" python -c "$list_toolkits")" || fail "could not list the toolkits"
echo "== nbdev-test: the kit's notebooks (not papers/, nor the toolkits: ${toolkits//|/, })"
t0=$(date +%s)
nbdev-test --skip-folder-re "^(papers|${toolkits})\$" --timing || fail "nbdev-test failed (the kit)"
echo "== time: nbdev-test $(( $(date +%s) - t0 )) s"

# One process by default. PAPER_KIT_TEST_WORKERS=2 runs two pytest-xdist workers: the papers' end-to-end tests in
# one group per worker (tests/conftest.py), the rest spread, each worker's torch with its share of the cores (OpenMP
# threads that outnumber the cores spin against each other). Not the default: on 2 cores it is not faster (the work
# is CPU-bound, and a smoke reproduce already runs its method notebooks beside its experiments), and the two
# workers' site tests load their pages in two Chromiums at once, which timed out (docs/benchmarks.md). It is meant
# for machines with more cores.
workers="${PAPER_KIT_TEST_WORKERS:-0}"
xdist=()
if [ "$workers" -gt 0 ]; then
  xdist=(-n "$workers" --dist loadgroup)
  export OMP_NUM_THREADS=$(( $(nproc) / workers > 0 ? $(nproc) / workers : 1 ))
fi
echo "== pytest (${workers} workers, OMP_NUM_THREADS=${OMP_NUM_THREADS})"
t0=$(date +%s)
python -m pytest tests -q -rs -p no:cacheprovider "${xdist[@]}" "$@"
rc=$?
echo "== time: pytest $(( $(date +%s) - t0 )) s"
[ $rc -eq 5 ] && fail "pytest collected no tests"
exit $rc
