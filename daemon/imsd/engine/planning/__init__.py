"""Planning: requests that are not yet timelines become timelines.

Batch jobs (Script, Smart_Mix, Screen_Media_Highlights) and the scene APIs are planned here:
media split into shots, analysed, transcribed and matched to sentences, voice-over synthesized,
and each output laid out as an ordinary Timeline for the render room.
"""

from imsd.engine.planning.asr import Transcriber
from imsd.engine.planning.batch import (
    ORGANIZATION_JOB_TYPES,
    SCENE_JOB_TYPES,
    BatchPlan,
    BatchPlanner,
    OutputJob,
    batch_job_type,
    derived_id,
)
from imsd.engine.planning.script import output_media_config
from imsd.engine.planning.speech import TimelineSpeech
from imsd.engine.planning.tts import Synthesizer

__all__ = [
    "ORGANIZATION_JOB_TYPES",
    "SCENE_JOB_TYPES",
    "BatchPlan",
    "BatchPlanner",
    "OutputJob",
    "Synthesizer",
    "TimelineSpeech",
    "Transcriber",
    "batch_job_type",
    "derived_id",
    "output_media_config",
]
