"""The engine queue's tasks: one per job, its name and id following from the job's kind.

A job's task is queued from three places (its submit, the planner of its batch, the reaper) and
run by the worker, so the names live here once. The task id makes queueing idempotent: a job
queued twice is rendered once. A retake gets an id of its own, since the dead attempt's task
still counts as running until its timeout.
"""

from __future__ import annotations

from imsd.engine.service.job_store import JobKind
from imsd.queue import TaskQueue

__all__ = ["PLAN_TASK", "RENDER_TASK", "TASKS", "queue_task"]

RENDER_TASK = "render_media_job"
PLAN_TASK = "plan_batch_job"
#: The task that runs a job of each kind.
TASKS = {JobKind.MEDIA: RENDER_TASK, JobKind.BATCH: PLAN_TASK}
_ID_PREFIXES = {JobKind.MEDIA: "render", JobKind.BATCH: "plan"}


async def queue_task(queue: TaskQueue, kind: JobKind, job_id: str, attempt: int = 0) -> bool:
    """Queue the task of a job of `kind` unless it is queued or running; False if it was.

    `attempt` counts the attempts already made: above 0, the task is a retake of a job whose
    worker died.
    """
    prefix = _ID_PREFIXES[kind]
    task_id = f"{prefix}:{job_id}" if attempt == 0 else f"{prefix}:{job_id}:retake{attempt}"
    return await queue.enqueue(TASKS[kind], job_id, task_id=task_id)
