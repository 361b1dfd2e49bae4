"""How the slots service's domain errors read as problem documents: one stable slug per error."""

from __future__ import annotations

from fastapi import FastAPI

from liveline_shared.merchant_directory import MerchantDirectoryUnavailable
from liveline_shared.problems import TRY_AGAIN, UPSTREAM_UNAVAILABLE, Problem, answer_errors

from ..domain import errors
from ..handlers.offers import OrderChangedMeanwhile

_PROBLEMS: dict[type[errors.SlotsError], tuple[int, str, str]] = {
    errors.Forbidden: (403, "forbidden", "Not allowed"),
    errors.InvalidPolicy: (422, "invalid-slot-policy", "The slot policy is not valid"),
    errors.MerchantNotFound: (404, "merchant-not-found", "No such merchant"),
    errors.OfferNotFound: (404, "offer-not-found", "No slot offer for this order"),
    errors.OrderClosed: (409, "order-closed", "The order gets no more slots"),
    errors.OfferReplaced: (409, "offer-replaced", "A newer offer replaced this one"),
    errors.SlotNotOffered: (422, "slot-not-offered", "A chosen slot is not in the offer"),
    errors.SlotClosed: (409, "slot-closed", "A chosen slot is past its cut-off"),
    errors.SlotFull: (409, "slot-full", "A chosen slot has no place left"),
    errors.ChoiceLocked: (409, "choice-locked", "The first chosen slot has started"),
    errors.ChoiceInProgress: (409, "choice-in-progress", "Another choice for this order is being made"),
    OrderChangedMeanwhile: (409, "order-changed", "The order's slots changed meanwhile"),
}
_RETRYABLE = (errors.ChoiceInProgress, OrderChangedMeanwhile)


def problem_for(error: errors.SlotsError) -> Problem:
    status, slug, title = next(_PROBLEMS[cls] for cls in type(error).__mro__ if cls in _PROBLEMS)
    headers = dict(TRY_AGAIN) if isinstance(error, _RETRYABLE) else None
    # Not-found answers say no more than their title: nothing about an object that is not the caller's.
    quiet = isinstance(error, errors.OfferNotFound | errors.MerchantNotFound)
    return Problem(status, slug, title, "" if quiet else str(error), headers=headers)


def install_slots_problems(app: FastAPI) -> None:
    answer_errors(app, errors.SlotsError, problem_for)
    answer_errors(app, MerchantDirectoryUnavailable, lambda _: UPSTREAM_UNAVAILABLE)
