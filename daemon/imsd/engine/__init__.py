"""The local engine: IMS media production on this machine with ffmpeg."""
