#!/usr/bin/env bash
# The whole pipeline on the embedded demo, as the CLI commands a user would type.
# Usage: scripts/demo.sh OUT   (make demo runs it; the venv's agentmt is used)
set -euo pipefail
OUT=${1:-demo-out}
BIN=${BIN:-.venv/bin}
A="$BIN/agentmt"
mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/6 embedded demo repository (real git history + GitHub-shaped metadata)"
$A demo init "$OUT/demo"

step "2/6 mine merged PRs from git history (py profile: spec §2.4 filters; gen profile: all languages)"
$A mine git "$OUT/demo/repo" --metadata "$OUT/demo/metadata" --out "$OUT/prs-py"
$A mine git "$OUT/demo/repo" --metadata "$OUT/demo/metadata" --out "$OUT/prs-gen" -c filters.profile=gen

step "3/6 D_ctx: py documents with summaries from the embedded model; gen documents"
$A ctx render "$OUT/prs-py" --format py --out "$OUT/ctx-py" -c ctx_demo
$A ctx render "$OUT/prs-gen" --format gen --out "$OUT/ctx-gen"
$A ctx stats "$OUT/ctx-py"
$A ctx stats "$OUT/ctx-gen"

step "4/6 executable environments: tasks from PRs, Docker images, FAIL_TO_PASS/PASS_TO_PASS validation"
$A tasks from-prs "$OUT/prs-py" --out "$OUT/tasks"
$A env build "$OUT/tasks" --out "$OUT/envs" --repo "$OUT/demo/repo"
$A env validate "$OUT/envs" --out "$OUT/tasks-valid"

step "5/6 D_env: k=2 embedded-model rollouts per validated task + one gold replay each, graded by the hidden tests"
$A rollout "$OUT/tasks-valid" --out "$OUT/rollouts" -c rollout_demo
$A rollout "$OUT/tasks-valid" --out "$OUT/replays" --model gold
$A envdata render "$OUT/rollouts" --out "$OUT/d-env"
$A envdata render "$OUT/replays" --out "$OUT/d-env-replay"

step "6/6 training on CPU: MT stage 1 (ctx-gen) → stage 2 (ctx-py + D_env, pass ×3) → SFT (assistant-only loss)"
$A train mt train_mt_demo -c data_root="$OUT" -c output_dir="$OUT/mt"
$A train sft train_sft_demo -c data_root="$OUT" -c output_dir="$OUT/sft" -c model="$OUT/mt/stage2_ctx_py_env/final"

step "outputs"
for d in demo prs-py prs-gen ctx-py ctx-gen tasks envs tasks-valid rollouts replays d-env d-env-replay mt sft; do printf '  %-12s %s\n' "$d" "$(cd "$OUT/$d" && pwd)"; done
