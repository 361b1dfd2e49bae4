"""Real ffmpeg and ffprobe through the media service's ffmpeg module."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from liveline_media.adapters.ffmpeg import EditSettings, Ffmpeg, FfmpegError
from liveline_media.adapters.matroska import Frame, FrameWriter, MatroskaError, read_frames
from liveline_media.domain.videos import Window


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


def _settings(tools: Ffmpeg, clip: Path, folder: Path) -> EditSettings:
    probe = tools.probe(clip)
    text = folder / "overlay.txt"
    text.write_text("海底捞 · verified visit", encoding="utf-8")
    assert probe.duration_s is not None and probe.width and probe.height
    return EditSettings(
        width=probe.width, height=probe.height, window=Window(0.0, probe.duration_s), has_audio=probe.audio_codec is not None,
        overlay_text_file=text, font_file=Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    )


def test_the_edit_through_python_is_the_one_pass_edit_bit_for_bit_when_nothing_is_changed(tmp_path):
    # One thread: with two, the one-pass edit itself comes out in one of two bit patterns (1 run
    # in 8 here, measured), so only a single-threaded encode can be compared byte for byte.
    tools = Ffmpeg(threads=1, timeout_s=120)
    source = tools.make_test_clip(tmp_path / "clip.mp4", seconds=2.0, width=320, height=240)
    settings = _settings(tools, source, tmp_path)
    passed = []

    def count(frames):
        for frame in frames:
            passed.append(frame.t)
            yield frame

    tools.edit(source, tmp_path / "one-pass.mp4", tmp_path / "one-pass.jpg", settings)
    tools.edit_through(source, tmp_path / "through.mp4", tmp_path / "through.jpg", settings, count)

    assert len(passed) == 50 and passed[:3] == [0.0, 0.04, 0.08]  # 25 fps, with their timestamps
    assert (tmp_path / "through.mp4").read_bytes() == (tmp_path / "one-pass.mp4").read_bytes()
    assert (tmp_path / "through.jpg").read_bytes() == (tmp_path / "one-pass.jpg").read_bytes()


def test_frames_changed_on_the_way_are_what_is_encoded(tmp_path):
    tools = Ffmpeg(threads=2, timeout_s=120)
    source = tools.make_test_clip(tmp_path / "clip.mp4", seconds=1.0, width=320, height=240, audio=False)
    settings = _settings(tools, source, tmp_path)

    def black_from_half_a_second(frames):
        for frame in frames:
            if frame.t >= 0.5:
                frame.data[:320 * 240] = bytes(320 * 240)  # brightness 0; colour planes as they were
            yield frame

    tools.edit_through(source, tmp_path / "out.mp4", tmp_path / "out.jpg", settings, black_from_half_a_second)

    brightness = tools.run(
        ["ffmpeg", "-v", "error", "-i", str(tmp_path / "out.mp4"), "-vf", "crop=320:120:0:0,signalstats,"
         "metadata=print:key=lavfi.signalstats.YAVG:file=-", "-f", "null", "-"], cwd=tmp_path, what="signalstats",
    ).stdout.decode()
    averages = [float(line.split("=")[1]) for line in brightness.splitlines() if "YAVG" in line]
    assert len(averages) == 25
    assert min(averages[:12]) > 40 and max(averages[13:]) < 20


def test_a_failure_on_the_way_stops_both_runs_and_leaves_no_clip(tmp_path):
    tools = Ffmpeg(threads=2, timeout_s=120)
    source = tools.make_test_clip(tmp_path / "clip.mp4", seconds=3.0, width=320, height=240)
    settings = _settings(tools, source, tmp_path)

    def failing(frames):
        for frame in frames:
            if frame.t >= 1.0:
                raise RuntimeError("the detector broke")
            yield frame

    with pytest.raises(RuntimeError, match="the detector broke"):
        tools.edit_through(source, tmp_path / "out.mp4", tmp_path / "out.jpg", settings, failing)
    assert not (tmp_path / "out.mp4").exists() and not (tmp_path / "out.jpg").exists()


def test_a_file_ffmpeg_cannot_decode_fails_the_edit_through_python_with_ffmpegs_reason(tmp_path):
    tools = Ffmpeg(threads=2, timeout_s=60)
    source = tools.make_test_clip(tmp_path / "clip.mp4", seconds=1.0, width=320, height=240)
    settings = _settings(tools, source, tmp_path)
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"this is text, not a video")

    with pytest.raises(FfmpegError, match="Invalid data"):
        tools.edit_through(bogus, tmp_path / "out.mp4", tmp_path / "out.jpg", settings, lambda frames: frames)
    assert not (tmp_path / "out.mp4").exists()


def test_raw_frames_read_from_ffmpeg_are_written_back_with_their_timestamps_and_a_cut_stream_is_refused(tmp_path):
    tools = Ffmpeg(threads=2, timeout_s=60)
    source = tools.make_test_clip(tmp_path / "clip.mp4", seconds=1.0, width=160, height=120, audio=False)
    settings = _settings(tools, source, tmp_path)
    stream = tools.run(tools.decode_command(source, settings), cwd=tmp_path, what="decode").stdout

    headers, frames = read_frames(io.BytesIO(stream), settings.frame_bytes)
    decoded = [(frame.t, bytes(frame.data)) for frame in frames]
    written = io.BytesIO()
    writer = FrameWriter(written, headers)
    for t, data in decoded:
        writer.write(Frame(t, bytearray(data)))
    again_headers, again = read_frames(io.BytesIO(written.getvalue()), settings.frame_bytes)

    assert [t for t, _ in decoded] == [round(n * 0.04, 6) for n in range(25)]
    assert [(frame.t, bytes(frame.data)) for frame in again] == decoded
    assert again_headers == headers
    with pytest.raises(MatroskaError, match="ended inside"):
        list(read_frames(io.BytesIO(stream[: len(stream) // 2]), settings.frame_bytes)[1])
