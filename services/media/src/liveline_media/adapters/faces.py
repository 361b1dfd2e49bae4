"""Finding and blurring faces in a clip as it streams from the decoder to the encoder.

The edit with face blur is one decode and one encode (adapters/ffmpeg.py `edit_through`): the
decoder's upright, scaled raw frames pass through `ClipBlur`, which keeps one frame every
`interval_s` seconds for OpenCV's Haar cascades (in a thread of their own, so that decoding,
detecting and encoding overlap), plans the blur from the faces found so far (domain/faces.py),
and blurs each frame once the samples that decide its rectangles are in, `lookahead_s` later.
Frames wait for that in memory: 3 s of edited frames at most (measured: the process grows by
~130 MB on a 720p30 edit, ~250 MB at 60 fps).

The cascades are the ones in the `opencv-python-headless` wheel (`cv2.data.haarcascades`):
frontal (`haarcascade_frontalface_alt2.xml`) and profile (`haarcascade_profileface.xml`, run on
the picture and on its mirror image, since it knows faces turned one way only). Nothing is
downloaded at run time. Why these and how well they do: docs/face-blur.md.

Any failure of the detector (a cascade that does not load, an OpenCV error, a detection taking
over a minute) raises FaceDetectionFailed out of the edit, which then writes no clip: the caller
must not publish it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import structlog

from ..domain.faces import BlurSettings, BlurTrack, Box, Sample, boxes_at, plan_blur
from .matroska import Frame

log = structlog.get_logger(__name__)

FRONTAL = "haarcascade_frontalface_alt2.xml"
PROFILE = "haarcascade_profileface.xml"
# Where the frontal cascade looks on a sample that is not a full search: around the faces of the
# last samples a track bridges (BlurSettings.max_gap + 1), as far as a track links detections.
NEAR_SAMPLES = BlurSettings().max_gap + 1
NEAR_MARGIN = 1.5


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
    # at a smaller picture, this many pixels on its long side, and at one sample in
    # `profile_every` (both sides); the blur plan allows for a face seen only that often
    # (BlurSettings.search_interval_s, see `blur_settings`).
    profile_long_side: int = 320
    profile_every: int = 2
    # The frontal cascade looks at the whole picture on one sample in `full_search_every`; on the
    # others, only around the faces found in the samples a track could continue from (see
    # `HaarFaceDetector.detect`). 1 (the default): the whole picture every time. 2 saves ~19 % of
    # the detector's CPU, but a frontal face is then looked for everywhere once a second, not
    # twice, as a profile face is (docs/face-blur.md, "Cost").
    full_search_every: int = 1


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
        self._recent: deque[list[Box]] = deque(maxlen=NEAR_SAMPLES)  # the faces of the last samples

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
        """The faces in one sampled frame. A clip's samples come in order, numbered from 0: the
        profile cascade runs on the multiples of `profile_every`, and the frontal cascade looks
        at the whole picture on the multiples of `full_search_every`, and on the other samples
        only near the faces of the last `NEAR_SAMPLES` (where a track could go on)."""
        s = self.settings
        if sample_number == 0:
            self._recent.clear()
        try:
            cv2.setNumThreads(self._threads)
            grey = cv2.equalizeHist(grey)
            if sample_number % max(s.full_search_every, 1) == 0:
                boxes = [Box(*row) for row in self._run(self._frontal, grey, s.scale_factor)]
            else:
                boxes = self._frontal_near(grey, merge_boxes([box for found in self._recent for box in found]))
            if self._profile is not None and sample_number % max(s.profile_every, 1) == 0:
                boxes += self._profile_boxes(grey)
        except cv2.error as error:
            raise FaceDetectionFailed(f"OpenCV failed: {error}") from error
        found = merge_boxes(boxes)
        self._recent.append(found)
        return found

    def _frontal_near(self, grey: np.ndarray, faces: list[Box]) -> list[Box]:
        """The frontal cascade on the parts of the picture where each of `faces` may be now: as
        far around it as a track links detections (1.5 face sizes, domain/faces.py)."""
        s = self.settings
        height, width = grey.shape
        boxes = []
        for face in faces:
            margin = NEAR_MARGIN * max(face.w, face.h)
            x0, y0 = max(0, int(face.x - margin)), max(0, int(face.y - margin))
            x1, y1 = min(width, int(face.x + face.w + margin) + 1), min(height, int(face.y + face.h + margin) + 1)
            if min(x1 - x0, y1 - y0) >= s.min_face:
                boxes += [Box(x + x0, y + y0, w, h) for x, y, w, h in self._run(self._frontal, grey[y0:y1, x0:x1], s.scale_factor)]
        return boxes

    def _profile_boxes(self, grey: np.ndarray) -> list[Box]:
        """The profile cascade, both ways, on the picture shrunk to `profile_long_side`; boxes in
        the pixels of `grey`."""
        s = self.settings
        full_width = grey.shape[1]
        shrink = min(1.0, s.profile_long_side / max(grey.shape))
        if shrink < 1.0:
            grey = cv2.resize(grey, (round(grey.shape[1] * shrink), round(grey.shape[0] * shrink)),
                              interpolation=cv2.INTER_AREA)
        found = [Box(*row) for row in self._run(self._profile, grey, s.profile_scale_factor)]
        width = grey.shape[1]
        mirrored = self._run(self._profile, cv2.flip(grey, 1), s.profile_scale_factor)
        found += [Box(width - x - w, y, w, h) for x, y, w, h in mirrored]
        return [box.scaled(full_width / width) for box in found]


def detection_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """The size frames are scaled to for the detector: the edited picture's shape, `long_side`
    at most, even sides."""
    scale = min(1.0, long_side / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def blur_settings(detector: DetectorSettings, interval_s: float) -> BlurSettings:
    """The blur plan's rules for frames sampled every `interval_s` and this detector: a face
    only the profile cascade finds is looked for on one sample in `profile_every`, and a new
    frontal face on one in `full_search_every`."""
    every = max(detector.profile_every, detector.full_search_every, 1)
    return BlurSettings(interval_s=interval_s, search_interval_s=interval_s * every)


def blur_yuv420p(data: bytearray, width: int, height: int, boxes: list[Box]) -> None:
    """Blurs each rectangle of a raw yuv420p picture in place: a box blur three times over with
    a radius of a quarter of the rectangle's short side (Gaussian-like, no feature left), on the
    brightness and on the colour planes."""
    picture = np.frombuffer(data, dtype=np.uint8)
    luma_size, chroma_size = width * height, (width // 2) * (height // 2)
    planes = (
        (picture[:luma_size].reshape(height, width), 1),
        (picture[luma_size:luma_size + chroma_size].reshape(height // 2, width // 2), 2),
        (picture[luma_size + chroma_size:luma_size + 2 * chroma_size].reshape(height // 2, width // 2), 2),
    )
    for box in boxes:
        radius = max(2, int(min(box.w, box.h)) // 4)
        for plane, step in planes:
            x0, y0 = int(box.x) // step, int(box.y) // step
            x1, y1 = -(-int(box.x + box.w) // step), -(-int(box.y + box.h) // step)
            region = plane[y0:y1, x0:x1]
            if region.size == 0:
                continue
            side = 2 * max(1, radius // step) + 1
            for _ in range(3):
                cv2.blur(region, (side, side), dst=region)  # in place, inside the rectangle only


@dataclass(frozen=True)
class FaceBlurResult:
    tracks: tuple[BlurTrack, ...]
    samples: int
    detect_s: float  # the detector's own time (it overlaps decoding and encoding)


class ClipBlur:
    """The frames of one clip in, the same frames out with every face blurred (see the module's
    docstring). Call it once with the decoder's frames; `result` says what it found."""

    def __init__(
        self, detector: HaarFaceDetector, settings: BlurSettings, width: int, height: int, duration_s: float,
        detect_timeout_s: float = 60.0,
    ) -> None:
        self.detector = detector
        self.detect_timeout_s = detect_timeout_s
        self.settings = settings
        self.width, self.height = width, height
        self.duration_s = duration_s
        self.detect_size = detection_size(width, height, detector.settings.detect_long_side)
        self._samples: list[Sample] = []
        self._tracks: tuple[BlurTrack, ...] = ()
        self._detect_s = 0.0

    @property
    def result(self) -> FaceBlurResult:
        return FaceBlurResult(self._tracks, len(self._samples), self._detect_s)

    def _detect(self, grey: np.ndarray, number: int) -> list[Box]:
        began = time.thread_time()  # this thread's CPU only: the frames pass meanwhile
        try:
            return self.detector.detect(grey, number)
        except FaceDetectionFailed:
            raise
        except Exception as error:  # anything else the detector trips on is a failed check too
            raise FaceDetectionFailed(f"face detection failed: {error!r}") from error
        finally:
            self._detect_s += time.thread_time() - began

    def _grey(self, frame: Frame) -> np.ndarray:
        luma = np.frombuffer(frame.data, dtype=np.uint8, count=self.width * self.height).reshape(self.height, self.width)
        if self.detect_size == (self.width, self.height):
            return luma.copy()  # the frame is blurred in place later
        return cv2.resize(luma, self.detect_size, interpolation=cv2.INTER_AREA)

    def _take(self, t: float, future: Future[list[Box]]) -> None:
        """A finished detection (waiting for it if need be) into the samples and the plan."""
        factor = self.width / self.detect_size[0]
        try:
            boxes = future.result(timeout=self.detect_timeout_s)
        except TimeoutError:
            raise FaceDetectionFailed(f"the detector took over {self.detect_timeout_s:g} s on one frame") from None
        self._samples.append(Sample(t, tuple(box.scaled(factor) for box in boxes)))
        self._tracks = plan_blur(self._samples, self.width, self.height, self.duration_s, self.settings)

    def _blurred(self, frame: Frame) -> Frame:
        boxes = boxes_at(self._tracks, frame.t)
        if boxes:
            blur_yuv420p(frame.data, self.width, self.height, boxes)
        return frame

    def __call__(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        interval, lookahead = self.settings.interval_s, self.settings.lookahead_s
        # Frames wait until the samples up to `lookahead` after them are detected; if detection
        # falls behind by more than a sample, decoding waits for it (frames in memory: at most
        # `lookahead` + one interval of them).
        longest_wait = lookahead + interval
        waiting: deque[Frame] = deque()
        pending: deque[tuple[float, Future[list[Box]]]] = deque()
        next_sample = 0.0
        detecting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="face-detector")
        try:
            for frame in frames:
                waiting.append(frame)
                if frame.t >= next_sample - 1e-3:
                    number = len(self._samples) + len(pending)
                    pending.append((frame.t, detecting.submit(self._detect, self._grey(frame), number)))
                    next_sample = (int(frame.t / interval + 1e-6) + 1) * interval
                while pending and (pending[0][1].done() or frame.t - waiting[0].t > longest_wait):
                    self._take(*pending.popleft())
                known = self._samples[-1].t if self._samples else -1.0
                while waiting and waiting[0].t <= known - lookahead:
                    yield self._blurred(waiting.popleft())
            while pending:
                self._take(*pending.popleft())
            while waiting:
                yield self._blurred(waiting.popleft())
        finally:
            # Not waiting for a detection still running: a stuck one must not hold the edit.
            detecting.shutdown(wait=False, cancel_futures=True)
        log.debug("faces_planned", samples=len(self._samples), tracks=len(self._tracks), detect_s=round(self._detect_s, 3))


class FaceBlur:
    """The worker's face blur: its settings, and a `ClipBlur` for each clip. The cascades are
    loaded for each clip, so a broken detector fails that clip (FaceDetectionFailed)."""

    def __init__(
        self, settings: DetectorSettings | None = None, *, cascade_dir: Path | None = None, interval_s: float = 0.5,
    ) -> None:
        self.settings = settings or DetectorSettings()
        self.cascade_dir = cascade_dir
        self.interval_s = interval_s

    @property
    def blur(self) -> BlurSettings:
        return blur_settings(self.settings, self.interval_s)

    def for_clip(self, width: int, height: int, duration_s: float) -> ClipBlur:
        """For a clip edited to `width` x `height` (yuv420p) and `duration_s` long."""
        detector = HaarFaceDetector(self.settings, self.cascade_dir)
        return ClipBlur(detector, self.blur, width, height, duration_s)
