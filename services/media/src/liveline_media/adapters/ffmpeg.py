"""The one module that runs ffmpeg and ffprobe.

Command lines are built with ffmpeg-python, run with explicit arguments, a timeout, a thread
count and captured stderr, in a scratch directory the caller owns. `edit_command` is the whole
edit of a video as ONE ffmpeg run: upright, at most 720p, trimmed, loudness-normalised, with the
overlay burnt in, H.264/AAC MP4 with faststart and no metadata, plus a JPEG poster.

`edit_through` is the same edit with the picture passing through Python between decoding and
encoding (the face blur, adapters/faces.py): one ffmpeg run decodes, turns upright, trims and
scales, and writes raw frames with their timestamps (Matroska, adapters/matroska.py) to a pipe;
the frames go through the caller's function; a second ffmpeg run reads them and does the rest of
the edit, with the sound read from the source itself. The clip is decoded once, as in the bare
edit, and the output is the same bit for bit when the function changes nothing.
"""

from __future__ import annotations

import fcntl
import json
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import structlog

from ..domain.videos import Probe, Window
from .matroska import Frame, FrameWriter, MatroskaError, read_frames

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

    @property
    def frame_bytes(self) -> int:
        """The size of one raw yuv420p frame of the edited picture."""
        return self.width * self.height * 3 // 2


# What a pipe between ffmpeg and Python holds (Linux's default is 64 KiB: a frame would take
# twenty round trips). Up to /proc/sys/fs/pipe-max-size, 1 MiB unless changed.
_PIPE_BYTES = 1 << 20


