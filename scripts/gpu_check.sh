#!/usr/bin/env bash
# GPU check, never run in CI (about 3-5 minutes on one H100): the gpu-marked leak tests (flash-attention
# and SDPA on CUDA, bf16), then bf16 MT and SFT steps of a Qwen2.5-0.5B-architecture model built from its
# config (no hub): tokens/s on this GPU and peak memory beside docs/scale.md's formula.
# Usage: scripts/gpu_check.sh [--cpu]   (--cpu: the same code on a tiny model, for machines without a GPU)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
if [ "${1:-}" != "--cpu" ]; then
  "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "no CUDA GPU: run with --cpu")'
  timeout 300 "$PY" -m pytest -q -m gpu -p no:cacheprovider tests/training/test_boundaries.py -rs
fi
timeout 420 "$PY" scripts/gpu_check.py "$@"
