"""The context counter is shared by concurrent rollout threads: its first tokenizer load must not race.

Run in a fresh interpreter, because the race is in transformers' lazy first import (two threads
touching `transformers.AutoTokenizer` at once saw "cannot import name 'AutoTokenizer'").
"""

import subprocess
import sys

import pytest

SCRIPT = """
import sys, threading
from agentmt.models.tokens import ChatTokenCounter
from agentmt.types import Message
counter = ChatTokenCounter(sys.argv[1])
counts, errors = [], []
barrier = threading.Barrier(4)
def count():
    barrier.wait()
    try:
        counts.append(counter([Message(role="user", content="hello")]))
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=count) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
print(len(set(counts)), len(counts), errors)
"""


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_first_load_from_four_threads(embedded_checkpoint):
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(embedded_checkpoint)],
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    assert out == "1 4 []"
