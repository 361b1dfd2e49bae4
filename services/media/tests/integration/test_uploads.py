"""Uploading: resumable after an interruption without sending finished parts again; only the
buyer of a redeemed order, once per order; bad input changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from liveline_shared.events import OrderRefunded

from services.media.tests.integration.support import (
    PART_SIZE,
    admin,
    assert_problem,
    customer,
    headers,
    post_upload,
    publish,
    put_parts,
    start_upload,
    staff,
    upload_file,
    wait_for,
    wait_until_done,
)


def noisy_clip(tools, folder, seconds: float = 4):
    """A clip of random noise, losslessly encoded: about 11 MB in 4 s, so three 5 MiB parts."""
    path = folder / "noisy.mp4"
    tools.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", str(seconds),
         "-vf", "noise=alls=100:allf=t+u", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p",
         str(path)],
        cwd=folder, what="noisy clip",
    )
    return path


class CountingStorage(httpx.AsyncBaseTransport):
    """Counts the parts the client sends to storage (every PUT goes through here)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(int(request.url.params["partNumber"]))
        return await self.inner.handle_async_request(request)


async def test_an_interrupted_upload_resumes_without_sending_finished_parts_again(client, world, tools, tmp_path):
    clip = noisy_clip(tools, tmp_path)
    data = clip.read_bytes()
    buyer = customer()
    upload = await start_upload(client, buyer, await world.order(buyer), len(data))
    assert upload["part_count"] == 3 and upload["part_size"] == PART_SIZE
    assert [p["part_number"] for p in upload["upload_urls"]] == [1, 2, 3]
    # Each URL is good for one part of this upload, for at most an hour.
    first_url = httpx.URL(upload["upload_urls"][0]["url"])
    assert int(first_url.params["X-Amz-Expires"]) <= 3600 and first_url.params["partNumber"] == "1"

    # Part 1 arrives; the network drops in the middle of part 2.
    await put_parts(upload, data, numbers=[1])
    part_two = upload["upload_urls"][1]["url"]

    async def half_of_part_two():
        yield data[PART_SIZE: PART_SIZE + PART_SIZE // 2]
        raise ConnectionError("the phone lost its network")

    async with httpx.AsyncClient(timeout=30) as storage:
        try:
            await storage.put(part_two, content=half_of_part_two(), headers={"Content-Length": str(PART_SIZE)})
        except (httpx.HTTPError, ConnectionError):
            pass
    too_early = await client.post(f"/videos/{upload['video_id']}/complete", headers=headers(buyer))
    assert assert_problem(too_early, 409, "upload-incomplete")["missing_parts"] == [2, 3]

    resumed = await client.get(f"/videos/{upload['video_id']}/upload", headers=headers(buyer))
    assert resumed.status_code == 200, resumed.text
    state = resumed.json()
    assert state["parts_done"] == [1]
    assert [p["part_number"] for p in state["upload_urls"]] == [2, 3]
    counting = CountingStorage()
    async with httpx.AsyncClient(timeout=60, transport=counting) as storage:
        for part in state["upload_urls"]:
            n = part["part_number"]
            assert (await storage.put(part["url"], content=data[(n - 1) * PART_SIZE: n * PART_SIZE])).status_code == 200
    assert counting.sent == [2, 3]

    completed = await client.post(f"/videos/{upload['video_id']}/complete", headers=headers(buyer))
    assert completed.status_code == 200, completed.text
    again = await client.post(f"/videos/{upload['video_id']}/complete", headers=headers(buyer))
    assert again.status_code == 200 and again.json()["status"] in ("processing", "published")
    video = await wait_until_done(client, buyer, upload["video_id"])
    assert video["status"] == "published", video


async def test_someone_else_cannot_upload_for_an_order(client, world):
    buyer, stranger = customer(), customer()
    order_id = await world.order(buyer)
    await start_upload(client, buyer, order_id, 1000)  # the order is known and redeemed

    body = {"order_id": order_id, "size_bytes": 1000, "content_type": "video/mp4"}
    assert_problem(await client.post("/videos", json=body, headers=headers(stranger)), 404, "order-not-found")
    merchant_staff = staff(world.merchant_id)
    assert_problem(await client.post("/videos", json=body, headers=headers(merchant_staff)), 403, "forbidden")


async def test_before_redemption_the_buyer_is_told_to_wait_for_it(client, world, kafka):
    buyer = customer()
    order_id = await world.order(buyer, redeemed=False)
    body = {"order_id": order_id, "size_bytes": 1000, "content_type": "video/mp4"}

    async def known() -> httpx.Response | None:
        response = await client.post("/videos", json=body, headers=headers(buyer))
        return None if response.json()["type"].endswith("order-not-found") else response

    refused = await wait_for(known, what="the order to reach media")
    problem = assert_problem(refused, 409, "order-not-redeemed")
    assert "redeemed" in problem["detail"]


async def test_a_refunded_order_gets_no_video(client, world, kafka):
    buyer = customer()
    order_id = await world.order(buyer, redeemed=False)
    await publish(kafka, OrderRefunded(
        order_id=order_id, deal_id=world.deal_id, merchant_id=world.merchant_id, user_id=buyer.account_id,
        occurred_at=datetime.now(UTC), producer="order", quantity=1, refunded_by=buyer.account_id,
    ))
    body = {"order_id": order_id, "size_bytes": 1000, "content_type": "video/mp4"}

    async def settled() -> httpx.Response | None:
        response = await client.post("/videos", json=body, headers=headers(buyer))
        return response if response.json()["type"].endswith("order-refunded") else None

    assert_problem(await wait_for(settled, what="the refund to reach media"), 409, "order-refunded")


async def test_one_video_per_order_which_its_owner_may_delete_and_upload_again(client, world, tools, tmp_path):
    buyer = customer()
    order_id = await world.order(buyer)
    clip = tools.make_test_clip(tmp_path / "clip.mp4", seconds=1, width=160, height=120)
    first = await upload_file(client, buyer, order_id, clip)
    await wait_until_done(client, buyer, first["video_id"])

    body = {"order_id": order_id, "size_bytes": 1000, "content_type": "video/mp4"}
    assert_problem(await client.post("/videos", json=body, headers=headers(buyer)), 409, "video-exists")
    stranger = customer()
    assert_problem(await client.delete(f"/videos/{first['video_id']}", headers=headers(stranger)), 404, "video-not-found")

    assert (await client.delete(f"/videos/{first['video_id']}", headers=headers(buyer))).status_code == 204
    assert_problem(await client.get(f"/videos/{first['video_id']}", headers=headers(buyer)), 404, "video-not-found")
    second = await upload_file(client, buyer, order_id, clip)
    assert second["video_id"] != first["video_id"]
    assert (await wait_until_done(client, buyer, second["video_id"]))["status"] == "published"


async def test_bad_input_is_a_problem_and_changes_nothing(client, world):
    buyer = customer()
    order_id = await world.order(buyer)
    for body in (
        {"order_id": order_id, "size_bytes": 0, "content_type": "video/mp4"},
        {"order_id": order_id, "size_bytes": 1000, "content_type": "image/png"},
        {"order_id": order_id, "size_bytes": 1000, "content_type": "video/mp4", "trim_length_s": 0},
        {"order_id": order_id, "size_bytes": 1000, "content_type": "video/mp4", "filename": "../../etc"},
    ):
        assert_problem(await post_upload(client, buyer, body), 422, "invalid-request")
    assert_problem(await client.post("/videos", json={}, headers=headers(None)), 401, "unauthenticated")
    # Still no video for the order: a good request starts one.
    assert (await start_upload(client, buyer, order_id, 1000))["part_count"] == 1


async def test_only_the_uploader_resumes_or_completes_an_upload(client, world):
    buyer = customer()
    upload = await start_upload(client, buyer, await world.order(buyer), 1000)
    for intruder in (customer(), staff(world.merchant_id), admin()):
        path = f"/videos/{upload['video_id']}"
        assert_problem(await client.get(f"{path}/upload", headers=headers(intruder)), 404, "video-not-found")
        assert_problem(await client.post(f"{path}/complete", headers=headers(intruder)), 404, "video-not-found")


async def test_a_published_video_is_replaced_only_once_its_successor_is_published(client, world, tools, tmp_path):
    buyer = customer()
    order_id = await world.order(buyer)
    clip = tools.make_test_clip(tmp_path / "clip.mp4", seconds=1, width=160, height=120)
    first = await upload_file(client, buyer, order_id, clip)
    assert (await wait_until_done(client, buyer, first["video_id"]))["status"] == "published"

    second = await start_upload(client, buyer, order_id, clip.stat().st_size, replace=True)
    listed = await client.get(f"/deals/{world.deal_id}/videos", headers=headers(None))
    assert [v["video_id"] for v in listed.json()["items"]] == [first["video_id"]]  # still shown meanwhile
    await put_parts(second, clip.read_bytes())
    assert (await client.post(f"/videos/{second['video_id']}/complete", headers=headers(buyer))).status_code == 200
    assert (await wait_until_done(client, buyer, second["video_id"]))["status"] == "published"

    async def only_the_successor() -> bool:
        page = await client.get(f"/deals/{world.deal_id}/videos", headers=headers(None))
        return [v["video_id"] for v in page.json()["items"]] == [second["video_id"]]

    await wait_for(only_the_successor, what="the replaced video to leave the list")
    assert_problem(await client.get(f"/videos/{first['video_id']}", headers=headers(buyer)), 404, "video-not-found")
