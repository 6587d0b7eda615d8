"""Benchmark: agentmt's secret patterns vs detect-secrets 1.5 on the planted-secret set, one run.

The set is tests/corpus/test_redact_secrets.py's (18 provider and credential formats, each in four
real-world contexts: code, config, env/shell, URLs and prose; 864 lines). Printed: recall and time of
each, the speed ratio, and the findings of each on the demo repository's ordinary code (false positives).
detect-secrets runs its default plugins through `scan_line`, its line-at-a-time entry point.

    python benchmarks/bench_secrets.py
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "corpus"))


def main() -> None:
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings
    from test_redact_secrets import contexts, planted_values

    from agentmt.corpus import secrets
    from agentmt.sources.demo.history import initial_files

    rng = random.Random(1234)
    lines = [(v, ln) for _ in range(12) for kind, v in planted_values(rng) for ln in contexts(kind, v, rng)]
    t = time.perf_counter()
    ours = sum(v not in secrets.redact_line(ln) for v, ln in lines)
    t_ours = time.perf_counter() - t
    demo = [ln for v in initial_files().values() if isinstance(v, str) and "\n" in v for ln in v.splitlines()]
    fp_ours = sum(secrets.redact_line(ln) != ln for ln in demo)
    with default_settings():
        t = time.perf_counter()
        theirs = sum(any(f.secret_value and (f.secret_value in v or v in f.secret_value)
                         for f in scan_line(ln.rstrip("\n"))) for v, ln in lines)
        t_theirs = time.perf_counter() - t
        fp_theirs = sum(bool(list(scan_line(ln))) for ln in demo)
    print(f"{len(lines)} planted lines; demo code: {len(demo)} lines")
    print(f"{'':16}{'recall':>8}{'time s':>9}{'demo lines flagged':>20}")
    print(f"{'agentmt':16}{ours / len(lines):8.4f}{t_ours:9.3f}{fp_ours:20d}")
    print(f"{'detect-secrets':16}{theirs / len(lines):8.4f}{t_theirs:9.3f}{fp_theirs:20d}")
    print(f"speed ratio agentmt / detect-secrets: {t_theirs / t_ours:.1f}x")


if __name__ == "__main__":
    main()
