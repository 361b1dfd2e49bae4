"""Labelled faces and synthetic clips made from them, to measure the face blur.

The faces come from scikit-image's own sample data (shipped inside its wheel, nothing fetched):
- `data.astronaut()`: Eileen Collins, NASA portrait, public domain; a frontal face.
- `data.camera()`: the cameraman, CC0 (photographer Lav Varshney); a face turned to profile.
- `data.lfw_subset()`: 100 faces (25x25, tightly cropped) from Labeled Faces in the Wild,
  UMass Amherst, distributed for research; frontal or nearly so.
The face boxes of the first two were drawn by hand (forehead to chin, ear or cheek to cheek);
an LFW crop is a face box by construction. The background is `data.coffee()` (no face).

Scenes are 640x360 pictures rendered at any time `t` with the labelled boxes of the faces in
them, so the same scene can be scored frame by frame (`evaluate`) or written as a clip with
ffmpeg (`write_clip`) and sent through the media service.

    .venv/bin/python -m services.media.tests.face_scenes     # prints the figures of docs/face-blur.md
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from skimage import data

from liveline_media.adapters.faces import CnnFaceDetector, detection_picture, detection_size
from liveline_media.domain.faces import BlurSettings, Box, Sample, coverage, plan_blur

WIDTH, HEIGHT = 640, 360
COVERED = 0.9  # a face counts as blurred when at least this share of its box is under a blur


@dataclass(frozen=True)
class Face:
    picture: np.ndarray  # BGR, the head with some surroundings
    box: Box  # the face inside `picture`
    kind: str  # "frontal", "profile" or "turning"


@cache
def astronaut() -> Face:
    picture = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[20:240, 130:320]
    return Face(np.ascontiguousarray(picture), Box(180 - 130, 72 - 20, 90, 110), "frontal")


@cache
def cameraman() -> Face:
    picture = cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR)[60:240, 140:300]
    return Face(np.ascontiguousarray(picture), Box(182 - 140, 120 - 60, 70, 75), "profile")


@cache
def lfw_faces() -> tuple[Face, ...]:
    faces = []
    for crop in data.lfw_subset()[:100]:
        grey = (crop * 255).astype(np.uint8)
        pad = 8  # the crops stop at the face's edge; a replicated border stands for its surroundings
        framed = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        faces.append(Face(cv2.cvtColor(framed, cv2.COLOR_GRAY2BGR), Box(pad, pad, 25, 25), "frontal"))
    return tuple(faces)


@cache
def background() -> np.ndarray:
    return cv2.resize(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)


def squeezed(face: Face, factor: float) -> Face:
    """A face narrowed horizontally: a crude stand-in for a head turning away (labelled "turning")."""
    h, w = face.picture.shape[:2]
    narrow = cv2.resize(face.picture, (max(2, int(w * factor)), h), interpolation=cv2.INTER_AREA)
    box = Box(face.box.x * factor, face.box.y, face.box.w * factor, face.box.h)
    return Face(narrow, box, "turning")


def mirrored(face: Face) -> Face:
    w = face.picture.shape[1]
    return Face(np.ascontiguousarray(face.picture[:, ::-1]), Box(w - face.box.x - face.box.w, face.box.y, face.box.w, face.box.h), face.kind)


@dataclass(frozen=True)
class Placed:
    face: Face
    x: float  # where the face box's centre is, in the scene
    y: float
    face_width: float  # the face box's width in the scene


def render(placed: list[Placed]) -> tuple[np.ndarray, list[tuple[Box, str]]]:
    frame = background().copy()
    labels = []
    for item in placed:
        scale = item.face_width / item.face.box.w
        h, w = item.face.picture.shape[:2]
        picture = cv2.resize(item.face.picture, (max(2, round(w * scale)), max(2, round(h * scale))), interpolation=cv2.INTER_AREA)
        left = round(item.x - (item.face.box.x + item.face.box.w / 2) * scale)
        top = round(item.y - (item.face.box.y + item.face.box.h / 2) * scale)
        x0, y0 = max(left, 0), max(top, 0)
        x1, y1 = min(left + picture.shape[1], WIDTH), min(top + picture.shape[0], HEIGHT)
        if x1 <= x0 or y1 <= y0:
            continue
        frame[y0:y1, x0:x1] = picture[y0 - top:y1 - top, x0 - left:x1 - left]
        box = item.face.box.scaled(scale)
        face = Box(left + box.x, top + box.y, box.w, box.h)
        visible = Box(max(face.x, 0), max(face.y, 0), min(face.x + face.w, WIDTH) - max(face.x, 0),
                      min(face.y + face.h, HEIGHT) - max(face.y, 0))
        if visible.w > 0 and visible.h > 0 and visible.area >= 0.5 * face.area:
            labels.append((visible, item.face.kind))
    return frame, labels


@dataclass(frozen=True)
class Scene:
    name: str
    duration_s: float
    layout: Callable[[float], list[Placed]]

    def frame(self, t: float) -> tuple[np.ndarray, list[tuple[Box, str]]]:
        return render(self.layout(t))


def _moving(t: float) -> list[Placed]:
    return [Placed(astronaut(), 60 + 130 * t, 170 + 10 * t, 60)]


def _two_faces(t: float) -> list[Placed]:
    return [Placed(astronaut(), 160 + 25 * t, 160, 70), Placed(lfw_faces()[7], 470 - 30 * t, 190 - 10 * t, 55)]


def _turning(t: float) -> list[Placed]:
    if t < 1.5:
        return [Placed(astronaut(), 300, 170, 70)]
    if t < 2.5:
        factor = 1.0 - 0.5 * (t - 1.5)
        return [Placed(squeezed(astronaut(), factor), 300, 170, 70 * factor)]
    return [Placed(mirrored(cameraman()) if t >= 3.3 else cameraman(), 300, 170, 70)]


def _appearing(t: float) -> list[Placed]:
    if t < 2.2:
        return []
    return [Placed(mirrored(astronaut()), 420 - 20 * (t - 2.2), 150, 65)]


def _profile_appearing(t: float) -> list[Placed]:
    if t < 2.2:
        return []
    return [Placed(mirrored(cameraman()), 200 + 25 * (t - 2.2), 180, 70)]


def _no_face(t: float) -> list[Placed]:
    return []


SCENES = (
    Scene("a face moving across", 4.0, _moving),
    Scene("two faces", 4.0, _two_faces),
    Scene("a face turning to profile", 4.0, _turning),
    Scene("a face appearing half-way", 4.0, _appearing),
    # Between two samples, a face only seen turned to profile.
    Scene("a profile face appearing half-way", 4.0, _profile_appearing),
)
NO_FACE = Scene("no face", 2.0, _no_face)


def scene(name: str) -> Scene:
    return next(s for s in (*SCENES, NO_FACE) if s.name == name)


def picture_at(frame: np.ndarray, long_side: int) -> np.ndarray:
    """What the worker's detector sees of a scene's frame: the frame as yuv420p (what the decoder
    gives the worker), turned into the detector's picture as the worker does."""
    yuv = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)
    return detection_picture(yuv.tobytes(), WIDTH, HEIGHT, detection_size(WIDTH, HEIGHT, long_side))


