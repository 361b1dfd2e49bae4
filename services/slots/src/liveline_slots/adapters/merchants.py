"""Merchants' time zones, from the order service that owns merchants (its internal GET
/merchants/{id}). Asked once per merchant: the answer becomes the merchant's default policy."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from liveline_shared.callers import TOKEN_HEADER

from ..domain.errors import MerchantDirectoryUnavailable


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
