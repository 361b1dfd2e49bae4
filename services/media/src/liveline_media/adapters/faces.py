"""Finding faces in a clip: frames sampled by ffmpeg at a reduced size, OpenCV's Haar cascades.

The cascades are the ones in the `opencv-python-headless` wheel (`cv2.data.haarcascades`):
frontal (`haarcascade_frontalface_alt2.xml`) and profile (`haarcascade_profileface.xml`, run on
the picture and on its mirror image, since it knows faces turned one way only). Nothing is
downloaded at run time. Why these and how well they do: docs/face-blur.md.

One ffmpeg run decodes the trimmed clip upright, keeps one frame every `interval_s` seconds,
scales it to `detect_long_side` pixels on its long side, grey, and writes raw frames to a pipe;
a reader thread queues them while the detector works, so decoding and detecting overlap.
Any failure (a cascade that does not load, an OpenCV error, the sampler failing or timing out)
raises FaceDetectionFailed: the caller must not publish the clip unblurred.
"""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import structlog

from ..domain.faces import Box, Sample
from ..domain.videos import Window

log = structlog.get_logger(__name__)

FRONTAL = "haarcascade_frontalface_alt2.xml"
PROFILE = "haarcascade_profileface.xml"


class FaceDetectionFailed(RuntimeError):
    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


@dataclass(frozen=True)
class DetectorSettings:
    detect_long_side: int = 480
    min_face: int = 20  # pixels at the detection size
    scale_factor: float = 1.2
    min_neighbors: int = 3
    profile: bool = True
    profile_scale_factor: float = 1.15
    # The profile cascade (on the picture and its mirror) costs twice the frontal one: it looks
    # at a smaller picture, this many pixels on its long side.
    profile_long_side: int = 320
    # The profile cascade on the picture at even samples and on its mirror at odd ones (half the
    # cost); otherwise both at every sample.
    alternate_profile_sides: bool = False


def merge_boxes(boxes: list[Box]) -> list[Box]:
    """Overlapping detections of one face (frontal and profile, neighbouring scales) as one box
    that covers them all."""
    merged: list[Box] = []
    for box in sorted(boxes, key=lambda b: -b.area):
        for i, kept in enumerate(merged):
            if kept.iou(box) > 0.2 or kept.intersection(box) > 0.6 * min(kept.area, box.area):
                x0, y0 = min(kept.x, box.x), min(kept.y, box.y)
                x1, y1 = max(kept.x + kept.w, box.x + box.w), max(kept.y + kept.h, box.y + box.h)
                merged[i] = Box(x0, y0, x1 - x0, y1 - y0)
                break
        else:
            merged.append(box)
    return merged


class HaarFaceDetector:
    """Frontal and profile Haar cascades on a grey picture; boxes in that picture's pixels."""

    def __init__(self, settings: DetectorSettings | None = None, cascade_dir: Path | None = None, threads: int = 1) -> None:
        self.settings = settings or DetectorSettings()
        folder = Path(cascade_dir) if cascade_dir else Path(cv2.data.haarcascades)
        self.name = f"opencv {cv2.__version__} haar {FRONTAL}" + (f" + {PROFILE}" if self.settings.profile else "")
        self._frontal = self._load(folder / FRONTAL)
        self._profile = self._load(folder / PROFILE) if self.settings.profile else None
        self._threads = threads

    @staticmethod
    def _load(path: Path) -> cv2.CascadeClassifier:
        cascade = cv2.CascadeClassifier(str(path)) if path.is_file() else None
        if cascade is None or cascade.empty():
            raise FaceDetectionFailed(f"the face cascade {path} could not be loaded")
        return cascade

    def _run(self, cascade: cv2.CascadeClassifier, grey: np.ndarray, scale_factor: float) -> list[tuple[int, int, int, int]]:
        s = self.settings
        found = cascade.detectMultiScale(
            grey, scaleFactor=scale_factor, minNeighbors=s.min_neighbors, minSize=(s.min_face, s.min_face)
        )
        return [tuple(int(v) for v in row) for row in found]

    def detect(self, grey: np.ndarray, sample_number: int = 0) -> list[Box]:
        s = self.settings
        try:
            cv2.setNumThreads(self._threads)
            grey = cv2.equalizeHist(grey)
            boxes = [Box(*row) for row in self._run(self._frontal, grey, s.scale_factor)]
            if self._profile is not None:
                full_width = grey.shape[1]
                shrink = min(1.0, s.profile_long_side / max(grey.shape))
                if shrink < 1.0:
                    grey = cv2.resize(grey, (round(grey.shape[1] * shrink), round(grey.shape[0] * shrink)),
                                      interpolation=cv2.INTER_AREA)
                found: list[Box] = []
                as_is = not s.alternate_profile_sides or sample_number % 2 == 0
                mirror = not s.alternate_profile_sides or sample_number % 2 == 1
                if as_is:
                    found += [Box(*row) for row in self._run(self._profile, grey, s.profile_scale_factor)]
                if mirror:
                    width = grey.shape[1]
                    mirrored = self._run(self._profile, np.ascontiguousarray(grey[:, ::-1]), s.profile_scale_factor)
                    found += [Box(width - x - w, y, w, h) for x, y, w, h in mirrored]
                boxes += [box.scaled(full_width / grey.shape[1]) for box in found]
        except cv2.error as error:
            raise FaceDetectionFailed(f"OpenCV failed: {error}") from error
        return merge_boxes(boxes)


