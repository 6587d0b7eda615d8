"""Secrets: planted-secret recall over realistic formats and contexts, no false positives on the demo's code."""

from __future__ import annotations

import random
import string
from collections import Counter

from agentmt.corpus import secrets

ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits
B64 = ALNUM + "+/"


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def planted_values(rng: random.Random) -> list[tuple[str, str]]:
    """(kind, value) pairs in the formats providers issue."""
    hexd = "0123456789abcdef"
    urlsafe = ALNUM + "_-"
    return [
        ("aws_access_key", rng.choice(["AKIA", "ASIA"]) + _r(rng, UPPER, 16)),
        ("github_token", rng.choice(["ghp_", "gho_", "ghs_", "ghu_"]) + _r(rng, ALNUM, 36)),
        ("github_token", "github_pat_" + _r(rng, ALNUM, 22) + "_" + _r(rng, ALNUM, 59)),
        ("gitlab_token", "glpat-" + _r(rng, urlsafe, 20)),
        ("slack_token", rng.choice(["xoxb-", "xoxp-"]) + "-".join(_r(rng, string.digits, 12) for _ in range(2))
         + "-" + _r(rng, ALNUM, 24)),
        ("slack_webhook", "https://hooks.slack.com/services/T" + _r(rng, UPPER, 8) + "/B" + _r(rng, UPPER, 8)
         + "/" + _r(rng, ALNUM, 24)),
        ("stripe_key", rng.choice(["sk_live_", "sk_test_", "rk_live_"]) + _r(rng, ALNUM, 24)),
        ("google_api_key", "AIza" + _r(rng, urlsafe, 35)),
        ("openai_key", rng.choice(["sk-", "sk-proj-"]) + _r(rng, ALNUM, 48)),
        ("sendgrid_key", "SG." + _r(rng, urlsafe, 22) + "." + _r(rng, urlsafe, 43)),
        ("twilio_key", "SK" + _r(rng, hexd, 32)),
        ("npm_token", "npm_" + _r(rng, ALNUM, 36)),
        ("pypi_token", "pypi-AgEIcHlwaS5vcmc" + _r(rng, urlsafe, 60)),
        ("huggingface_token", "hf_" + _r(rng, string.ascii_letters, 34)),
        ("jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ" + _r(rng, urlsafe, 40) + "." + _r(rng, urlsafe, 43)),
        ("password", _r(rng, ALNUM + "!#%&*", rng.randint(10, 20))),
        ("secret", _r(rng, hexd, 40)),
        ("secret", _r(rng, B64, 40)),
    ]


def contexts(kind: str, value: str, rng: random.Random) -> list[str]:
    """Lines a secret is found on in real repositories: code, config, env files, shell, URLs, prose."""
    if kind == "password":
        user = _r(rng, string.ascii_lowercase, 6)
        return [f'DB_PASSWORD = "{value}"\n', f"    password: '{value}'\n",
                f"DATABASE_URL=postgres://{user}:{value}@db.internal:5432/app\n",
                f'conn = connect("mysql://{user}:{value}@10.0.0.5/prod")\n']
    if kind == "secret":
        return [f'SECRET_KEY = "{value}"\n', f'    "client_secret": "{value}",\n', f"api_key='{value}'\n",
                f'headers = {{"Authorization": "Bearer {value}"}}\n']
    return [f'TOKEN = "{value}"\n', f"export SERVICE_KEY={value}\n", f"    key: {value}\n",
            f"I accidentally pushed {value} in the last commit, please rotate it.\n"]


def test_planted_secret_recall_is_at_least_99_percent():
    rng = random.Random(1234)
    total = caught = 0
    missed = []
    for _ in range(12):
        for kind, value in planted_values(rng):
            for line in contexts(kind, value, rng):
                total += 1
                out = secrets.redact_line(line)
                if value not in out and "<SECRET:" in out:
                    caught += 1
                else:
                    missed.append(line)
    assert total >= 800
    assert caught / total >= 0.99, missed[:5]


def test_redaction_is_line_local_and_keeps_line_structure():
    line = 'AWS_KEY = "AKIAABCDEFGHIJKLMNOP"\n'
    text = "a = 1\n" + line + "b = 2"
    out = secrets.redact_text(text)
    assert out.count("\n") == text.count("\n")
    assert out.splitlines()[1] == secrets.redact_line(line).rstrip("\n")
    assert "<SECRET:aws_access_key>" in out
    diff = "@@ -1,2 +1,3 @@\n a = 1\n+" + line + " b = 2\n\\ No newline at end of file\n"
    rdiff = secrets.redact_diff(diff)
    assert rdiff.splitlines()[2] == "+" + secrets.redact_line(line).rstrip("\n")
    assert rdiff.splitlines()[0] == "@@ -1,2 +1,3 @@" and rdiff.endswith("\\ No newline at end of file\n")


def test_references_and_placeholders_are_not_secrets():
    for line in ['password = os.environ["DB_PASSWORD"]\n', 'token = "${GITHUB_TOKEN}"\n',
                 'api_key = "your-api-key-here"\n', 'password = "changeme"\n', "secret_key = '<SECRET:secret>'\n",
                 'TOKEN_URL = "https://example.com/oauth/token"\n', 'password_field = "password"\n',
                 "author_email='jose.padilla@example.org',\n",  # found on jpadilla/pyjwt: 'auth' in 'author'
                 "'http://user.name:pass.word@example',\n", 'url = "http://user:pass@example.com"\n',
                 "'http://%C3%BCser:p%C3%A4ssword@xn--n3h.net/p%C3%A5th'\n"]:  # werkzeug, marshmallow tests
        assert secrets.redact_line(line) == line, line


def test_private_key_blocks_are_found():
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow" + "A" * 60 + "\n-----END RSA PRIVATE KEY-----\n"
    assert secrets.has_private_key(pem)
    assert secrets.has_private_key("x\n-----BEGIN OPENSSH PRIVATE KEY-----\n")
    assert not secrets.has_private_key("-----BEGIN PUBLIC KEY-----\n")


def test_no_false_positives_on_the_demo_code():
    from agentmt.sources.demo.history import initial_files

    found = Counter()
    texts = [v for v in initial_files().values() if isinstance(v, str) and "\n" in v]
    assert len(texts) >= 5
    for t in texts:
        assert secrets.redact_text(t, found) == t
    assert not found
