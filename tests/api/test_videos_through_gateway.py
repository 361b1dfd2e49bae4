"""An on-site video through the gateway's public API, with every service a real process: a
customer buys, the staff redeem, the customer uploads straight to object storage, the video is
edited and shown to anyone under the deal and the merchant; the staff hide it and show it again."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.api.support import Account, assert_problem, buy, new_customer, new_deal_on_sale

DEADLINE_S = 120


def clip(folder: Path) -> bytes:
    path = folder / "visit.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15",
         "-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True, timeout=60, capture_output=True,
    )
    return path.read_bytes()


def until(check, what: str, deadline_s: float = DEADLINE_S):
    deadline = time.monotonic() + deadline_s
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return result


@pytest.fixture
def deal(client, staff, merchant) -> dict:
    return new_deal_on_sale(client, staff, merchant["merchant_id"])


@pytest.fixture
def customer(client) -> Account:
    return new_customer(client)


def test_a_redeemed_buyers_video_is_uploaded_edited_shown_and_moderated(client, customer, staff, merchant, deal, tmp_path):
    order = buy(client, customer, deal["deal_id"]).json()
    body = {"order_id": order["order_id"], "size_bytes": 1000, "content_type": "video/mp4"}

    def refused_until_redeemed() -> httpx.Response | None:
        response = client.post("/v1/videos", json=body, headers=customer.headers)
        return response if response.status_code != 404 else None  # 404 until the order reaches media

    before = until(refused_until_redeemed, "the order to reach the media service")
    assert "redeemed" in assert_problem(before, 409, "order-not-redeemed")["detail"]
    redeemed = client.post("/v1/redemptions", json={"code": order["voucher"]["code"]}, headers=staff.headers)
    assert redeemed.status_code == 200, redeemed.text

    data = clip(tmp_path)
    body["size_bytes"] = len(data)

    def started() -> httpx.Response | None:
        response = client.post("/v1/videos", json=body, headers=customer.headers)
        return response if response.status_code == 201 else None

    upload = until(started, "the redemption to reach the media service").json()
    assert upload["part_count"] == 1
    stranger = new_customer(client)
    assert_problem(client.post("/v1/videos", json=body, headers=stranger.headers), 404, "order-not-found")
    with httpx.Client(timeout=60) as storage:  # straight to object storage, not through the gateway
        stored = storage.put(upload["upload_urls"][0]["url"], content=data)
        assert stored.status_code == 200, stored.text
    completed = client.post(f"/v1/videos/{upload['video_id']}/complete", headers=customer.headers)
    assert completed.status_code == 200, completed.text
    assert_problem(client.post(f"/v1/videos/{upload['video_id']}/complete", headers=stranger.headers), 404)

    def published() -> dict | None:
        video = client.get(f"/v1/videos/{upload['video_id']}", headers=customer.headers).json()
        return video if video["status"] in ("published", "rejected") else None

    video = until(published, "the edit")
    assert video["status"] == "published", video
    assert video["verified_visit"] is True and (video["width"], video["height"]) == (320, 240)

    for path in (f"/v1/deals/{deal['deal_id']}/videos", f"/v1/merchants/{merchant['merchant_id']}/videos"):
        listed = client.get(path)  # no token needed
        assert listed.status_code == 200, listed.text
        assert [v["video_id"] for v in listed.json()["items"]] == [upload["video_id"]]
    with httpx.Client(timeout=30) as anyone:
        assert anyone.get(listed.json()["items"][0]["video_url"]).content[4:8] == b"ftyp"

    assert_problem(client.post(f"/v1/videos/{upload['video_id']}/hide", json={"reason": "x" * 501},
                               headers=staff.headers), 422, "invalid-request")
    assert_problem(client.post(f"/v1/videos/{upload['video_id']}/hide", json={"reason": "off topic"},
                               headers=customer.headers), 403, "forbidden")
    hidden = client.post(f"/v1/videos/{upload['video_id']}/hide", json={"reason": "off topic"}, headers=staff.headers)
    assert hidden.status_code == 200 and hidden.json()["hidden_reason"] == "off topic"
    assert client.get(f"/v1/deals/{deal['deal_id']}/videos").json()["items"] == []
    shown = client.post(f"/v1/videos/{upload['video_id']}/unhide", headers=staff.headers)
    assert shown.status_code == 200 and shown.json()["hidden"] is False
    assert len(client.get(f"/v1/deals/{deal['deal_id']}/videos").json()["items"]) == 1


def test_bad_video_ids_and_bodies_are_problems(client, customer):
    assert_problem(client.get("/v1/videos/not..an..id"), 422, "invalid-request")
    assert_problem(client.post("/v1/videos", json={"order_id": "x", "size_bytes": -1, "content_type": "video/mp4"},
                               headers=customer.headers), 422, "invalid-request")
    assert_problem(client.post("/v1/videos", json={"order_id": "x", "size_bytes": 10, "content_type": "video/mp4"}),
                   401, "unauthenticated")
    assert_problem(client.get("/v1/videos/0123456789abcdef"), 404, "video-not-found")