def detection_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """The sampled frames' size: the edited picture's shape, `long_side` at most, even sides."""
    scale = min(1.0, long_side / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


@dataclass(frozen=True)
class FaceScan:
    samples: tuple[Sample, ...]  # boxes in the edited picture's pixels
    detector: str
    frames: int
    decode_and_detect_s: float
    detect_s: float


class FaceScanner:
    """Samples a clip with ffmpeg and runs the detector on each sampled frame. The detector is
    loaded for each scan, so a broken one fails that clip (FaceDetectionFailed)."""

    def __init__(
        self, settings: DetectorSettings | None = None, *, cascade_dir: Path | None = None, interval_s: float = 0.5,
        threads: int = 2, timeout_s: float = 240.0, binary: str = "ffmpeg",
    ) -> None:
        self.settings = settings or DetectorSettings()
        self.cascade_dir = cascade_dir
        self.interval_s = interval_s
        self.threads = threads
        self.timeout_s = timeout_s
        self.binary = binary

    def sampler_command(self, source: Path, window: Window, width: int, height: int) -> list[str]:
        every = f"fps=1/{self.interval_s:g}:round=near" if self.interval_s > 0 else "null"
        return [
            self.binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", str(self.threads),
            # Decoding without the deblocking filter, and without the frames no other frame refers
            # to (no side effect on the others), costs about a third less; for a face at this size
            # neither changes anything, and a sample moves by a frame or two at most.
            "-skip_loop_filter", "all", "-skip_frame", "noref",
            "-ss", f"{window.start_s:.3f}", "-t", f"{window.length_s:.3f}", "-i", str(source),
            "-an", "-sn", "-dn", "-vf", f"{every},scale={width}:{height}:flags=area,format=gray",
            "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1",
        ]

    def scan(self, source: Path, window: Window, out_width: int, out_height: int) -> FaceScan:
        """The faces of each sampled frame of `window`, in the coordinates of an `out_width` x
        `out_height` picture (the edit's output size)."""
        detector = HaarFaceDetector(self.settings, self.cascade_dir, threads=self.threads)
        width, height = detection_size(out_width, out_height, self.settings.detect_long_side)
        factor = out_width / width
        frame_bytes = width * height
        began = time.monotonic()
        try:
            process = subprocess.Popen(
                self.sampler_command(source, window, width, height), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=source.parent,
            )
        except OSError as error:
            raise FaceDetectionFailed(f"the frame sampler could not start: {error}") from error
        frames: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
        stderr: list[bytes] = []

        def read() -> None:
            assert process.stdout is not None and process.stderr is not None
            try:
                while chunk := process.stdout.read(frame_bytes):
                    if len(chunk) == frame_bytes:
                        frames.put(chunk)
            finally:
                frames.put(None)
                stderr.append(process.stderr.read())

        reader = threading.Thread(target=read, name="face-sampler", daemon=True)
        reader.start()
        samples: list[Sample] = []
        detecting = 0.0
        try:
            while True:
                remaining = self.timeout_s - (time.monotonic() - began)
                try:
                    chunk = frames.get(timeout=max(remaining, 0.001))
                except queue.Empty:
                    raise FaceDetectionFailed(f"sampling frames timed out after {self.timeout_s:g} s") from None
                if chunk is None:
                    break
                grey = np.frombuffer(chunk, dtype=np.uint8).reshape(height, width)
                started = time.monotonic()
                boxes = detector.detect(grey, len(samples))
                detecting += time.monotonic() - started
                samples.append(Sample(round(len(samples) * self.interval_s, 3), tuple(b.scaled(factor) for b in boxes)))
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            while reader.is_alive():  # let a reader blocked on a full queue finish
                try:
                    frames.get(timeout=0.1)
                except queue.Empty:
                    pass
            reader.join(timeout=5)
        if process.returncode != 0:
            message = b"".join(stderr).decode(errors="replace")[-1000:]
            raise FaceDetectionFailed(f"the frame sampler failed ({process.returncode}): {message}", message)
        if not samples:
            raise FaceDetectionFailed("the frame sampler gave no frame")
        return FaceScan(tuple(samples), detector.name, len(samples), time.monotonic() - began, detecting)
