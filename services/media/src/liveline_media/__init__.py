"""liveline media service: on-site videos: upload, edit with ffmpeg, store in MinIO, display."""
