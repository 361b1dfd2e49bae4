"""The face blur: where the rectangles go between sampled frames, and how many labelled faces of
the synthetic clips (services/media/tests/face_scenes.py) end up under them."""

from __future__ import annotations

import pytest

from liveline_media.adapters.faces import FaceDetectionFailed, HaarFaceDetector
from liveline_media.domain.faces import BlurSettings, Box, Sample, coverage, piecewise_linear, plan_blur
from services.media.tests.face_scenes import SCENES, Score, evaluate, labelled_set_recall

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
        assert track.width >= 60 * 1.6 - 2


def test_the_ffmpeg_expression_goes_through_the_points():
    expression = piecewise_linear([(0.0, 10.0), (1.0, 20.0), (2.0, 20.0), (3.0, 50.0)])
    for t, expected in ((-1, 10), (0.5, 15), (1.5, 20), (2.5, 35), (9, 50)):
        # ffmpeg's if/lt with Python's meaning, to check the tree's branches.
        value = eval(expression.replace("if(", "_if(").replace("gte(", "_gte(").replace("lt(", "_lt("),  # noqa: S307
                     {"_if": lambda c, a, b: a if c else b, "_lt": lambda a, b: a < b, "_gte": lambda a, b: a >= b, "t": t})
        assert value == pytest.approx(expected, abs=0.1)


def test_a_cascade_that_does_not_load_is_a_detection_failure(tmp_path):
    with pytest.raises(FaceDetectionFailed):
        HaarFaceDetector(cascade_dir=tmp_path)


def test_the_labelled_faces_of_the_synthetic_clips_are_blurred_in_every_frame():
    """Detection on frames sampled every 0.5 s, scored on every 0.1 s: frontal recall >= 0.95,
    profile >= 0.85, and no frame where a frontal face is not blurred at all."""
    detector = HaarFaceDetector()
    total = Score()
    for scene in SCENES:
        total.add(evaluate(scene, detector, BlurSettings()))
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
