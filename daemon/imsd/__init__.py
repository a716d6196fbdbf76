"""imsd: a media-production job daemon for Alibaba Cloud IMS and a local ffmpeg engine."""

__version__ = "0.1.0"
