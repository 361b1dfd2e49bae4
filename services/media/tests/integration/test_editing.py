"""A buyer's clip, uploaded straight to MinIO, comes out edited: upright, at most 720p, trimmed,
H.264/AAC with faststart, without its GPS and device tags, with a poster; VideoEdited once."""

from __future__ import annotations

import httpx

from services.media.tests.integration.support import customer, upload_file, video_events, wait_until_done


async def _download(url: str) -> bytes:
    async with httpx.AsyncClient(timeout=60) as anyone:
        response = await anyone.get(url)
        assert response.status_code == 200, response.text
        return response.content


async def test_a_portrait_phone_clip_is_published_upright_without_its_location(client, world, tools, clips, tmp_path, kafka):
    landscape = tools.make_test_clip(tmp_path / "landscape.mp4", seconds=2, width=320, height=240)
    phone = tmp_path / "phone.mp4"
    # What a phone held upright writes: landscape pixels, a 90° rotation tag, and where it was.
    tools.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(landscape), "-c", "copy", "-metadata:s:v:0", "rotate=90",
         "-metadata", "location=+31.2304+121.4737/", "-metadata", "make=Apple", str(phone)],
        cwd=tmp_path, what="tag the clip",
    )
    assert "location" in tools.probe_json(phone)["format"]["tags"]
    buyer = customer()

    uploaded = await upload_file(client, buyer, await world.order(buyer), phone)
    assert uploaded["status"] == "processing"
    video = await wait_until_done(client, buyer, uploaded["video_id"])

    assert video["status"] == "published", video
    assert (video["width"], video["height"]) == (240, 320)  # upright: taller than wide
    assert video["verified_visit"] is True
    edited = tmp_path / "edited.mp4"
    edited.write_bytes(await _download(video["video_url"]))
    probe = tools.probe_json(edited)
    picture = next(s for s in probe["streams"] if s["codec_type"] == "video")
    sound = next(s for s in probe["streams"] if s["codec_type"] == "audio")
    assert (picture["codec_name"], picture["width"], picture["height"]) == ("h264", 240, 320)
    assert not picture.get("side_data_list") and "rotate" not in picture.get("tags", {})
    assert sound["codec_name"] == "aac"
    tags = {k.lower() for k in probe["format"].get("tags", {})}
    assert not tags & {"location", "location-eng", "make", "com.apple.quicktime.location.iso6709"}, tags
    data = edited.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat"), "faststart: the index comes before the media"
    poster = await _download(video["poster_url"])
    assert poster[:3] == b"\xff\xd8\xff"  # a JPEG

    events = await video_events(kafka, video["video_id"], expect=2)
    assert [e["event_type"] for e in events] == ["VideoUploaded", "VideoEdited"]
    edited_event = events[1]
    assert (edited_event["width"], edited_event["height"]) == (240, 320)
    assert edited_event["size_bytes"] == len(data)
    assert edited_event["order_id"] == video["order_id"] and edited_event["user_id"] == buyer.account_id


async def test_a_4k_clip_is_published_at_720p(client, world, tools, tmp_path):
    clip = tools.make_test_clip(tmp_path / "4k.mp4", seconds=1, width=3840, height=2160, rate=5)
    buyer = customer()
    uploaded = await upload_file(client, buyer, await world.order(buyer), clip)
    video = await wait_until_done(client, buyer, uploaded["video_id"])
    assert video["status"] == "published", video
    assert (video["width"], video["height"]) == (1280, 720)


async def test_a_three_minute_clip_is_trimmed_to_the_published_maximum(client, world, tools, tmp_path):
    clip = tools.make_test_clip(tmp_path / "long.mp4", seconds=180, width=96, height=64, rate=5)
    buyer = customer()
    uploaded = await upload_file(client, buyer, await world.order(buyer), clip)
    video = await wait_until_done(client, buyer, uploaded["video_id"])
    assert video["status"] == "published", video
    assert 59.5 <= video["duration_s"] <= 60.5


async def test_the_uploader_chooses_where_the_clip_starts_and_ends(client, world, tools, tmp_path):
    clip = tools.make_test_clip(tmp_path / "chosen.mp4", seconds=8, width=160, height=120, rate=10)
    buyer = customer()
    order_id = await world.order(buyer)
    uploaded = await upload_file(client, buyer, order_id, clip, trim_start_s=2, trim_length_s=3)
    video = await wait_until_done(client, buyer, uploaded["video_id"])
    assert video["status"] == "published", video
    assert 2.8 <= video["duration_s"] <= 3.3


async def test_a_clip_without_sound_is_published_silent(client, world, tools, tmp_path):
    clip = tools.make_test_clip(tmp_path / "silent.mp4", seconds=2, width=160, height=120, audio=False)
    buyer = customer()
    uploaded = await upload_file(client, buyer, await world.order(buyer), clip)
    video = await wait_until_done(client, buyer, uploaded["video_id"])
    assert video["status"] == "published", video
    edited = tmp_path / "edited.mp4"
    edited.write_bytes(await _download(video["video_url"]))
    assert tools.probe(edited).audio_codec is None


async def test_mov_and_webm_from_phones_are_published_as_mp4(client, world, tools, tmp_path):
    for name, content_type, options in (
        ("phone.mov", "video/quicktime", {}),
        ("phone.webm", "video/webm", {"vcodec": "libvpx", "acodec": "libopus", "deadline": "realtime", "cpu-used": 8}),
    ):
        clip = tools.make_test_clip(tmp_path / name, seconds=1, width=160, height=120, output_args=options)
        buyer = customer()
        uploaded = await upload_file(client, buyer, await world.order(buyer), clip, content_type=content_type)
        video = await wait_until_done(client, buyer, uploaded["video_id"])
        assert video["status"] == "published", (name, video)
        edited = tmp_path / f"{name}.edited.mp4"
        edited.write_bytes(await _download(video["video_url"]))
        assert (tools.probe(edited).video_codec, tools.probe(edited).audio_codec) == ("h264", "aac"), name


async def test_the_overlay_is_burnt_into_the_bottom_of_the_picture(client, world, tools, tmp_path):
    plain = tmp_path / "plain.mp4"
    tools.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x202080:size=320x240:rate=10", "-t", "1",
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(plain)], cwd=tmp_path, what="plain clip")
    buyer = customer()
    uploaded = await upload_file(client, buyer, await world.order(buyer), plain)
    video = await wait_until_done(client, buyer, uploaded["video_id"])
    poster = tmp_path / "poster.jpg"
    poster.write_bytes(await _download(video["poster_url"]))
    gray = tools.run(["ffmpeg", "-v", "error", "-i", str(poster), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                     cwd=tmp_path, what="decode poster").stdout
    rows = [gray[y * 320:(y + 1) * 320] for y in range(240)]
    bright = [sum(1 for value in row if value > 180) for row in rows]
    # The plain dark-blue picture has no bright pixel; the line of white text sits at the bottom.
    assert sum(bright[:160]) == 0
    assert sum(bright[200:]) > 10
