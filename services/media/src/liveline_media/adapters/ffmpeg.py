"""The one module that runs ffmpeg and ffprobe.

Command lines are built with ffmpeg-python, run with explicit arguments, a timeout, a thread
count and captured stderr, in a scratch directory the caller owns. `edit_command` is the whole
edit of a video as ONE ffmpeg run: upright, at most 720p, trimmed, loudness-normalised, with the
overlay burnt in, every face found blurred (`EditSettings.blur`, planned in domain/faces.py),
H.264/AAC MP4 with faststart and no metadata, plus a JPEG poster.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import structlog

from ..domain.faces import BlurTrack, corner_expressions
from ..domain.videos import Probe, Window

log = structlog.get_logger(__name__)

_QUIET = ("-nostdin", "-hide_banner", "-loglevel", "error")


class FfmpegError(RuntimeError):
    def __init__(self, what: str, returncode: int | None, stderr: str) -> None:
        super().__init__(f"{what} failed ({returncode}): {stderr[-2000:]}")
        self.stderr = stderr


@dataclass(frozen=True)
class EditSettings:
    width: int
    height: int
    window: Window
    has_audio: bool
    overlay_text_file: Path
    font_file: Path
    x264_preset: str = "veryfast"
    crf: int = 23
    audio_bitrate: str = "128k"
    blur: tuple[BlurTrack, ...] = ()


# A filter graph longer than this goes to a script file (one argv entry is limited to 128 KiB).
_SCRIPT_OVER = 8_000


def blur_faces(picture, tracks: tuple[BlurTrack, ...]):
    """Each track's rectangle cut out where it is at each frame's time, box-blurred (three
    passes, radius a quarter of its short side: a strong, Gaussian-like blur), and laid back on
    the picture, only between the track's start and end."""
    for track in tracks:
        x, y = corner_expressions(track)
        during = f"between(t,{track.start_s:.3f},{track.end_s:.3f})"
        radius = max(2, min(track.width, track.height) // 4)
        parts = picture.filter_multi_output("split")
        patch = (
            parts[1].filter("crop", track.width, track.height, x, y)
            .filter("boxblur", luma_radius=radius, luma_power=3, enable=during)
        )
        picture = ffmpeg.overlay(parts[0], patch, x=x, y=y, enable=during, eof_action="pass")
    return picture


def _rotation(stream: dict) -> int:
    for side_data in stream.get("side_data_list", []):
        if "rotation" in side_data:
            return int(side_data["rotation"])
    return int(stream.get("tags", {}).get("rotate", 0) or 0)


def _frames(stream: dict) -> int | None:
    value = stream.get("nb_frames")
    return int(value) if value and str(value).isdigit() else None


class Ffmpeg:
    def __init__(self, *, threads: int = 2, timeout_s: float = 300.0, binary: str = "ffmpeg", probe_binary: str = "ffprobe") -> None:
        self.threads = threads
        self.timeout_s = timeout_s
        self.binary = binary
        self.probe_binary = probe_binary

    def run(self, argv: list[str], *, cwd: Path, what: str) -> subprocess.CompletedProcess[bytes]:
        try:
            result = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=self.timeout_s, check=False)
        except subprocess.TimeoutExpired as error:
            raise FfmpegError(what, None, f"timed out after {self.timeout_s:g} s") from error
        if result.returncode != 0:
            raise FfmpegError(what, result.returncode, result.stderr.decode(errors="replace"))
        return result

    def make_test_clip(
        self, output: Path, *, seconds: float = 2.0, width: int = 320, height: int = 240, rate: int = 25,
        audio: bool = True, output_args: dict | None = None,
    ) -> Path:
        """A short H.264(/AAC) clip from ffmpeg's lavfi test sources (a stand-in for a phone clip)."""
        video = ffmpeg.input(f"testsrc2=size={width}x{height}:rate={rate}", f="lavfi", t=seconds)
        streams = [video]
        if audio:
            streams.append(ffmpeg.input("sine=frequency=440:sample_rate=44100", f="lavfi", t=seconds))
        options = {"vcodec": "libx264", "preset": "ultrafast", "pix_fmt": "yuv420p", "threads": self.threads}
        if audio:
            options |= {"acodec": "aac"}
        stream = ffmpeg.output(*streams, str(output), **{**options, **(output_args or {})})
        self.run(stream.global_args(*_QUIET).overwrite_output().compile(cmd=self.binary), cwd=output.parent, what="ffmpeg test clip")
        return output

    def probe_json(self, path: Path) -> dict:
        argv = [self.probe_binary, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)]
        return json.loads(self.run(argv, cwd=path.parent, what="ffprobe").stdout)

    def probe(self, path: Path) -> Probe:
        data = self.probe_json(path)
        streams = data.get("streams", [])
        video = next((s for s in streams if s.get("codec_type") == "video" and s.get("codec_name")), None)
        audio = next((s for s in streams if s.get("codec_type") == "audio" and s.get("codec_name")), None)
        duration = data.get("format", {}).get("duration") or (video or {}).get("duration")
        return Probe(
            format_name=data.get("format", {}).get("format_name", ""),
            duration_s=float(duration) if duration not in (None, "N/A") else None,
            video_codec=video.get("codec_name") if video else None,
            width=video.get("width") if video else None,
            height=video.get("height") if video else None,
            rotation=_rotation(video) if video else 0,
            audio_codec=audio.get("codec_name") if audio else None,
            video_frames=_frames(video) if video else None,
        )

    def edit_command(self, source: Path, clip: Path, poster: Path, settings: EditSettings) -> list[str]:
        """The argv of the one ffmpeg run that edits `source` into `clip` and `poster`.

        ffmpeg turns the picture upright by itself (its autorotate, on by default) before the
        filters run, and writes the output without the rotation tag.
        """
        window = settings.window
        raw = ffmpeg.input(str(source), ss=f"{window.start_s:.3f}", t=f"{window.length_s:.3f}")
        picture = (
            raw.video.filter("scale", settings.width, settings.height)
            .filter("setsar", 1)
            .filter("format", "yuv420p")
        )
        picture = (
            blur_faces(picture, settings.blur)
            .filter(
                "drawtext", fontfile=str(settings.font_file), textfile=str(settings.overlay_text_file),
                expansion="none", fontsize=overlay_font_size(settings.width, settings.height, settings.overlay_text_file),
                fontcolor="white", box=1, boxcolor="black@0.45", boxborderw=6, x=12, y="h-th-18",
            )
            .filter_multi_output("split")
        )
        clip_streams = [picture[0]]
        clip_options = {
            "vcodec": "libx264", "preset": settings.x264_preset, "crf": settings.crf, "profile:v": "high",
            "movflags": "+faststart", "map_metadata": -1, "map_chapters": -1, "threads": self.threads,
        }
        if settings.has_audio:
            sound = (
                raw.audio.filter("loudnorm", I=-16, TP=-1.5, LRA=11)
                .filter("aresample", 48000)
                .filter("aformat", channel_layouts="stereo")
            )
            clip_streams.append(sound)
            clip_options |= {"acodec": "aac", "audio_bitrate": settings.audio_bitrate}
        edited = ffmpeg.output(*clip_streams, str(clip), **clip_options)
        # The first frame of the edited picture, overlay included.
        still = picture[1].filter("select", "eq(n,0)")
        poster_out = ffmpeg.output(still, str(poster), vframes=1, map_metadata=-1, **{"q:v": 3})
        argv = ffmpeg.merge_outputs(edited, poster_out).global_args(*_QUIET).overwrite_output().compile(cmd=self.binary)
        graph = argv.index("-filter_complex") + 1
        if len(argv[graph]) > _SCRIPT_OVER:
            script = clip.parent / "filters.txt"
            script.write_text(argv[graph], encoding="utf-8")
            argv[graph - 1: graph + 1] = ["-filter_complex_script", str(script)]
        return argv

    def edit(self, source: Path, clip: Path, poster: Path, settings: EditSettings) -> None:
        self.run(self.edit_command(source, clip, poster, settings), cwd=clip.parent, what="ffmpeg edit")


def overlay_font_size(width: int, height: int, text_file: Path) -> int:
    """Small, and small enough that the whole line fits across the picture."""
    characters = max(len(text_file.read_text(encoding="utf-8").strip()), 1)
    fitting = int(width * 1.7 / characters)
    return max(8, min(fitting, height // 28, 30))
