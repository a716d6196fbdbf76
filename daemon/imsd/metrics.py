"""Prometheus metrics, served on each process's HTTP port at /metrics (daemons and engine workers).

Counters, histograms, the renders-running gauge and build info are per process: sum them across
instances. The gauges of shared state (requests in flight and the backlog: `imsd_backlog_*`,
`imsd_dead_letters`) are read from Redis by every process every few seconds, so all report the
same value: take their max across instances, never their sum.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "backlog",
    "build_info",
    "callbacks",
    "end_to_end",
    "limiter_wait",
    "openapi_calls",
    "polls",
    "ready",
    "render_failures",
    "render_seconds",
    "render_stalls",
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
openapi_calls = Counter(
    "imsd_openapi_calls_total", "Calls to the OpenAPI endpoint by action and answer (OK or the error code).",
    ["action", "code"],
)
results = Counter("imsd_results_total", "Results emitted by status.", ["status"])
end_to_end = Histogram(
    "imsd_end_to_end_seconds", "From intake to emitted result.", ["api"], buckets=_E2E_BUCKETS
)
renders_running = Gauge("imsd_renders_running", "Renders this process is running now.")
render_failures = Counter("imsd_render_failures_total", "Renders that failed, by IMS error code.", ["code"])
render_stalls = Counter("imsd_render_stalls_total", "Renders stopped because ffmpeg made no progress.")
ready = Gauge("imsd_ready", "1 while this process is ready (its /readyz answers 200), else 0.")
build_info = Gauge("imsd_build_info", "Always 1: what this process runs.", ["version", "python", "ffmpeg"])
#: The backlog figures of `client.backlog`, by name (shared state: max across instances).
backlog = {
    "unread": Gauge("imsd_backlog_unread", "Request entries the consumer group has not read yet."),
    "read_not_acked": Gauge("imsd_backlog_read_not_acked", "Request entries read but not yet admitted."),
    "oldest_unread_age_s": Gauge(
        "imsd_backlog_oldest_unread_age_seconds", "Age of the oldest request entry not read yet (0: none)."
    ),
    "oldest_read_not_acked_age_s": Gauge(
        "imsd_backlog_oldest_read_not_acked_age_seconds", "Age of the oldest entry read but not admitted (0: none)."
    ),
    "request_tasks": Gauge("imsd_backlog_request_tasks", "Request tasks queued or deferred (submit, poll)."),
    "engine_tasks": Gauge("imsd_backlog_engine_tasks", "Local engine tasks queued (renders, batch plans)."),
    "consumers": Gauge("imsd_backlog_consumers", "Consumers in the requests' consumer group."),
    "dead_letters": Gauge("imsd_dead_letters", "Entries in the dead-letter stream."),
    "active_requests": Gauge(
        "imsd_jobs_in_flight", "Requests admitted and not yet final, submitted or not (all processes)."
    ),
}
render_seconds = Histogram(
    "imsd_render_seconds", "How long a render took, by how it ended (Success, Failed).", ["status"],
    buckets=(1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
