"""The media service's pure rules: part plans, output sizes, trims, rejections and the overlay."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liveline_media.domain.videos import (
    Limits,
    Probe,
    edit_window,
    judge_probe,
    judge_unprobeable,
    output_size,
    overlay_text,
    plan_parts,
    upright_size,
)

MiB = 1024 * 1024


def test_parts_are_at_least_the_preferred_size_and_never_more_than_s3_allows():
    assert (plan_parts(20 * MiB, 8 * MiB).part_size, plan_parts(20 * MiB, 8 * MiB).part_count) == (8 * MiB, 3)
    assert plan_parts(1000, 8 * MiB).part_count == 1
    huge = plan_parts(100_000 * MiB, 5 * MiB)
    assert huge.part_count <= 10_000 and huge.part_size * huge.part_count >= 100_000 * MiB


@pytest.mark.parametrize(
    ("size", "expected"),
    [((3840, 2160), (1280, 720)), ((1080, 1920), (720, 1280)), ((320, 240), (320, 240)), ((1001, 563), (1000, 562))],
)
def test_output_is_at_most_720p_never_enlarged_with_even_sides(size, expected):
    assert output_size(*size) == expected


def test_a_quarter_turn_swaps_width_and_height():
    assert upright_size(Probe("mov", 2.0, "h264", 1920, 1080, rotation=-90)) == (1080, 1920)


def test_the_published_clip_is_the_chosen_part_cut_to_the_maximum():
    assert edit_window(180, None, None, 60).length_s == 60
    chosen = edit_window(30, 2, 5, 60)
    assert (chosen.start_s, chosen.length_s) == (2, 3)
    assert edit_window(10, 4, 99, 60).length_s == 6


@pytest.mark.parametrize(
    ("probe", "reason"),
    [
        (Probe("png_pipe", None, "png", 640, 480), "not_a_video"),
        (Probe("mov,mp4,m4a,3gp,3g2,mj2", 2.0, None, audio_codec="aac"), "no_video_stream"),
        (Probe("mov,mp4,m4a,3gp,3g2,mj2", 700.0, "h264", 640, 480), "too_long"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(probe, reason):
    assert judge_probe(probe, Limits()).reason == reason


def test_a_cut_off_file_reads_as_truncated():
    assert judge_unprobeable("[mov] moov atom not found").reason == "truncated"
    assert judge_unprobeable("Invalid data found when processing input").reason == "not_a_video"


def test_the_overlay_shows_the_visit_in_the_merchants_time_zone():
    text = overlay_text("海底捞  Hotpot", datetime(2015, 3, 24, 10, 30, tzinfo=UTC), "Asia/Shanghai")
    assert text == "海底捞 Hotpot · 2015-03-24 18:30 · verified visit"