@dataclass
class Score:
    """Face boxes in scored frames: how many, how many blurred (>= COVERED), how many not at all."""

    faces: dict[str, int] = field(default_factory=dict)
    covered: dict[str, int] = field(default_factory=dict)
    bare: dict[str, int] = field(default_factory=dict)
    frames_with_bare_frontal: int = 0
    frames: int = 0
    detect_s: float = 0.0
    samples: int = 0

    def add(self, other: Score) -> None:
        for name in ("faces", "covered", "bare"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for kind, count in theirs.items():
                mine[kind] = mine.get(kind, 0) + count
        self.frames_with_bare_frontal += other.frames_with_bare_frontal
        self.frames += other.frames
        self.detect_s += other.detect_s
        self.samples += other.samples

    def recall(self, kind: str) -> float:
        return self.covered.get(kind, 0) / self.faces[kind] if self.faces.get(kind) else float("nan")


def evaluate(scene: Scene, detector: CnnFaceDetector, settings: BlurSettings, fps: float = 10.0) -> Score:
    """Detects on the frames sampled every `settings.interval_s` (as the worker does), plans the
    blur from all of them, and scores every
    frame at `fps`, most of them between two samples. The worker plans as the frames stream, but
    each frame's rectangles are those of this plan (test_face_blur.py shows it)."""
    long_side = detector.settings.detect_long_side
    width, _ = detection_size(WIDTH, HEIGHT, long_side)
    samples = []
    score = Score()
    count = int(scene.duration_s / settings.interval_s + 1e-9)
    for k in range(count + 1):
        t = round(k * settings.interval_s, 3)
        if t >= scene.duration_s:
            break
        picture = picture_at(scene.frame(t)[0], long_side)
        began = time.process_time()
        boxes = detector.detect(picture)
        score.detect_s += time.process_time() - began
        samples.append(Sample(t, tuple(b.scaled(WIDTH / width) for b in boxes)))
    score.samples = len(samples)
    tracks = plan_blur(samples, WIDTH, HEIGHT, scene.duration_s, settings)
    for n in range(int(scene.duration_s * fps)):
        t = n / fps
        _, labels = scene.frame(t)
        blurs = [b for b in (track.box_at(t) for track in tracks) if b is not None]
        score.frames += 1
        bare_frontal = False
        for box, kind in labels:
            share = coverage(box, blurs)
            score.faces[kind] = score.faces.get(kind, 0) + 1
            score.covered[kind] = score.covered.get(kind, 0) + (share >= COVERED)
            score.bare[kind] = score.bare.get(kind, 0) + (share == 0)
            bare_frontal |= kind == "frontal" and share == 0
        score.frames_with_bare_frontal += bare_frontal
    return score


def labelled_set_recall(detector: CnnFaceDetector) -> dict[str, tuple[int, int]]:
    """The detector alone on still pictures: the LFW faces 20 to a picture (a crowd), the
    astronaut and the cameraman (both ways) at three sizes each. A face counts as found when a
    detection, grown by the blur margin, covers >= COVERED of it."""
    margin = BlurSettings().margin
    lfw = lfw_faces()
    crowds = [[Placed(face, 64 + 128 * (i % 5), 45 + 90 * (i // 5 % 4), 50) for i, face in enumerate(lfw[n:n + 20])]
              for n in range(0, len(lfw), 20)]
    cases: dict[str, list[list[Placed]]] = {
        "LFW faces (frontal)": crowds,
        "astronaut (frontal)": [[Placed(astronaut(), x, 180, w)] for x, w in ((160, 40), (320, 70), (480, 110))],
        "cameraman (profile)": [[Placed(f, x, 180, w)] for f in (cameraman(), mirrored(cameraman()))
                                for x, w in ((160, 40), (320, 70), (480, 110))],
    }
    long_side = detector.settings.detect_long_side
    width, _ = detection_size(WIDTH, HEIGHT, long_side)
    result = {}
    for name, pictures in cases.items():
        found = total = 0
        for items in pictures:
            frame, labels = render(items)
            boxes = [b.scaled(WIDTH / width) for b in detector.detect(picture_at(frame, long_side))]
            grown = [Box(b.x - b.w * margin, b.y - b.h * margin, b.w * (1 + 2 * margin), b.h * (1 + 2 * margin)) for b in boxes]
            found += sum(coverage(label, grown) >= COVERED for label, _ in labels)
            total += len(items)
        result[name] = (found, total)
    return result


def write_clip(scene: Scene, path: Path, fps: int = 25, audio: bool = True) -> Path:
    """The scene as an H.264/AAC MP4 (what a phone would upload), rendered frame by frame."""
    argv = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{WIDTH}x{HEIGHT}",
            "-r", str(fps), "-i", "pipe:0"]
    if audio:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={scene.duration_s}"]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-threads", "1"]
    argv += ["-c:a", "aac", "-shortest"] if audio else []
    frames = b"".join(scene.frame(n / fps)[0].tobytes() for n in range(int(scene.duration_s * fps)))
    subprocess.run([*argv, str(path)], input=frames, check=True, timeout=120, capture_output=True)
    return path


def faces_in_clip(path: Path, detector: CnnFaceDetector, fps: float = 5.0) -> list[tuple[float, list[Box]]]:
    """The detector run on every frame of a clip at `fps` (what remains findable after the blur)."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                            "-of", "csv=p=0", str(path)], check=True, capture_output=True, text=True, timeout=60)
    width, height = (int(v) for v in probe.stdout.strip().split(","))
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-vf", f"fps={fps},format=yuv420p",
                          "-f", "rawvideo", "pipe:1"], check=True, capture_output=True, timeout=120).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, width * height * 3 // 2)
    size = detection_size(width, height, detector.settings.detect_long_side)
    found = []
    for n, frame in enumerate(frames):
        picture = detection_picture(frame, width, height, size)
        found.append((n / fps, [b.scaled(width / size[0]) for b in detector.detect(picture)]))
    return found


def main() -> None:
    detector = CnnFaceDetector()
    print(f"detector: {detector.name}, detection size {detection_size(WIDTH, HEIGHT, detector.settings.detect_long_side)}")
    for name, (found, total) in labelled_set_recall(detector).items():
        print(f"  stills, {name}: {found}/{total} = {found / total:.2f}")
    settings = BlurSettings()
    total = Score()
    for item in SCENES:
        score = evaluate(item, detector, settings)
        total.add(score)
        kinds = ", ".join(f"{k} {score.covered[k]}/{score.faces[k]}" for k in sorted(score.faces))
        print(f"  clip '{item.name}': blurred {kinds}; frames with a frontal face unblurred: "
              f"{score.frames_with_bare_frontal}/{score.frames}; detect {1000 * score.detect_s / score.samples:.0f} ms CPU per sample")
    for kind in sorted(total.faces):
        print(f"recall {kind}: {total.recall(kind):.3f} ({total.covered[kind]}/{total.faces[kind]} face boxes, "
              f"{total.bare[kind]} not blurred at all)")
    print(f"frames with a frontal face not blurred at all: {total.frames_with_bare_frontal}/{total.frames}")


if __name__ == "__main__":
    main()
