"""Showing videos: a merchant's and a deal's published videos, newest first, paginated, playable
without credentials; the merchant's staff hide one with a reason and show it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from services.media.tests.integration.support import (
    admin,
    assert_problem,
    customer,
    headers,
    staff,
    start_upload,
    upload_file,
    wait_until_done,
)


async def _published(client, world, tools, tmp_path, count: int) -> list[tuple[str, object]]:
    """`count` published videos, each of a buyer of its own: (video id, uploader)."""
    clip = tools.make_test_clip(tmp_path / "clip.mp4", seconds=1, width=160, height=120)
    published = []
    for _ in range(count):
        buyer = customer()
        video = await upload_file(client, buyer, await world.order(buyer), clip)
        # One after the other, so "newest first" has an order to show.
        assert (await wait_until_done(client, buyer, video["video_id"]))["status"] == "published"
        published.append((video["video_id"], buyer))
    return published


async def test_a_deals_videos_are_listed_newest_first_page_by_page_and_play_for_anyone(client, world, tools, tmp_path):
    first, second, third = (video_id for video_id, _ in await _published(client, world, tools, tmp_path, 3))

    page_one = await client.get(f"/deals/{world.deal_id}/videos", params={"limit": 2}, headers=headers(None))
    page_two = await client.get(f"/deals/{world.deal_id}/videos", params={"limit": 2, "offset": 2}, headers=headers(None))
    assert [v["video_id"] for v in page_one.json()["items"]] == [third, second]
    assert [v["video_id"] for v in page_two.json()["items"]] == [first]

    shown = page_one.json()["items"][0]
    assert shown["verified_visit"] is True and shown["duration_s"] > 0 and shown["visited_at"]
    assert datetime.fromisoformat(shown["urls_expire_at"]) <= datetime.now(UTC) + timedelta(hours=1)
    async with httpx.AsyncClient(timeout=30) as anyone:
        clip = await anyone.get(shown["video_url"], headers={"Range": "bytes=0-99"})
        assert clip.status_code == 206 and len(clip.content) == 100  # seekable in a player
        assert (await anyone.get(shown["poster_url"])).content[:3] == b"\xff\xd8\xff"

    merchant_page = await client.get(f"/merchants/{world.merchant_id}/videos", params={"limit": 100}, headers=headers(None))
    assert {first, second, third} <= {v["video_id"] for v in merchant_page.json()["items"]}


async def test_the_merchants_staff_hide_a_video_with_a_reason_and_show_it_again(client, world, tools, tmp_path):
    ((video_id, uploader),) = await _published(client, world, tools, tmp_path, 1)
    own_staff, other_staff = staff(world.merchant_id), staff("another-merchant")

    refused = await client.post(f"/videos/{video_id}/hide", json={"reason": "not ours"}, headers=headers(other_staff))
    assert_problem(refused, 403, "forbidden")
    assert_problem(await client.post(f"/videos/{video_id}/hide", json={"reason": ""}, headers=headers(own_staff)),
                   422, "invalid-request")

    hidden = await client.post(f"/videos/{video_id}/hide", json={"reason": "shows another guest's face"}, headers=headers(own_staff))
    assert hidden.status_code == 200, hidden.text
    assert (hidden.json()["hidden"], hidden.json()["hidden_reason"]) == (True, "shows another guest's face")
    listed = await client.get(f"/deals/{world.deal_id}/videos", headers=headers(None))
    assert listed.json()["items"] == []
    assert_problem(await client.get(f"/videos/{video_id}", headers=headers(customer())), 404, "video-not-found")
    told = await client.get(f"/videos/{video_id}", headers=headers(uploader))  # its uploader sees why
    assert (told.json()["hidden"], told.json()["hidden_reason"]) == (True, "shows another guest's face")

    shown = await client.post(f"/videos/{video_id}/unhide", headers=headers(admin()))
    assert shown.status_code == 200 and shown.json()["hidden"] is False
    listed = await client.get(f"/deals/{world.deal_id}/videos", headers=headers(None))
    assert [v["video_id"] for v in listed.json()["items"]] == [video_id]
    assert listed.json()["items"][0]["hidden_reason"] is None


async def test_a_video_not_yet_published_is_seen_only_by_its_uploader_and_the_merchant(client, world):
    buyer = customer()
    upload = await start_upload(client, buyer, await world.order(buyer), 1000)
    path = f"/videos/{upload['video_id']}"
    assert (await client.get(path, headers=headers(buyer))).json()["status"] == "uploading"
    assert (await client.get(path, headers=headers(staff(world.merchant_id)))).status_code == 200
    assert_problem(await client.get(path, headers=headers(customer())), 404, "video-not-found")
    assert_problem(await client.get(path, headers=headers(None)), 404, "video-not-found")


async def test_the_raw_bucket_expires_its_objects(client, store, media_env):
    assert await store.lifecycle_days(media_env["LIVELINE_MEDIA_RAW_BUCKET"]) == 3
