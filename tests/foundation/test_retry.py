"""The one backoff rule both HTTP clients wait by."""

from __future__ import annotations

from agentmt.retry import backoff_delay


def test_backoff_doubles_up_to_the_cap():
    assert [backoff_delay(a, 1.0, 30.0) for a in range(7)] == [1, 2, 4, 8, 16, 30, 30]


def test_retry_after_is_a_floor_and_an_http_date_is_ignored():
    assert backoff_delay(0, 1.0, 120.0, retry_after="7") == 7
    assert backoff_delay(3, 1.0, 120.0, retry_after="2") == 8
    assert backoff_delay(1, 1.0, 120.0, retry_after="Wed, 21 Oct 2026 07:28:00 GMT") == 2
    assert backoff_delay(0, 1.0, 5.0, retry_after="60") == 5  # the cap bounds what a server asks


def test_jitter_stays_within_half_again():
    delays = {backoff_delay(2, 1.0, 30.0, jitter=True) for _ in range(200)}
    assert all(4 <= d <= 6 for d in delays) and len(delays) > 1
