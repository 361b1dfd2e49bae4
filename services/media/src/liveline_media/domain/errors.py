"""What can go wrong in a request to the media service; api/problems.py gives each a problem slug."""

from __future__ import annotations


class MediaServiceError(Exception):
    pass


class Forbidden(MediaServiceError):
    pass


class OrderNotFound(MediaServiceError):
    """No order of the caller's with this id (also said of another buyer's order)."""


class OrderNotRedeemed(MediaServiceError):
    pass


class OrderRefunded(MediaServiceError):
    pass


class VideoExists(MediaServiceError):
    pass


class VideoNotFound(MediaServiceError):
    pass


class UploadTooLarge(MediaServiceError):
    pass


class UploadIncomplete(MediaServiceError):
    def __init__(self, message: str, missing_parts: list[int]) -> None:
        super().__init__(message)
        self.missing_parts = missing_parts


class NotUploading(MediaServiceError):
    pass


class Unavailable(MediaServiceError):
    """Object storage or the order service did not answer; nothing was changed."""
