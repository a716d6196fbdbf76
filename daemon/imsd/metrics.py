"""Prometheus metrics, served on each process's HTTP port at /metrics (daemons and engine workers).

Counters, histograms and the renders-running gauge are per process (Prometheus sums them across
instances); the one gauge of shared state, requests in flight, is refreshed from Redis by every
daemon's sweeper, so all report the same value: take its max across instances, never its sum.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "callbacks",
    "end_to_end",
    "jobs_in_flight",
    "limiter_wait",
    "polls",
    "render_seconds",
    "renders_running",
    "requests_conflict",
    "requests_duplicate",
    "requests_invalid",
    "requests_received",
    "results",
    "send_lateness",
    "submits",
    "throttles",
]

_LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_E2E_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

requests_received = Counter("imsd_requests_received_total", "Request messages read from the stream.", ["api"])
requests_duplicate = Counter(
    "imsd_requests_duplicate_total", "Requests repeated with the same request_id and params (no-ops)."
)
requests_conflict = Counter(
    "imsd_requests_conflict_total", "Requests reusing a request_id with different params (refused)."
)
requests_invalid = Counter("imsd_requests_invalid_total", "Requests refused by validation.", ["code"])
submits = Counter("imsd_submits_total", "Submit attempts by API and outcome.", ["api", "outcome"])
throttles = Counter("imsd_throttles_total", "Throttling replies from the backend.", ["action"])
limiter_wait = Histogram(
    "imsd_limiter_wait_seconds", "Time a call waited for its rate-limit slot.", ["action"],
    buckets=(*_LATENCY_BUCKETS, 60, 120),
)
send_lateness = Histogram(
    "imsd_send_lateness_seconds", "How late after its slot a call was actually sent.", ["action"],
    buckets=_LATENCY_BUCKETS,
)
polls = Counter("imsd_polls_total", "Get*Job calls by action and outcome.", ["action", "outcome"])
callbacks = Counter("imsd_callbacks_total", "Callbacks received by outcome.", ["outcome"])
results = Counter("imsd_results_total", "Results emitted by status.", ["status"])
end_to_end = Histogram(
    "imsd_end_to_end_seconds", "From intake to emitted result.", ["api"], buckets=_E2E_BUCKETS
)
jobs_in_flight = Gauge(
    "imsd_jobs_in_flight", "Requests admitted and not yet final, submitted or not (all processes)."
)
renders_running = Gauge("imsd_renders_running", "Renders this process is running now.")
render_seconds = Histogram(
    "imsd_render_seconds", "How long a render took, by how it ended (Success, Failed).", ["status"],
    buckets=(1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
