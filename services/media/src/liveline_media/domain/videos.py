"""On-site videos: who may upload for which order, how an upload is cut into parts, which raw
files are refused and why (in words the uploader understands), and the shape of the edit."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

VideoStatus = Literal["uploading", "processing", "published", "rejected", "deleted"]
GrantStatus = Literal["placed", "redeemed", "refunded"]

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's smallest part (but the last)
MAX_PARTS = 10_000  # S3's largest part number
# A video whose edit is being done or is done holds its order's one video.
HOLDS_ITS_ORDER: frozenset[str] = frozenset({"uploading", "processing", "published"})


def raw_key(video_id: str) -> str:
    return f"videos/{video_id}/raw"


def edited_key(video_id: str) -> str:
    return f"videos/{video_id}/edited.mp4"


def poster_key(video_id: str) -> str:
    return f"videos/{video_id}/poster.jpg"


@dataclass(frozen=True)
class Grant:
    """What the media service knows of an order: whose it is and whether it was redeemed."""

    order_id: str
    user_id: str
    merchant_id: str
    deal_id: str
    status: GrantStatus
    redeemed_at: datetime | None = None
    video_id: str | None = None


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 500 * 1024 * 1024
    max_raw_duration_s: float = 600.0
    max_published_duration_s: float = 60.0


@dataclass(frozen=True)
class PartPlan:
    part_size: int
    part_count: int


def plan_parts(size_bytes: int, preferred_part_size: int) -> PartPlan:
    """Parts of at least `preferred_part_size` (never under S3's minimum), at most 10,000 of them."""
    part_size = max(preferred_part_size, MIN_PART_SIZE, math.ceil(size_bytes / MAX_PARTS))
    return PartPlan(part_size=part_size, part_count=max(1, math.ceil(size_bytes / part_size)))


@dataclass(frozen=True)
class Rejection:
    reason: str
    detail: str


@dataclass(frozen=True)
class Probe:
    """What ffprobe says of a file, as far as the rules need it."""

    format_name: str
    duration_s: float | None
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    rotation: int = 0
    audio_codec: str | None = None
    video_frames: int | None = None


# ffprobe's demuxers and codecs of still images: a photo renamed .mp4 "has a video stream" too.
_IMAGE_FORMATS = ("image2", "_pipe", "gif", "webp")
_IMAGE_CODECS = frozenset({"png", "bmp", "gif", "webp", "tiff", "jpegls"})


def describe_minutes(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def judge_size(size_bytes: int, limits: Limits) -> Rejection | None:
    if size_bytes == 0:
        return Rejection("empty", "The uploaded file is empty (0 bytes). Please upload the video again.")
    if size_bytes > limits.max_upload_bytes:
        return Rejection(
            "too_large",
            f"The file is {size_bytes / 1048576:.0f} MB; the largest we take is "
            f"{limits.max_upload_bytes / 1048576:.0f} MB. Trim it on your phone and upload it again.",
        )
    return None


def judge_unprobeable(ffprobe_error: str) -> Rejection:
    """The rejection of a file ffprobe could not open, from what ffprobe said."""
    if "moov atom not found" in ffprobe_error or "End of file" in ffprobe_error:
        return Rejection("truncated", "The video file is incomplete (cut off before its end). Please upload it again.")
    return Rejection("not_a_video", "This file is not a video we can read. Please upload an MP4, MOV or WebM video.")


def judge_probe(probe: Probe, limits: Limits) -> Rejection | None:
    """Why a raw file that ffprobe opened cannot be published, or None when it can be edited."""
    is_image = any(marker in probe.format_name for marker in _IMAGE_FORMATS) or probe.video_codec in _IMAGE_CODECS
    if probe.video_codec is not None and (is_image or probe.video_frames == 1):
        return Rejection("not_a_video", "This is a still picture, not a video. Please upload a video.")
    if probe.video_codec is None:
        if probe.audio_codec is not None:
            return Rejection("no_video_stream", "This file has sound but no picture. Please upload a video.")
        return Rejection("not_a_video", "This file has no video in it. Please upload an MP4, MOV or WebM video.")
    if not probe.width or not probe.height:
        return Rejection("not_a_video", "The video's picture cannot be read. Please upload it again.")
    if not probe.duration_s or probe.duration_s <= 0:
        return Rejection("truncated", "The video has no length we can read (it may be cut off). Please upload it again.")
    if probe.duration_s > limits.max_raw_duration_s:
        return Rejection(
            "too_long",
            f"The video is {describe_minutes(probe.duration_s)} long; the longest we take is "
            f"{describe_minutes(limits.max_raw_duration_s)}.",
        )
    return None


def upright_size(probe: Probe) -> tuple[int, int]:
    """Width and height as the phone meant them to be seen (a 90° rotation swaps them)."""
    assert probe.width and probe.height
    if abs(probe.rotation) % 180 == 90:
        return probe.height, probe.width
    return probe.width, probe.height


def output_size(width: int, height: int, long_side: int = 1280, short_side: int = 720) -> tuple[int, int]:
    """At most 720p (1280x720 or 720x1280), never enlarged, aspect kept, both sides even."""
    landscape = width >= height
    max_w, max_h = (long_side, short_side) if landscape else (short_side, long_side)
    scale = min(1.0, max_w / width, max_h / height)

    def even(value: float) -> int:
        return max(2, int(value) // 2 * 2)

    return even(width * scale), even(height * scale)


@dataclass(frozen=True)
class Window:
    start_s: float
    length_s: float


def edit_window(duration_s: float, start_s: float | None, end_s: float | None, max_length_s: float) -> Window:
    """The part of the raw clip that is published: the uploader's choice, cut to the maximum."""
    start = min(start_s or 0.0, max(duration_s - 0.1, 0.0))
    end = min(end_s if end_s is not None else duration_s, duration_s)
    if end <= start:
        end = duration_s
    return Window(start_s=start, length_s=min(end - start, max_length_s))


def overlay_text(merchant_name: str, visited_at: datetime, timezone: str) -> str:
    """The line burnt into the clip: "merchant · visit date and time · verified visit"."""
    try:
        zone = ZoneInfo(timezone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    local = visited_at.astimezone(zone)
    name = " ".join(merchant_name.split())[:60]
    return f"{name} · {local:%Y-%m-%d %H:%M} · verified visit"


@dataclass(frozen=True)
class Video:
    video_id: str
    order_id: str
    user_id: str
    merchant_id: str
    deal_id: str
    status: VideoStatus
    content_type: str
    declared_size: int
    part_size: int
    part_count: int
    upload_id: str
    visited_at: datetime
    created_at: datetime
    trim_start_s: float | None = None
    trim_end_s: float | None = None
    size_bytes: int | None = None
    edit_attempts: int = 0
    published_at: datetime | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    edited_size: int | None = None
    hidden: bool = False
    hidden_reason: str | None = None
    rejection: Rejection | None = None
    # The order's published video this one replaces once it is published itself.
    replaces: str | None = None
    # The uploader chose to keep every face unblurred (we cannot tell which face is theirs).
    keep_faces: bool = False
    # Set when published: True when the face blur ran (faces_found faces blurred), False when
    # the uploader chose keep_faces.
    faces_blurred: bool | None = None
    faces_found: int | None = None

    @property
    def raw_key(self) -> str:
        return raw_key(self.video_id)

    @property
    def edited_key(self) -> str:
        return edited_key(self.video_id)

    @property
    def poster_key(self) -> str:
        return poster_key(self.video_id)

    @property
    def is_public(self) -> bool:
        return self.status == "published" and not self.hidden
