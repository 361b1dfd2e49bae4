"""What every handler is given (built in bootstrap.py), and the access rules they share."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from liveline_shared.callers import Caller
from liveline_shared.clock import Clock, to_millis
from liveline_shared.outbox import WriteLease

from ..adapters.faces import FaceBlur
from ..adapters.ffmpeg import Ffmpeg
from ..adapters.grants import GrantsRepository
from ..adapters.merchants import OrderServiceMerchants
from ..adapters.object_store import ObjectStore
from ..adapters.videos import VideosRepository
from ..domain.videos import Limits, Video


@dataclass
class Dependencies:
    grants: GrantsRepository
    videos: VideosRepository
    store: ObjectStore
    merchants: OrderServiceMerchants
    ffmpeg: Ffmpeg
    faces: FaceBlur
    clock: Clock
    raw_bucket: str
    edited_bucket: str
    limits: Limits = field(default_factory=Limits)
    part_size: int = 8 * 1024 * 1024
    upload_url_ttl: timedelta = timedelta(hours=1)
    playback_url_ttl: timedelta = timedelta(minutes=15)
    edit_attempts: int = 3
    x264_preset: str = "veryfast"
    overlay_font: Path = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    scratch_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))
    # Tells the outbox relay that a video has events to publish (relay.notify), with the lease
    # the write took (relay.write_lease; None without a relay, and the sweep publishes).
    notify: Callable[[str, Any, WriteLease | None], None] = lambda collection, document_id, lease=None: None
    write_lease: Callable[[], WriteLease | None] = lambda: None

    def now(self) -> datetime:
        # BSON keeps milliseconds; cutting here means what we answer is what we stored.
        return to_millis(self.clock.now())


def owns(caller: Caller | None, video: Video) -> bool:
    return caller is not None and caller.role == "customer" and caller.account_id == video.user_id


def manages(caller: Caller | None, video: Video) -> bool:
    return caller is not None and (caller.is_admin or caller.is_staff_of(video.merchant_id))


def may_see(caller: Caller | None, video: Video) -> bool:
    if video.status == "deleted":
        return caller is not None and caller.is_admin
    return video.is_public or owns(caller, video) or manages(caller, video)
