"""Videos in the media service's database, one document per video keyed by `_id` = video id.

Every status change is one find_one_and_update conditioned on the status before it, carrying the
event it causes in the same update (liveline_shared.outbox): whoever changes the status first
publishes, and only once. That update takes the relay's `lease` too (outbox.WriteLease), so the
relay publishes without claiming the video first. Public lists read by merchant or deal, newest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from liveline_shared.events import Event
from liveline_shared.outbox import WriteLease, aware, merge_updates, outbox_update

from ..domain.videos import Rejection, Video

COLLECTION = "videos"


def to_document(video: Video) -> dict[str, Any]:
    return {
        "_id": video.video_id,
        "order_id": video.order_id,
        "user_id": video.user_id,
        "merchant_id": video.merchant_id,
        "deal_id": video.deal_id,
        "status": video.status,
        "content_type": video.content_type,
        "declared_size": video.declared_size,
        "part_size": video.part_size,
        "part_count": video.part_count,
        "upload_id": video.upload_id,
        "visited_at": video.visited_at,
        "created_at": video.created_at,
        "trim_start_s": video.trim_start_s,
        "trim_end_s": video.trim_end_s,
        "edit_attempts": 0,
        "hidden": False,
        "replaces": video.replaces,
        "keep_faces": video.keep_faces,
    }


def from_document(document: dict[str, Any]) -> Video:
    rejection = document.get("rejection")
    published_at = document.get("published_at")
    return Video(
        video_id=document["_id"],
        order_id=document["order_id"],
        user_id=document["user_id"],
        merchant_id=document["merchant_id"],
        deal_id=document["deal_id"],
        status=document["status"],
        content_type=document["content_type"],
        declared_size=document["declared_size"],
        part_size=document["part_size"],
        part_count=document["part_count"],
        upload_id=document["upload_id"],
        visited_at=aware(document["visited_at"]),
        created_at=aware(document["created_at"]),
        trim_start_s=document.get("trim_start_s"),
        trim_end_s=document.get("trim_end_s"),
        size_bytes=document.get("size_bytes"),
        edit_attempts=document.get("edit_attempts", 0),
        published_at=aware(published_at) if published_at else None,
        duration_s=document.get("duration_s"),
        width=document.get("width"),
        height=document.get("height"),
        edited_size=document.get("edited_size"),
        hidden=document.get("hidden", False),
        hidden_reason=document.get("hidden_reason"),
        rejection=Rejection(**rejection) if rejection else None,
        replaces=document.get("replaces"),
        keep_faces=document.get("keep_faces", False),
        faces_blurred=document.get("faces_blurred"),
        faces_found=document.get("faces_found"),
    )


class VideosRepository:
    def __init__(self, db: AsyncDatabase, timeout_s: float) -> None:
        self._videos = db[COLLECTION]
        self._timeout_s = timeout_s

    async def ensure_indexes(self) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._videos.create_index(
                [("merchant_id", 1), ("status", 1), ("hidden", 1), ("published_at", -1)], name="public_by_merchant"
            )
            await self._videos.create_index(
                [("deal_id", 1), ("status", 1), ("hidden", 1), ("published_at", -1)], name="public_by_deal"
            )

    async def add(self, video: Video) -> None:
        with pymongo.timeout(self._timeout_s):
            await self._videos.insert_one(to_document(video))

    async def get(self, video_id: str) -> Video | None:
        with pymongo.timeout(self._timeout_s):
            document = await self._videos.find_one({"_id": video_id})
        return from_document(document) if document else None

    async def public_page(self, *, merchant_id: str | None, deal_id: str | None, limit: int, offset: int) -> list[Video]:
        """Published, unhidden videos of a merchant or a deal, newest first."""
        query: dict[str, Any] = {"status": "published", "hidden": False}
        query |= {"merchant_id": merchant_id} if merchant_id else {"deal_id": deal_id}
        with pymongo.timeout(self._timeout_s):
            cursor = self._videos.find(query).sort([("published_at", -1), ("_id", 1)]).skip(offset).limit(limit)
            return [from_document(d) async for d in cursor]

    async def _change(
        self, condition: dict[str, Any], fields: dict[str, Any], events: tuple[Event, ...], now: datetime,
        extra: dict[str, Any] | None = None, lease: WriteLease | None = None,
    ) -> Video | None:
        update = merge_updates(
            {"$set": {**fields, "updated_at": now}}, extra or {}, outbox_update(*events, now=now, lease=lease)
        )
        with pymongo.timeout(self._timeout_s):
            document = await self._videos.find_one_and_update(condition, update, return_document=ReturnDocument.AFTER)
        return from_document(document) if document else None

    async def mark_uploaded(
        self, video_id: str, size_bytes: int, event: Event, now: datetime, lease: WriteLease | None = None
    ) -> Video | None:
        """uploading -> processing, with VideoUploaded in the outbox."""
        return await self._change(
            {"_id": video_id, "status": "uploading"},
            {"status": "processing", "size_bytes": size_bytes, "uploaded_at": now}, (event,), now, lease=lease,
        )

    async def start_edit(self, video_id: str, now: datetime) -> Video | None:
        """Counts one more attempt at editing a video that is still being processed; None otherwise."""
        return await self._change(
            {"_id": video_id, "status": "processing"}, {"edit_started_at": now}, (), now,
            extra={"$inc": {"edit_attempts": 1}},
        )

    async def publish(
        self, video_id: str, *, duration_s: float, width: int, height: int, edited_size: int, faces_blurred: bool,
        faces_found: int | None, face_detector: str | None, event: Event, now: datetime,
        lease: WriteLease | None = None,
    ) -> Video | None:
        """processing -> published, with VideoEdited in the outbox; None when it was not processing."""
        fields = {
            "status": "published", "published_at": now, "duration_s": duration_s, "width": width, "height": height,
            "edited_size": edited_size, "faces_blurred": faces_blurred, "faces_found": faces_found,
            "face_detector": face_detector,
        }
        return await self._change({"_id": video_id, "status": "processing"}, fields, (event,), now, lease=lease)

    async def reject(
        self, video_id: str, from_status: str, rejection: Rejection, event: Event, now: datetime,
        lease: WriteLease | None = None,
    ) -> Video | None:
        """`from_status` -> rejected, with VideoRejected in the outbox."""
        fields = {"status": "rejected", "rejected_at": now, "rejection": {"reason": rejection.reason, "detail": rejection.detail}}
        return await self._change({"_id": video_id, "status": from_status}, fields, (event,), now, lease=lease)

    async def delete(self, video_id: str, now: datetime) -> Video | None:
        return await self._change(
            {"_id": video_id, "status": {"$ne": "deleted"}}, {"status": "deleted", "deleted_at": now}, (), now
        )

    async def set_hidden(self, video_id: str, hidden: bool, reason: str | None, by: str, now: datetime) -> Video | None:
        fields = {"hidden": hidden, "hidden_reason": reason, "hidden_by": by, "hidden_at": now if hidden else None}
        return await self._change({"_id": video_id, "status": {"$ne": "deleted"}}, fields, (), now)
