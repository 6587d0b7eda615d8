#!/usr/bin/env bash
# The whole loop on the embedded demo as one command: `agentmt run` over the built-in demo pipeline
# (src/agentmt/configs/pipelines/demo.yaml): mine → curate + D_ctx → tasks → environments → held-out
# split → rollouts → D_env → MT stage 1 → MT stage 2 → SFT → eval before/after → HTML report.
# A rerun skips finished stages and resumes an interrupted one; the timing table ends the output.
# Usage: scripts/demo.sh OUT   (make demo runs it; the venv's agentmt is used)
set -euo pipefail
OUT=${1:-demo-out}
BIN=${BIN:-.venv/bin}
exec "$BIN/agentmt" run demo --out "$OUT"
