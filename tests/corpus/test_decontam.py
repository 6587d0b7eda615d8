"""Decontamination: planted copies of evaluation instances (exact, lightly edited, in a renamed mirror) are
all caught through `ctx render`, clean documents are all kept; repository checks use content, not names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from prfixtures import git_diff, make_pr

from agentmt import io
from agentmt.corpus import decontam
from agentmt.corpus.render import render_ctx
from agentmt.types import Issue, PullRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sources"))
from gitrepo import GitRepo

DECONTAM_REASONS = {"swebench_repo_name", "swebench_repo_root", "swebench_repo_commit", "swebench_instance",
                    "swebench_base_commit", "swebench_patch", "ngram_leak"}

PARSE_V1 = '''"""Parsing of widget specifications."""


def parse_widget(spec, defaults=None):
    """Split `spec` ("name:size:colour") into a dict, filling gaps from `defaults`."""
    items = spec.split(":")
    result = dict(defaults or {})
    for key, value in zip(("name", "size", "colour"), items):
        result[key] = value
    return result
'''
PARSE_V2 = PARSE_V1.replace('''    for key, value in zip(("name", "size", "colour"), items):
        result[key] = value
''', '''    for key, value in zip(("name", "size", "colour"), items):
        if value.strip():
            result[key] = value.strip()
    if "size" in result and not str(result["size"]).isdigit():
        raise ValueError(f"widget size must be a whole number, got {result['size']!r}")
''')
STATEMENTS = {
    1: "parse_widget keeps surrounding whitespace and empty fields. When a specification such as ' gear : 12 : ' "
       "is parsed the name keeps its spaces and the empty colour overwrites the default colour instead of "
       "falling back to it, and a size like 'twelve' is accepted silently although later code does arithmetic.",
    2: "Rendering a widget gallery with more than one hundred widgets takes minutes because every thumbnail "
       "is regenerated on each request even when the widget did not change since the previous render, "
       "which makes the dashboard unusable for large installations and times out the health check.",
    3: "The colour names accepted by the theme loader differ from those accepted by the command line tool, so a "
       "theme that works in the configuration file fails when the same colour is passed as an option and the "
       "error message does not say which names are valid or where the list of valid names is documented.",
}
GALLERY_V1 = "def render_gallery(widgets, cache):\n    return [make_thumbnail(w) for w in widgets]\n"
GALLERY_V2 = ("def render_gallery(widgets, cache):\n    out = []\n    for w in widgets:\n"
              "        key = (w.name, w.version)\n        if key not in cache:\n"
              "            cache[key] = make_thumbnail(w)\n        out.append(cache[key])\n    return out\n")
COLOURS_V1 = "VALID = {'red', 'green'}\n\n\ndef check_colour(name):\n    return name in VALID\n"
COLOURS_V2 = ("VALID = {'red', 'green', 'blue', 'cyan', 'magenta'}\n\n\ndef check_colour(name):\n"
              "    if name not in VALID:\n        raise ValueError(f'unknown colour {name!r}; valid: {sorted(VALID)}')\n"
              "    return name\n")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, embedded_checkpoint):
    """PR shards: the demo (clean), a renamed mirror of the evaluation repository, planted copies."""
    from agentmt.sources.demo.build import build_demo
    from agentmt.sources.mine import mine_git

    root = tmp_path_factory.mktemp("decontam")
    demo = build_demo(root / "demo")
    mine_git(demo.repo_path, root / "demo_prs", metadata_dir=demo.metadata_dir)

    up = GitRepo(root / "upstream")
    up.commit("init", {"widgets/__init__.py": "", "widgets/parse.py": PARSE_V1})
    base = up.sha()
    up.commit("Strip fields and check the size in parse_widget (#5)", {"widgets/parse.py": PARSE_V2})
    subprocess.run(["git", "clone", "-q", str(up.path), str(root / "mirror")], check=True)
    mine_git(root / "mirror", root / "mirror_prs", "repo_name=local/repo")

    instances = [
        {"instance_id": "acme__widgets-5", "repo": "acme/widgets", "base_commit": base,
         "problem_statement": STATEMENTS[1], "patch": _patch("widgets/parse.py", PARSE_V1, PARSE_V2)},
        {"instance_id": "acme__widgets-9", "repo": "acme/widgets", "base_commit": "9" * 40,
         "problem_statement": STATEMENTS[2], "patch": _patch("widgets/gallery.py", GALLERY_V1, GALLERY_V2)},
        {"instance_id": "acme__widgets-11", "repo": "acme/widgets", "base_commit": "1" * 40,
         "problem_statement": STATEMENTS[3], "patch": _patch("widgets/colours.py", COLOURS_V1, COLOURS_V2)},
    ]
    inst_file = root / "instances.jsonl"
    inst_file.write_text("".join(json.dumps(i) + "\n" for i in instances))

    # Exact copy: instance 9's statement and patch in another repository.
    exact = make_pr([{"lib/gallery.py": GALLERY_V1}, {"lib/gallery.py": GALLERY_V2}], number=40,
                    issue=Issue(39, "Gallery is slow", STATEMENTS[2]))
    exact.repo, exact.id = "someone/fork-of-nothing", "someone/fork-of-nothing#40"
    # Lightly edited copy of instance 11: identifiers renamed, code reformatted, statement re-wrapped.
    renamed_v1 = COLOURS_V1.replace("VALID", "ALLOWED").replace("check_colour", "validate_color")
    renamed_v2 = (COLOURS_V2.replace("VALID", "ALLOWED").replace("check_colour", "validate_color")
                  .replace("'", '"').replace(", ", ",\n    ").replace("    return name\n", "\n    return name\n"))
    edited = make_pr([{"ui/theme.py": renamed_v1}, {"ui/theme.py": renamed_v2}], number=41,
                     issue=Issue(12, "Colour names", STATEMENTS[3].replace(" so a ", "\nso a ").replace(", ", ",\n")))
    edited.repo, edited.id = "other/renamed-project", "other/renamed-project#41"
    prs = root / "prs"
    shards = [list(io.read_records(root / "demo_prs", PullRequest)),
              list(io.read_records(root / "mirror_prs", PullRequest)), [exact, edited]]
    for i, shard in enumerate(shards):
        io.write_records(prs / io.shard_name(i), shard, PullRequest)
    return {"prs": prs, "instances": inst_file, "num_clean": len(shards[0]), "planted": [exact.id, edited.id],
            "mirror": [pr.id for pr in shards[1]]}


def _patch(path: str, old: str, new: str) -> str:
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n" + git_diff(old, new)


def _drops_by_id(prs_dir: Path, out: Path, *overrides: str) -> tuple[io.Manifest, set[str]]:
    m = render_ctx(prs_dir, out, "py", *overrides, no_llm=True)
    kept = {r["id"].rsplit("/", 1)[0] for r in io.read_rows(out)}
    return m, kept


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_planted_leaks_are_all_caught_and_clean_documents_kept(corpus, tmp_path):
    _, clean_kept = _drops_by_id(corpus["prs"], tmp_path / "ref", f"curation.instances_file={corpus['instances']}",
                                          "curation.decontam_content=false", "curation.ngram_action=report")
    m, kept = _drops_by_id(corpus["prs"], tmp_path / "out", f"curation.instances_file={corpus['instances']}")
    planted = set(corpus["planted"]) | set(corpus["mirror"])
    assert corpus["mirror"], "the mirror yielded no PR to plant"
    assert not planted & kept  # recall 100%: every planted copy is gone
    demo_kept = {k for k in clean_kept if k.startswith("agentmt-demo/")}
    assert demo_kept and demo_kept <= kept  # every clean document that renders is kept
    reasons = {r for r in m.drops if r in DECONTAM_REASONS}
    assert sum(m.drops[r] for r in reasons) == len(planted)
    assert "ngram_leak" in reasons and ({"swebench_base_commit", "swebench_repo_commit"} & reasons)
    assert m.extra["curation"]["contaminated_repos"] == ["local/repo|" + ",".join(_roots(corpus))]


def _roots(corpus) -> list[str]:
    pr = next(p for p in io.read_records(corpus["prs"] / io.shard_name(1), PullRequest))
    return sorted(pr.repo_roots)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_report_direction_keeps_documents_and_names_the_instances(corpus, tmp_path):
    m, kept = _drops_by_id(corpus["prs"], tmp_path / "out", f"curation.instances_file={corpus['instances']}",
                           "curation.ngram_action=report")
    exact, edited = corpus["planted"]
    assert edited in kept and exact not in kept  # the exact copy still goes: its patch matches (instance level)
    assert m.drops["swebench_patch"] == 1
    assert "acme__widgets-11" in m.extra["curation"]["eval_instances_to_exclude"]
    assert "ngram_leak" not in m.drops


def test_repository_recognised_by_root_commit_of_the_shipped_data_whatever_its_name():
    idx = decontam.build_index(decontam.load_instances(), repos=["pallets/flask"])
    flask_root = decontam.shipped_data()["repos"]["pallets/flask"]["roots"][0]
    pr = make_pr([{"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}], repo_roots=["f" * 40, flask_root])
    pr.repo = "local/repo"
    assert decontam.repo_reason(pr, idx, set()) == "swebench_repo_root"
    assert decontam.repo_reason(pr, idx, set(), by_content=False) is None
    pr.repo_roots = ["f" * 40]
    assert decontam.repo_reason(pr, idx, set()) is None


def test_shipped_data_covers_swebench_verified():
    data = decontam.shipped_data()
    assert len(data["instances"]) == 500
    assert len(data["repos"]) == 12
    assert sum(bool(v["roots"]) for v in data["repos"].values()) >= 9
    assert all(len(i[3]) == 40 for i in data["instances"])


def test_instance_level_by_number_base_commit_and_patch():
    inst = decontam.EvalInstance("acme__widgets-5", "acme/widgets", 5, "c" * 40, text="t",
                                 patch=_patch("w.py", PARSE_V1, PARSE_V2))
    idx = decontam.build_index([inst], repos=[])
    pr = make_pr([{"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}], number=5)
    assert decontam.instance_reason(pr, idx) == "swebench_instance"
    pr.number = 6
    assert decontam.instance_reason(pr, idx) is None
    pr.base_sha = "c" * 40
    assert decontam.instance_reason(pr, idx) == "swebench_base_commit"
    pr.base_sha = "d" * 40
    reformatted = git_diff(PARSE_V1.replace("    ", "\t"), PARSE_V2.replace("    ", "\t"))
    assert decontam.instance_reason(pr, idx, reformatted) == "swebench_patch"


def test_leakage_ratio_is_the_share_of_instance_ngrams_found():
    inst = decontam.EvalInstance("x-1", "a/b", 1, "", text=" ".join(f"w{i}" for i in range(30)))
    idx = decontam.build_index([inst], repos=[])
    assert idx.sizes == [18]  # 30 words -> 18 unique 13-grams
    half = " ".join(f"w{i}" for i in range(15))  # 3 of the 18
    assert decontam.leakage(half, idx) == {0: pytest.approx(3 / 18)}
    assert decontam.leakage("nothing in common here", idx) == {}
