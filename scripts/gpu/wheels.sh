#!/usr/bin/env bash
# Fetch, into .whl/ (ignored), the wheels a lent GPU machine lacks: scripts/gpu/wheels.txt lists them (our runtime
# dependency closure less the packages the machine's 'cuda' image already holds; docs/gpu.md says how it was made).
# The machine runs CPython 3.12 on x86-64 and reaches no network, so the wheels are for that interpreter. A package
# with no such wheel on PyPI is pure Python here (fast-bss-eval, python-sofa, ...): it is built into a wheel locally.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .whl .git/info
grep -qs '^/.whl/' .git/info/exclude || echo /.whl/ >> .git/info/exclude
plat=(); for p in 2_17 2_24 2_27 2_28 2_31 2_34 2_35; do plat+=(--platform "manylinux_$p"_x86_64); done
plat+=(--platform manylinux2014_x86_64 --platform manylinux1_x86_64)
while read -r req; do
  [[ -z "$req" || "$req" == \#* ]] && continue
  if ! python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
       "${plat[@]}" -d .whl "$req" 2>/dev/null; then
    echo "no cp312 wheel on PyPI for $req: building one here"
    python3 -m pip wheel -q --no-deps --no-build-isolation -w .whl "$req"
    if ls .whl | grep -i "^$(echo "${req%%==*}" | tr - _)" | grep -qv 'none-any'; then
      echo "$req built a platform wheel here: it will not import on the GPU machine" >&2; exit 1
    fi
  fi
done < scripts/gpu/wheels.txt
du -sh .whl
