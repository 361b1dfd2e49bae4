"""How the media service's domain errors read as problem documents: one stable slug per error."""

from __future__ import annotations

from fastapi import FastAPI

from liveline_shared.problems import TRY_AGAIN, Problem, answer_errors

from ..domain import errors

_PROBLEMS: dict[type[errors.MediaServiceError], tuple[int, str, str]] = {
    errors.Forbidden: (403, "forbidden", "Not allowed"),
    errors.OrderNotFound: (404, "order-not-found", "No such order"),
    errors.OrderNotRedeemed: (409, "order-not-redeemed", "The order has not been redeemed yet"),
    errors.OrderRefunded: (409, "order-refunded", "The order was refunded"),
    errors.VideoExists: (409, "video-exists", "The order already has a video"),
    errors.VideoNotFound: (404, "video-not-found", "No such video"),
    errors.UploadTooLarge: (422, "video-too-large", "The video is too large"),
    errors.UploadIncomplete: (409, "upload-incomplete", "Some parts of the upload are missing"),
    errors.NotUploading: (409, "upload-expired", "The upload is no longer open"),
    errors.Unavailable: (503, "storage-unavailable", "Video storage did not answer"),
}


def problem_for(error: errors.MediaServiceError) -> Problem:
    status, slug, title = next(_PROBLEMS[cls] for cls in type(error).__mro__ if cls in _PROBLEMS)
    # Not-found answers say no more than their title: nothing about another buyer's objects.
    quiet = isinstance(error, errors.OrderNotFound | errors.VideoNotFound)
    extensions = {}
    if isinstance(error, errors.UploadIncomplete):
        extensions["missing_parts"] = error.missing_parts
    headers = dict(TRY_AGAIN) if isinstance(error, errors.OrderNotRedeemed | errors.Unavailable) else None
    return Problem(status, slug, title, "" if quiet else str(error), headers=headers, **extensions)


def install_media_problems(app: FastAPI) -> None:
    answer_errors(app, errors.MediaServiceError, problem_for)
