"""The media service's HTTP contract: on-site video uploads, their state, and the public lists.

An upload is an S3 multipart upload straight to object storage: the service answers with one
presigned PUT URL per part; the client sends each part there (in any order, again if it failed),
may ask for fresh URLs and for the parts already stored (`GET /videos/{id}/upload`), and then
says it is done (`POST /videos/{id}/complete`). The bytes never pass through liveline's services.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

VideoStatus = Literal["uploading", "processing", "published", "rejected", "deleted"]
VideoContentType = Literal["video/mp4", "video/quicktime", "video/webm"]

MAX_UPLOAD_BYTES = 500 * 1024 * 1024


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NewVideoUpload(_Input):
    order_id: str = Field(min_length=1, max_length=64, description="The redeemed order the video was filmed for.")
    size_bytes: int = Field(
        gt=0, le=MAX_UPLOAD_BYTES, description=f"Size of the file to upload (at most {MAX_UPLOAD_BYTES} bytes)."
    )
    content_type: VideoContentType = Field(description="The file's type: MP4, QuickTime (MOV) or WebM.")
    # A start and a length rather than a start and an end: every pair the schema allows is a
    # real choice (an end before the start cannot be written), and a clip shorter than the
    # choice is simply cut where it ends.
    trim_start_s: float | None = Field(default=None, ge=0, le=600, description="Start the clip here (seconds).")
    trim_length_s: float | None = Field(
        default=None, gt=0, le=600, description="Keep this many seconds from the start (at most the published maximum)."
    )
    replace: bool = Field(
        default=False,
        description="Replace the order's published video: it stays shown until this one is published, then goes.",
    )
    keep_faces: bool = Field(
        default=False,
        description="Every face in the clip is blurred unless this is true. We cannot tell which face is yours, "
        "so true keeps ALL faces unblurred, yours and anyone else's: choose it only if everyone who can be "
        "seen agreed. The choice is recorded on the video and shown to the merchant's staff.",
    )

    @property
    def trim_end_s(self) -> float | None:
        if self.trim_length_s is None:
            return None
        return (self.trim_start_s or 0.0) + self.trim_length_s


class PartUrl(BaseModel):
    part_number: int = Field(description="1-based number of the part.")
    url: str = Field(description="Presigned URL: PUT exactly this part's bytes there; keep its ETag answer to yourself.")


class UploadOut(BaseModel):
    video_id: str
    status: VideoStatus
    size_bytes: int
    part_size: int = Field(description="Every part but the last has exactly this many bytes.")
    part_count: int
    parts_done: list[int] = Field(description="Parts already stored; send only the others.")
    upload_urls: list[PartUrl] = Field(description="Presigned URLs of the parts still missing.")
    urls_expire_at: AwareDatetime = Field(description="After this, ask GET /videos/{id}/upload for fresh URLs.")


class Rejection(BaseModel):
    reason: str = Field(description="A stable code: not_a_video, no_video_stream, empty, truncated, too_long, ...")
    detail: str = Field(description="A sentence for the uploader.")


class VideoOut(BaseModel):
    """A video as its uploader, its merchant's staff and admins see it (others: published ones only)."""

    video_id: str
    order_id: str
    merchant_id: str
    deal_id: str
    status: VideoStatus
    visited_at: AwareDatetime = Field(description="When the visit was verified (the order's redemption).")
    verified_visit: bool = Field(description="Always true: only a redeemed order's buyer can upload.")
    created_at: AwareDatetime
    published_at: AwareDatetime | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    video_url: str | None = Field(default=None, description="Presigned GET URL of the MP4, valid for minutes.")
    poster_url: str | None = Field(default=None, description="Presigned GET URL of the JPEG poster, valid for minutes.")
    urls_expire_at: AwareDatetime | None = None
    hidden: bool = False
    hidden_reason: str | None = Field(default=None, description="Shown to the uploader, staff and admins only.")
    rejection: Rejection | None = None
    keep_faces: bool = Field(default=False, description="The uploader asked to keep every face unblurred.")
    faces_blurred: bool | None = Field(
        default=None,
        description="Once published: true when the face blur ran over the clip, false when the uploader chose "
        "keep_faces. A clip whose faces could not be checked is never published.",
    )
    faces_found: int | None = Field(default=None, description="Faces the blur followed through the clip (tracks).")


class VideoPage(BaseModel):
    items: list[VideoOut]
    limit: int
    offset: int


class HideVideo(_Input):
    reason: str = Field(min_length=3, max_length=500, description="Why it is hidden (kept, and shown to the uploader).")
