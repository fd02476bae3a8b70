#!/usr/bin/env bash
# The checks only a GPU can make, run on a lent GPU machine from the repository root (docs/gpu.md says how):
#
#     scripts/gpu/check.sh [setup] [smoke] [tests] [steps]      (no argument: all four, in that order)
#
# setup: installs the wheels carried in .whl/ (scripts/gpu/wheels.sh fetched them) into /tmp/site and checks that
#        the paper packages import; smoke: starts `reproduce --profile smoke --device cuda` of $SMOKE_PAPERS (default
#        unicorn, whose smoke needs no Debian package; ssl_pointcloud, Semantic Transfer and Associative3D need the
#        SweetHome3D subset of scripts/gpu/sh3d_subset.py carried as .gpu_sh3d, visual_sound libfluidsynth, which
#        the machine lacks) in the background, waited for at the end; tests: the
#        tests skipped for want of CUDA; steps: per-step training timings at the `full` network settings on CUDA
#        (benchmarks/*: UNICORN, ssl_pointcloud, Semantic Transfer, visual_sound with VS_STEPS=1, and Associative3D
#        with A3D_STEPS=1 and a SweetHome3D subset cut from its smoke workspace (its rooms are written there;
#        all three stages on CUDA); they share the machine with the smoke runs); a3d: Associative3D's three training
#        steps at the official sizes alone; epoch: one epoch of UNICORN's `full` training per category on its own
#        stand-in images (benchmarks/unicorn_full_epoch.py, car also over a whole epoch); overfit: UNICORN's overfit
#        test on cars with lamps at 64 px on CUDA (benchmarks/pilot_unicorn.py), stopped at $DEADLINE (seconds since
#        the epoch; its curve is written at every scoring, so a stopped run still brings one back). Logs and results
#        go to $OUT (the device tool brings them back).
set -uo pipefail
OUT=${OUT:-/tmp/gpu_out}; mkdir -p "$OUT"
export PYTHONPATH=/tmp/site:$PWD PATH=/tmp/site/bin:$PATH PYTHONUNBUFFERED=1 PAPER_KIT_ROOT=$PWD
[ -d .gpu_sh3d ] && export PAPER_KIT_SH3D=$PWD/.gpu_sh3d      # scripts/gpu/sh3d_subset.py: the furniture smoke loads
say() { echo "== $(date +%T) $*"; }
cli() { python3 -c 'import sys; from paper_kit.kit.cli import main; sys.exit(main(sys.argv[1:]))' "$@"; }

setup() {
  say setup
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || { echo "wheel install failed"; exit 1; }
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c 'import sys, torch; print(sys.version.split()[0], "torch", torch.__version__, "CUDA", torch.version.cuda,
                                     torch.cuda.get_device_name())'
  python3 -c "import importlib; [importlib.import_module('paper_kit.' + m) for m in '''kit.cli geometry.raster
    unicorn.train ssl_pointcloud.train visual_sound.model semantic_transfer.train associative3d.train'''.split()]
print('imports: ok')"
}

tests() {
  say tests
  python3 -m pytest -q -p no:cacheprovider -rs -k "cuda" tests/test_geometry_metrics.py tests/test_geometry_points.py \
    tests/test_geometry_raster.py tests/test_devices.py 2>&1 | tee "$OUT/tests.log" | tail -15
}

steps() {
  say steps
  timeout 150 python3 benchmarks/unicorn_train_step.py --profiles small full --steps 30 --device cuda 2>&1 | tail -8
  timeout 150 python3 benchmarks/ssl_pointcloud_throughput.py --device cuda --batch 32 --steps 30 2>&1 \
    | grep -v "^ " | tail -20
  timeout 200 python3 benchmarks/semantic_transfer_train_step.py --profiles small full --steps 5 --device cuda 2>&1 \
    | grep -v "^ \|Warning" | tail -14
  [ -n "${VS_STEPS:-}" ] && timeout 90 python3 benchmarks/visual_sound_throughput.py --device cuda --steps 20 2>&1 \
    | tail -6
  [ -n "${A3D_STEPS:-}" ] && timeout 300 python3 benchmarks/associative3d_train_step.py --settings small official \
    --steps 5 --device cuda 2>&1 | tail -9
  cp benchmarks/results/*_cuda.json "$OUT/" 2>/dev/null
  nvidia-smi --query-gpu=memory.used --format=csv,noheader
}

a3d() {
  say a3d
  timeout "${A3D_TIMEOUT:-240}" python3 benchmarks/associative3d_train_step.py --settings official --steps 5 \
    --device cuda 2>&1 | tail -9
  cp benchmarks/results/associative3d_train_step_cuda.json "$OUT/" 2>/dev/null
}

epoch() {
  say epoch
  timeout "${EPOCH_TIMEOUT:-240}" python3 benchmarks/unicorn_full_epoch.py --device cuda --steps 20 --full-epoch car \
    2>&1 | grep -v Warning | tail -16
}

overfit() {
  say overfit
  python3 benchmarks/pilot_unicorn.py prepare --lights --data /tmp/pilot_unicorn_lights
  local left=$(( ${DEADLINE:-$(( $(date +%s) + 400 ))} - $(date +%s) ))
  echo "overfit: $left s left"
  timeout "$left" python3 benchmarks/pilot_unicorn.py overfit --device cuda --data /tmp/pilot_unicorn_lights \
    --tag lights_cuda --overfit-size 64 --overfit-width 16 --overfit-epochs 84 --eval-every 6 \
    --save-model "$OUT/overfit_size64_width16_84epochs_lights_cuda.pt" 2>&1 | cut -c1-400 | tail -16
  cp benchmarks/results/pilot_unicorn_overfit_*cuda*.json "$OUT/" 2>/dev/null
}

SMOKE_PIDS=()
smoke() {
  say smoke: ${SMOKE_PAPERS:=unicorn}
  for p in $SMOKE_PAPERS; do
    ( t0=$(date +%s); OMP_NUM_THREADS=4 timeout "${SMOKE_TIMEOUT:-300}" bash -c "$(declare -f cli); cli reproduce $p \
        --profile smoke --device cuda --experiments-only --executor local --jobs 2 --threads 2 --no-progress" \
        > "$OUT/smoke_$p.log" 2>&1
      echo "== smoke $p: rc $? in $(( $(date +%s) - t0 )) s" ) &
    SMOKE_PIDS+=($!)
  done
}

smoke_wait() {
  [ ${#SMOKE_PIDS[@]} -eq 0 ] && return
  wait "${SMOKE_PIDS[@]}"
  tar czf "$OUT/smoke_results.tgz" figures/*/smoke/*.csv figures/*/smoke/*.json figures/*/smoke/claims \
    build/*/smoke/logs 2>/dev/null
  for p in $SMOKE_PAPERS; do tail -5 "$OUT/smoke_$p.log"; done
}

stages=("$@"); [ ${#stages[@]} -eq 0 ] && stages=(setup smoke tests steps)
[[ " ${stages[*]} " == *" setup "* ]] || python3 -c 'import papermill' 2>/dev/null || setup
for s in "${stages[@]}"; do "$s"; done
smoke_wait
say done
