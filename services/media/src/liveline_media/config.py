from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from liveline_shared.settings import DEVELOPMENT_SECRET, ServiceSettings


class Settings(ServiceSettings):
    """Settings of the media service, read from LIVELINE_MEDIA_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="LIVELINE_MEDIA_")

    http_port: int = 8104
    mongo_database: str = "liveline_media"

    minio_endpoint: str = "127.0.0.1:9000"
    minio_access_key: str = "liveline"
    minio_secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    minio_secure: bool = False
    minio_timeout_s: float = 10.0
    raw_bucket: str = "liveline-raw-videos"
    edited_bucket: str = "liveline-edited-videos"

    ffmpeg_threads: int = 2
    ffmpeg_timeout_s: float = 300.0
