"""The local IMS service: job records in the Get*/List* shapes, and the workers that run them.

The local backend and the daemon use only what is listed here.
"""

from imsd.engine.service.batches import BatchJobs
from imsd.engine.service.job_store import (
    EngineJobStore,
    JobKind,
    decode_token,
    encode_token,
    iso_now,
    media_job_fields,
    new_id,
    public_view,
)
from imsd.engine.service.worker import (
    PLAN_TASK,
    RENDER_TASK,
    Engine,
    EngineRunner,
    engine_queue_name,
    plan_task_id,
    render_task_id,
)

__all__ = [
    "PLAN_TASK",
    "RENDER_TASK",
    "BatchJobs",
    "Engine",
    "EngineJobStore",
    "EngineRunner",
    "JobKind",
    "decode_token",
    "encode_token",
    "engine_queue_name",
    "iso_now",
    "media_job_fields",
    "new_id",
    "plan_task_id",
    "public_view",
    "render_task_id",
]
