"""Merchants' time zones, asked of the order service that owns merchants (its internal
`GET /merchants/{id}`). A service that needs a merchant's local day or meal periods asks once
and keeps the answer with its own data."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from .callers import TOKEN_HEADER


class MerchantDirectoryUnavailable(ConnectionError):
    """The order service did not answer. A ConnectionError, so a consumer retries the event later
    instead of dead-lettering it, and the API answers 503."""


class OrderServiceMerchants:
    def __init__(self, base_url: str, internal_token: str, timeout_s: float = 5.0) -> None:
        self._internal_token = internal_token
        self._http = httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(timeout_s, connect=2.0))

    async def close(self) -> None:
        await self._http.aclose()

    async def timezone(self, merchant_id: str) -> str | None:
        """The merchant's IANA time zone; None when the order service does not know the merchant."""
        try:
            response = await self._http.get(
                f"/merchants/{quote(merchant_id, safe='')}", headers={TOKEN_HEADER: self._internal_token}
            )
        except httpx.HTTPError as error:
            raise MerchantDirectoryUnavailable(f"order service: {type(error).__name__}: {error}") from error
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise MerchantDirectoryUnavailable(f"order service answered {response.status_code} for a merchant")
        return response.json()["timezone"]
