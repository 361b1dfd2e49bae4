"""The one module that runs ffmpeg and ffprobe.

Command lines are built with ffmpeg-python, run with explicit arguments, a timeout, a thread
count and captured stderr, in a scratch directory the caller owns.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import structlog

log = structlog.get_logger(__name__)


class FfmpegError(RuntimeError):
    def __init__(self, what: str, returncode: int | None, stderr: str) -> None:
        super().__init__(f"{what} failed ({returncode}): {stderr[-2000:]}")
        self.stderr = stderr


@dataclass(frozen=True)
class Probe:
    duration_s: float
    width: int | None
    height: int | None
    video_codec: str | None
    audio_codec: str | None
    format_name: str


class Ffmpeg:
    def __init__(self, *, threads: int = 2, timeout_s: float = 300.0, binary: str = "ffmpeg", probe_binary: str = "ffprobe") -> None:
        self.threads = threads
        self.timeout_s = timeout_s
        self.binary = binary
        self.probe_binary = probe_binary

    def _run(self, argv: list[str], *, cwd: Path, what: str) -> subprocess.CompletedProcess[bytes]:
        try:
            result = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=self.timeout_s, check=False)
        except subprocess.TimeoutExpired as error:
            raise FfmpegError(what, None, f"timed out after {self.timeout_s:g} s") from error
        if result.returncode != 0:
            raise FfmpegError(what, result.returncode, result.stderr.decode(errors="replace"))
        return result

    def make_test_clip(self, output: Path, *, seconds: float = 2.0, width: int = 320, height: int = 240, rate: int = 25) -> Path:
        """A short H.264/AAC MP4 from ffmpeg's lavfi test sources (a stand-in for a phone clip)."""
        video = ffmpeg.input(f"testsrc2=size={width}x{height}:rate={rate}", f="lavfi", t=seconds)
        audio = ffmpeg.input("sine=frequency=440:sample_rate=44100", f="lavfi", t=seconds)
        stream = ffmpeg.output(
            video, audio, str(output), vcodec="libx264", preset="ultrafast", pix_fmt="yuv420p",
            acodec="aac", movflags="+faststart", threads=self.threads, shortest=None,
        ).global_args("-nostdin", "-hide_banner", "-loglevel", "error").overwrite_output()
        self._run(stream.compile(cmd=self.binary), cwd=output.parent, what="ffmpeg test clip")
        return output

    def probe(self, path: Path) -> Probe:
        argv = [self.probe_binary, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)]
        data = json.loads(self._run(argv, cwd=path.parent, what="ffprobe").stdout)
        streams = data.get("streams", [])
        video = next((s for s in streams if s.get("codec_type") == "video"), None)
        audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
        return Probe(
            duration_s=float(data["format"].get("duration", 0.0)),
            width=video.get("width") if video else None,
            height=video.get("height") if video else None,
            video_codec=video.get("codec_name") if video else None,
            audio_codec=audio.get("codec_name") if audio else None,
            format_name=data["format"].get("format_name", ""),
        )