def _widen(pipe) -> None:
    try:
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except OSError:
        pass  # a smaller pipe is slower, not wrong


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

    @staticmethod
    def _source(source: Path, window: Window):
        return ffmpeg.input(str(source), ss=f"{window.start_s:.3f}", t=f"{window.length_s:.3f}")

    @staticmethod
    def _picture(raw, settings: EditSettings):
        """The trimmed picture upright (ffmpeg's autorotate, on by default, turns it before the
        filters run), at the edited size, yuv420p."""
        return raw.video.filter("scale", settings.width, settings.height).filter("setsar", 1).filter("format", "yuv420p")

    def edit_command(self, source: Path, clip: Path, poster: Path, settings: EditSettings) -> list[str]:
        """The argv of the one ffmpeg run that edits `source` into `clip` and `poster` (the
        output is written without the rotation tag)."""
        raw = self._source(source, settings.window)
        return self._encode(self._picture(raw, settings), raw.audio, clip, poster, settings)

    def decode_command(self, source: Path, settings: EditSettings) -> list[str]:
        """The first run of `edit_through`: the picture of `edit_command` up to its overlay, as
        raw frames in Matroska on stdout."""
        picture = self._picture(self._source(source, settings.window), settings)
        # No CRC per cluster: nothing is stored, and it would be a checksum of every frame.
        # `avioflags direct`: each cluster (one frame) goes to the pipe in one write, not copied
        # once more into ffmpeg's 32 KiB output buffer and written in 42 pieces (~0.1 s of CPU
        # on 30 s of 720p, measured).
        output = ffmpeg.output(picture, "pipe:1", format="matroska", vcodec="rawvideo", write_crc32=0, avioflags="direct")
        return output.global_args(*_QUIET).compile(cmd=self.binary)

    def encode_command(self, source: Path, clip: Path, poster: Path, settings: EditSettings) -> list[str]:
        """The second run of `edit_through`: the rest of `edit_command`, on the frames on stdin,
        with the sound of `source`."""
        frames = ffmpeg.input("pipe:0", format="matroska")
        return self._encode(frames.video, self._source(source, settings.window).audio, clip, poster, settings)

    def _encode(self, picture, sound, clip: Path, poster: Path, settings: EditSettings) -> list[str]:
        picture = (
            picture.filter(
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
                sound.filter("loudnorm", I=-16, TP=-1.5, LRA=11)
                .filter("aresample", 48000)
                .filter("aformat", channel_layouts="stereo")
            )
            clip_streams.append(sound)
            clip_options |= {"acodec": "aac", "audio_bitrate": settings.audio_bitrate}
        edited = ffmpeg.output(*clip_streams, str(clip), **clip_options)
        # The first frame of the edited picture, overlay included.
        still = picture[1].filter("select", "eq(n,0)")
        poster_out = ffmpeg.output(still, str(poster), vframes=1, map_metadata=-1, **{"q:v": 3})
        return ffmpeg.merge_outputs(edited, poster_out).global_args(*_QUIET).overwrite_output().compile(cmd=self.binary)

    def edit(self, source: Path, clip: Path, poster: Path, settings: EditSettings) -> None:
        self.run(self.edit_command(source, clip, poster, settings), cwd=clip.parent, what="ffmpeg edit")

    def edit_through(
        self, source: Path, clip: Path, poster: Path, settings: EditSettings,
        frames: Callable[[Iterator[Frame]], Iterator[Frame]],
    ) -> None:
        """The edit of `edit`, with the decoded frames passed through `frames` (which yields
        them in order, changed in place, and may hold some back for a while) on their way to
        the encoder. Within this object's timeout, as one edit. If `frames` raises, both runs
        are stopped and its error raised. A run that fails raises
        FfmpegError with its stderr ("ffmpeg decode" or "ffmpeg edit"). Either way the
        unfinished clip and poster are deleted."""
        try:
            self._edit_through(source, clip, poster, settings, frames)
        except BaseException:
            clip.unlink(missing_ok=True)
            poster.unlink(missing_ok=True)
            raise

    def _edit_through(
        self, source: Path, clip: Path, poster: Path, settings: EditSettings,
        frames: Callable[[Iterator[Frame]], Iterator[Frame]],
    ) -> None:
        work = clip.parent
        decoder_log = (work / "decoder.log").open("w+b")
        encoder_log = (work / "encoder.log").open("w+b")
        with decoder_log, encoder_log:
            decoder = subprocess.Popen(self.decode_command(source, settings), cwd=work, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=decoder_log)
            encoder = subprocess.Popen(self.encode_command(source, clip, poster, settings), cwd=work,
                                       stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=encoder_log)
            assert decoder.stdout is not None and encoder.stdin is not None
            _widen(decoder.stdout)
            _widen(encoder.stdin)
            timed_out = threading.Event()

            def kill() -> None:
                for process in (decoder, encoder):
                    if process.poll() is None:
                        process.kill()

            def time_out() -> None:
                timed_out.set()
                kill()

            timer = threading.Timer(self.timeout_s, time_out)
            timer.start()
            spare: list[bytearray] = []  # frames' buffers, used again once written
            broken: Exception | None = None
            try:
                headers, decoded = read_frames(
                    decoder.stdout, settings.frame_bytes, lambda: spare.pop() if spare else bytearray(settings.frame_bytes)
                )
                writer = FrameWriter(encoder.stdin, headers)
                passed = frames(decoded)
                try:
                    for frame in passed:
                        writer.write(frame)
                        spare.append(frame.data)
                finally:
                    getattr(passed, "close", lambda: None)()  # a generator's own clean-up, now
                encoder.stdin.close()
            except (BrokenPipeError, MatroskaError) as error:
                broken = error  # a run stopped half-way (or was stopped); its exit status says which
            except BaseException:
                kill()
                raise
            finally:
                if not encoder.stdin.closed:
                    kill()  # the frames did not all arrive: no clip
                    try:
                        encoder.stdin.close()
                    except BrokenPipeError:
                        pass
                decoder.stdout.close()
                for process in (decoder, encoder):
                    process.wait()  # the timer still stops them at the deadline
                timer.cancel()
            if timed_out.is_set():
                raise FfmpegError("ffmpeg edit", None, f"timed out after {self.timeout_s:g} s")
            runs = (("ffmpeg decode", decoder, decoder_log), ("ffmpeg edit", encoder, encoder_log))
            failed = [run for run in runs if run[1].returncode != 0]
            # A run that failed by itself, rather than one stopped because the other had.
            failed.sort(key=lambda run: run[1].returncode in (-signal.SIGKILL, -signal.SIGPIPE))
            if failed or broken is not None:
                what, process, log_file = failed[0] if failed else runs[1]
                log_file.seek(0)
                stderr = log_file.read().decode(errors="replace")
                if broken is not None:
                    stderr += f"\n(the frames between the two runs: {broken})"
                raise FfmpegError(what, process.returncode, stderr)


def overlay_font_size(width: int, height: int, text_file: Path) -> int:
    """Small, and small enough that the whole line fits across the picture."""
    characters = max(len(text_file.read_text(encoding="utf-8").strip()), 1)
    fitting = int(width * 1.7 / characters)
    return max(8, min(fitting, height // 28, 30))
