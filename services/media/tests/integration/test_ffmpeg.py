"""Real ffmpeg and ffprobe through the media service's ffmpeg module."""

from __future__ import annotations

import pytest

from liveline_media.adapters.ffmpeg import Ffmpeg, FfmpegError


def test_generated_clip_probes_with_its_size_length_and_codecs(tmp_path):
    tools = Ffmpeg(threads=2, timeout_s=60)
    clip = tools.make_test_clip(tmp_path / "clip.mp4", seconds=2.0, width=320, height=240)
    probe = tools.probe(clip)
    assert (probe.width, probe.height) == (320, 240)
    assert probe.video_codec == "h264"
    assert probe.audio_codec == "aac"
    assert 1.9 <= probe.duration_s <= 2.2


def test_probing_a_file_that_is_not_a_video_fails_with_ffprobes_reason(tmp_path):
    bogus = tmp_path / "not-a-video.mp4"
    bogus.write_bytes(b"this is text, not a video")
    with pytest.raises(FfmpegError, match="Invalid data"):
        Ffmpeg(timeout_s=30).probe(bogus)
