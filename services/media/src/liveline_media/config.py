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

    # Face blur (docs/face-blur.md): faces are looked for every FACE_SAMPLE_INTERVAL_S seconds in
    # frames scaled to FACE_DETECT_LONG_SIDE pixels; a face smaller than FACE_MIN_SIZE pixels at
    # that size is not found. Faces turned to profile are looked for on one sample in two, in
    # the frame scaled to FACE_PROFILE_LONG_SIDE (smaller profile faces found at a quadratic
    # cost). FACE_FULL_SEARCH_EVERY: 2 looks for new frontal faces on one sample in two (around
    # the faces already found on the others): ~19 % less detector CPU, but a frontal face seen
    # for under 1 s rather than 0.5 s may be missed. FACE_CASCADE_DIR: where the Haar cascades
    # are (default: the ones in the opencv-python-headless wheel).
    face_sample_interval_s: float = Field(default=0.5, gt=0, le=2)
    face_detect_long_side: int = Field(default=480, ge=160, le=1280)
    face_profile_long_side: int = Field(default=320, ge=160, le=1280)
    face_min_size: int = Field(default=20, ge=12)
    face_full_search_every: int = Field(default=1, ge=1, le=2)
    face_cascade_dir: Path | None = None
