"""Direct URL requirements (`name @ URL`, `git+https://...`) stay out of a recipe unless the config allows
them: their code is pinned by no date and served by no index."""

from __future__ import annotations


def test_direct_url_requirements_are_refused_and_recorded_unless_allowed():
    from agentmt.environments.declared import refuse_direct_urls

    def recipe():
        return {"dependencies": ["attrs>=20", "evil @ https://example.org/evil-1.0.tar.gz", "requests"],
                "test_dependencies": ["pytest", "git+https://example.org/plugin.git", "mark[x] @ file:///tmp/m"]}

    r = recipe()
    assert refuse_direct_urls(r, allow=False) == ["evil @ https://example.org/evil-1.0.tar.gz",
                                                  "git+https://example.org/plugin.git", "mark[x] @ file:///tmp/m"]
    assert r["dependencies"] == ["attrs>=20", "requests"] and r["test_dependencies"] == ["pytest"]
    assert r["refused_direct_urls"] == refuse_direct_urls(recipe(), allow=False)
    allowed = recipe()
    assert refuse_direct_urls(allowed, allow=True) == [] and allowed == recipe()
