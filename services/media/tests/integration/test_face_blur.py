"""Faces in a buyer's clip are blurred before anyone sees it: through the real media service
(Kafka, FerretDB, MinIO, ffmpeg), checked on the published clip with ffprobe and the same
detector. A clip whose faces cannot be checked is rejected, never published unblurred."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from liveline_devstack.pytest_plugin import TEST_STATE
from liveline_devstack.services import ServiceProcess
from liveline_media.adapters.faces import CnnFaceDetector
from liveline_media.domain.faces import coverage
from services.media.tests.face_scenes import HEIGHT, WIDTH, faces_in_clip, scene, write_clip
from services.media.tests.integration.support import customer, upload_file, video_events, wait_until_done
from tests.random_refs import database_name, suffix

FPS = 2.0  # frames of the clips checked per second (every one has a labelled face)


async def _download(url: str) -> bytes:
    async with httpx.AsyncClient(timeout=60) as anyone:
        response = await anyone.get(url)
        assert response.status_code == 200, response.text
        return response.content


def _labelled_faces_found(path, clip_scene) -> list[float]:
    """Times of the checked frames where the detector finds one of the scene's labelled faces."""
    found = []
    for t, boxes in faces_in_clip(path, CnnFaceDetector(), fps=FPS):
        labels = clip_scene.frame(t)[1]
        if any(coverage(label, [box]) >= 0.5 for label, _ in labels for box in boxes):
            found.append(t)
    return found


async def test_the_faces_of_a_clip_are_not_findable_once_it_is_published(client, world, tmp_path, kafka):
    two_faces = scene("two faces")
    raw = write_clip(two_faces, tmp_path / "two-faces.mp4")
    assert len(_labelled_faces_found(raw, two_faces)) >= 0.9 * two_faces.duration_s * FPS  # the input shows them
    buyer = customer()

    uploaded = await upload_file(client, buyer, await world.order(buyer), raw)
    video = await wait_until_done(client, buyer, uploaded["video_id"])

    assert video["status"] == "published", video
    assert (video["width"], video["height"]) == (WIDTH, HEIGHT)
    assert video["faces_blurred"] is True and video["faces_found"] >= 2 and video["keep_faces"] is False
    edited = tmp_path / "edited.mp4"
    edited.write_bytes(await _download(video["video_url"]))
    assert _labelled_faces_found(edited, two_faces) == []
    events = await video_events(kafka, video["video_id"], expect=2)
    assert events[1]["event_type"] == "VideoEdited" and events[1]["faces_blurred"] is True


async def test_a_clip_without_faces_is_edited_as_before_with_nothing_blurred(client, world, tools, tmp_path):
    raw = tools.make_test_clip(tmp_path / "no-face.mp4", seconds=2, width=320, height=240)
    buyer = customer()

    uploaded = await upload_file(client, buyer, await world.order(buyer), raw)
    video = await wait_until_done(client, buyer, uploaded["video_id"])

    assert video["status"] == "published", video
    assert (video["faces_blurred"], video["faces_found"]) == (True, 0)
    probe = tools.probe(tmp_path / "no-face.mp4")
    assert (video["width"], video["height"]) == (probe.width, probe.height)
    assert video["duration_s"] == pytest.approx(2.0, abs=0.1)


async def test_an_uploader_who_keeps_faces_gets_them_unblurred_and_staff_see_that_choice(client, world, tmp_path):
    face = scene("a face moving across")
    raw = write_clip(face, tmp_path / "kept.mp4")
    buyer = customer()

    uploaded = await upload_file(client, buyer, await world.order(buyer), raw, keep_faces=True)
    video = await wait_until_done(client, buyer, uploaded["video_id"])

    assert video["status"] == "published", video
    assert (video["keep_faces"], video["faces_blurred"], video["faces_found"]) == (True, False, None)
    edited = tmp_path / "edited.mp4"
    edited.write_bytes(await _download(video["video_url"]))
    assert _labelled_faces_found(edited, face), "keep_faces keeps every face as it was"


@pytest.fixture
def media_with_a_broken_detector(stack_endpoints, media_env) -> Iterator[ServiceProcess]:
    env = {
        **media_env,
        "LIVELINE_MEDIA_MONGO_DATABASE": database_name("media_faces"),
        "LIVELINE_MEDIA_CONSUMER_GROUP_PREFIX": f"test-media-faces-{suffix()}-",
        "LIVELINE_MEDIA_FACE_DETECTOR_LIBRARY": str(TEST_STATE / "no-detector-here" / "libfacedetection.so"),
        "LIVELINE_MEDIA_EDIT_ATTEMPTS": "1",
    }
    process = ServiceProcess("media", stack_endpoints, TEST_STATE / "media-faces", environment="test", extra_env=env)
    with process.running():
        yield process


async def test_a_clip_whose_faces_cannot_be_checked_is_rejected_not_published(
    media_with_a_broken_detector, world, tools, tmp_path, kafka,
):
    raw = tools.make_test_clip(tmp_path / "clip.mp4", seconds=1, width=160, height=120)
    buyer = customer()
    async with httpx.AsyncClient(base_url=media_with_a_broken_detector.url, timeout=60) as client:
        uploaded = await upload_file(client, buyer, await world.order(buyer), raw)
        video = await wait_until_done(client, buyer, uploaded["video_id"], deadline_s=60)

    assert video["status"] == "rejected" and video["video_url"] is None
    assert video["rejection"]["reason"] == "processing_failed"
    assert "faces" in video["rejection"]["detail"]
    events = await video_events(kafka, video["video_id"], expect=2)
    assert [e["event_type"] for e in events] == ["VideoUploaded", "VideoRejected"]
