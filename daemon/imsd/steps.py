"""What a step of a request's task says comes next.

Submitting, polling and finishing each return one of these rather than raise to change the
flow, so every way a run can go on is in a step's return statements. Only the request task
(daemon.advance_request) acts on them: it polls in the same run, ends the run, or defers itself
through the task queue (`queue.Later`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

__all__ = ["Defer", "Next", "Requeue", "Step"]


class Next(Enum):
    """The run goes on, or ends, with nothing left to record."""

    POLL = "poll"  # the job was just submitted and its first poll is due now: poll in this run
    DONE = "done"  # nothing more for this task: the request is final (or was made final meanwhile)


@dataclass(frozen=True)
class Defer:
    """Run the task again in `delay_s`.

    The task first records it: the record's due time moves past the delay (for the sweeper), and
    `add`, the counters of what this run did, are added in the same transition.
    """

    delay_s: float
    add: Mapping[str, int] | None = None


@dataclass(frozen=True)
class Requeue:
    """Run the task again in `delay_s`; the step's own transition already set the record's due
    time, together with what it changed, so the task only re-queues itself."""

    delay_s: float = 0.0


Step = Next | Defer | Requeue
