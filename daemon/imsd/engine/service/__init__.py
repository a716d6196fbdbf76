"""The local IMS service: the IMS actions on job records, and the workers that run the jobs.

The local backend, the daemon and the CLI use only what is listed here.
"""

from imsd.engine.service.api import LocalIms
from imsd.engine.service.job_store import JobKind
from imsd.engine.service.preflight import engine_problems
from imsd.engine.service.worker import Engine, EngineRunner

__all__ = ["Engine", "EngineRunner", "JobKind", "LocalIms", "engine_problems"]
