#!/usr/bin/env bash
# bench_scale.py on a GPU machine, every backend that machine can run, in one call.
#
# The GPU machine has Python, NumPy, PyArrow and CuPy but not huiqi's other dependencies
# and no network: they travel as wheels in .whl/ (not in git), made here with
#
#   .venv/bin/pip download -d .whl --python-version 3.12 --only-binary=:all: \
#     --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --no-deps \
#     duckdb sqlglot pydantic pydantic_core annotated_types typing_inspection \
#     typing_extensions pyyaml orjson mypy_extensions          # the versions of .venv
#
# (about 29 MB; `device` carries .whl). Then, on the GPU machine, from the repository root:
#
#   OUT=/somewhere bash benchmarks/gpu_scale.sh --sizes 100000,1000000,3500000 \
#     --policies 100 --backends duckdb,numpy,cupy --budget 240
#
# The arguments go to bench_scale.py; the results go to $OUT/scale-gpu.json and its log
# (the chart too where matplotlib is installed; the GPU machine has none: draw it here
# with benchmarks/scale_chart.py).
set -euo pipefail
: "${OUT:?set OUT to the folder the results go to}"
site=${HUIQI_GPU_SITE:-/tmp/huiqi-site}
if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --target "$site" .whl/*.whl
fi
export PYTHONPATH="$site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
python3 - <<'PY'
import platform
try:
    import cupy
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    print(f"GPU: {name}; CuPy {cupy.__version__}; Python {platform.python_version()}")
except Exception as exc:  # bench_scale records cupy as skipped, with its reason
    print(f"no usable GPU here: {exc}")
PY
python3 benchmarks/bench_scale.py "$@" --json "$OUT/scale-gpu.json" --chart "$OUT/scale-gpu.png" \
  --data-root "${HUIQI_GPU_DATA:-/tmp/huiqi-scale}" 2>&1 | tee "$OUT/scale-gpu.log"
