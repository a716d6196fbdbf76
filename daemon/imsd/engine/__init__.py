"""The local engine: IMS media production on this machine with ffmpeg.

Four rooms, each a subpackage whose `__init__` is what it offers; dependencies point one way
(a test reads the imports and fails on any other direction or on a circle):

    service   the local IMS: job records, engine workers (leases, reaper), callbacks, batches
       |
    planning  requests -> timelines: batch/Script layouts, scene selection, speech, analysis
       |
    render    a timeline -> one ffmpeg filter graph -> an output file; prepared clips, subtitles
       |
    media     references -> local files: resolving, the media registry, probing, running ffmpeg

docs/architecture.md draws the whole path from a request on Redis to its result.
"""
