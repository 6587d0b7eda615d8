#!/usr/bin/env bash
# The whole pipeline on the embedded demo, as the CLI commands a user would type.
# Usage: scripts/demo.sh OUT   (make demo runs it; the venv's agentmt is used)
set -euo pipefail
OUT=${1:-demo-out}
BIN=${BIN:-.venv/bin}
A="$BIN/agentmt"
mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/5 embedded demo repository (real git history + GitHub-shaped metadata)"
$A demo init "$OUT/demo"

step "2/5 mine merged PRs from git history (py profile: spec §2.4 filters; gen profile: all languages)"
$A mine git "$OUT/demo/repo" --metadata "$OUT/demo/metadata" --out "$OUT/prs-py"
$A mine git "$OUT/demo/repo" --metadata "$OUT/demo/metadata" --out "$OUT/prs-gen" -c filters.profile=gen

step "3/5 D_ctx: py documents with summaries from the embedded model; gen documents"
$A ctx render "$OUT/prs-py" --format py --out "$OUT/ctx-py" -c ctx_demo
$A ctx render "$OUT/prs-gen" --format gen --out "$OUT/ctx-gen"
$A ctx stats "$OUT/ctx-py"
$A ctx stats "$OUT/ctx-gen"

step "4/5 executable environments: tasks from PRs, Docker images, FAIL_TO_PASS/PASS_TO_PASS validation"
$A tasks from-prs "$OUT/prs-py" --out "$OUT/tasks"
$A env build "$OUT/tasks" --out "$OUT/envs" --repo "$OUT/demo/repo"
$A env validate "$OUT/envs" --out "$OUT/tasks-valid"

step "outputs"
for d in demo prs-py prs-gen ctx-py ctx-gen tasks envs tasks-valid; do printf '  %-8s %s\n' "$d" "$(cd "$OUT/$d" && pwd)"; done
