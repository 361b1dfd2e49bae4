"""The media service's use cases: one async function per command or event, each given the
`Dependencies` it works with (built in bootstrap.py) and, for a command, the caller.

uploads: start, resume, complete and delete an upload; editing: the worker's probe-and-edit;
display: lists, one video, hide/unhide; orders: redemptions learnt from the order service.
"""

from .dependencies import Dependencies
from .display import Playable, get_video, list_public, set_hidden
from .editing import edit_uploaded_video
from .orders import record_order_event
from .uploads import StartUpload, UploadState, complete_upload, delete_video, start_upload, upload_status

__all__ = [
    "Dependencies",
    "Playable",
    "StartUpload",
    "UploadState",
    "complete_upload",
    "delete_video",
    "edit_uploaded_video",
    "get_video",
    "list_public",
    "record_order_event",
    "set_hidden",
    "start_upload",
    "upload_status",
]
