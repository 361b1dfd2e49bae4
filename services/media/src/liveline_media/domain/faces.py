"""Where to blur faces, from detections on sampled frames: the rules, with no I/O.

The detector looks at frames sampled every `interval_s` seconds (at a reduced size); between
samples nothing is looked at, so each face found is carried through time as a *track*:
detections of consecutive samples that overlap are one face, its centre moves linearly between
them, a face missed for up to `max_gap` samples (a turn, a hand in front) is bridged, and the
track is extended by one interval before its first and after its last detection (a face
appearing half-way was there some time before the sample that saw it), moving on at the speed
it had. The blur rectangle of a track has one size (its largest face, grown by `margin` on every
side), so the ffmpeg filters need only per-frame positions.

Coordinates are pixels of the edited (upright, scaled) picture; times are seconds of the edited
clip (0 = the start of the uploader's trim).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def area(self) -> float:
        return max(self.w, 0.0) * max(self.h, 0.0)

    def intersection(self, other: Box) -> float:
        w = min(self.x + self.w, other.x + other.w) - max(self.x, other.x)
        h = min(self.y + self.h, other.y + other.h) - max(self.y, other.y)
        return w * h if w > 0 and h > 0 else 0.0

    def iou(self, other: Box) -> float:
        common = self.intersection(other)
        return common / (self.area + other.area - common) if common else 0.0

    def scaled(self, factor: float) -> Box:
        return Box(self.x * factor, self.y * factor, self.w * factor, self.h * factor)


@dataclass(frozen=True)
class Sample:
    """The faces the detector found in the frame at `t`."""

    t: float
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class BlurTrack:
    """One face through time: a `width` x `height` rectangle whose centre passes through `points`
    (time, cx, cy), linearly between them, blurred from `start_s` to `end_s`."""

    points: tuple[tuple[float, float, float], ...]
    width: int
    height: int
    frame_width: int
    frame_height: int

    @property
    def start_s(self) -> float:
        return self.points[0][0]

    @property
    def end_s(self) -> float:
        return self.points[-1][0]

    def centre_at(self, t: float) -> tuple[float, float]:
        points = self.points
        if t <= points[0][0]:
            return points[0][1], points[0][2]
        for (t0, x0, y0), (t1, x1, y1) in zip(points, points[1:]):
            if t <= t1:
                share = (t - t0) / (t1 - t0) if t1 > t0 else 1.0
                return x0 + (x1 - x0) * share, y0 + (y1 - y0) * share
        return points[-1][1], points[-1][2]

    def corner_at(self, t: float) -> tuple[int, int]:
        """The top-left corner at `t`, kept inside the picture (what crop and overlay do too)."""
        cx, cy = self.centre_at(t)
        x = min(max(round(cx - self.width / 2), 0), self.frame_width - self.width)
        y = min(max(round(cy - self.height / 2), 0), self.frame_height - self.height)
        return x, y

    def box_at(self, t: float) -> Box | None:
        if not self.start_s <= t <= self.end_s:
            return None
        x, y = self.corner_at(t)
        return Box(x, y, self.width, self.height)


@dataclass(frozen=True)
class BlurSettings:
    interval_s: float = 0.5
    margin: float = 0.3  # of the face's width/height, added on each side
    max_gap: int = 2  # samples a face may be missed for and still be the same track
    min_side: int = 16


def _even(value: float, limit: int) -> int:
    return max(2, min(int(math.ceil(value / 2)) * 2, limit // 2 * 2))


def link_tracks(samples: Sequence[Sample], settings: BlurSettings) -> list[list[tuple[float, Box]]]:
    """Detections of successive samples joined into tracks (greedy, best overlap first)."""
    finished: list[list[tuple[float, Box]]] = []
    active: list[list[tuple[float, Box]]] = []
    for sample in sorted(samples, key=lambda s: s.t):
        reach = (settings.max_gap + 1) * settings.interval_s + 1e-6
        still = [track for track in active if sample.t - track[-1][0] <= reach]
        finished.extend(track for track in active if sample.t - track[-1][0] > reach)
        active = still
        pairs = []
        for ti, track in enumerate(active):
            last = track[-1][1]
            for bi, box in enumerate(sample.boxes):
                distance = math.hypot(box.cx - last.cx, box.cy - last.cy) / max(last.w, box.w, 1.0)
                if last.iou(box) > 0 or distance < 1.5:  # a face may move by its width and a half
                    pairs.append((last.iou(box) - distance, ti, bi))
        taken_tracks: set[int] = set()
        taken_boxes: set[int] = set()
        for _, ti, bi in sorted(pairs, reverse=True):
            if ti in taken_tracks or bi in taken_boxes:
                continue
            taken_tracks.add(ti)
            taken_boxes.add(bi)
            active[ti].append((sample.t, sample.boxes[bi]))
        for bi, box in enumerate(sample.boxes):
            if bi not in taken_boxes:
                active.append([(sample.t, box)])
    return finished + active


def plan_blur(
    samples: Sequence[Sample], frame_width: int, frame_height: int, duration_s: float, settings: BlurSettings
) -> tuple[BlurTrack, ...]:
    """The blur rectangles of a clip, from the faces found in its sampled frames."""
    tracks = []
    for track in link_tracks(samples, settings):
        biggest_w = max(box.w for _, box in track)
        biggest_h = max(box.h for _, box in track)
        width = _even(max(biggest_w * (1 + 2 * settings.margin), settings.min_side), frame_width)
        height = _even(max(biggest_h * (1 + 2 * settings.margin), settings.min_side), frame_height)
        points = [(t, box.cx, box.cy) for t, box in track]
        # Before the first and after the last sighting: one interval more, at the speed it had.
        (t0, x0, y0), (t1, x1, y1) = points[0], points[min(1, len(points) - 1)]
        vx, vy = ((x1 - x0) / (t1 - t0), (y1 - y0) / (t1 - t0)) if t1 > t0 else (0.0, 0.0)
        lead = min(settings.interval_s, t0)
        if lead > 0:
            points.insert(0, (t0 - lead, x0 - vx * lead, y0 - vy * lead))
        (ta, xa, ya), (tb, xb, yb) = points[max(len(points) - 2, 0)], points[-1]
        vx, vy = ((xb - xa) / (tb - ta), (yb - ya) / (tb - ta)) if tb > ta else (0.0, 0.0)
        tail = min(settings.interval_s, max(duration_s - tb, 0.0))
        if tail > 0:
            points.append((tb + tail, xb + vx * tail, yb + vy * tail))
        tracks.append(BlurTrack(tuple(points), width, height, frame_width, frame_height))
    return tuple(sorted(tracks, key=lambda track: track.start_s))


def piecewise_linear(points: Sequence[tuple[float, float]], variable: str = "t") -> str:
    """An ffmpeg expression of `variable` through (t, value) points, held before and after.

    A balanced tree of if(lt(...)) so that a long track costs a few comparisons per frame.
    """
    if len(points) == 1:
        return f"{points[0][1]:.1f}"

    def segment(i: int) -> str:
        (t0, v0), (t1, v1) = points[i], points[i + 1]
        if t1 <= t0 or abs(v1 - v0) < 0.05:
            return f"{v1:.1f}"
        slope = (v1 - v0) / (t1 - t0)
        return f"({v0:.1f}+{slope:.3f}*({variable}-{t0:.3f}))"

    def tree(lo: int, hi: int) -> str:  # segments lo..hi-1
        if hi - lo == 1:
            return segment(lo)
        mid = (lo + hi) // 2
        return f"if(lt({variable},{points[mid][0]:.3f}),{tree(lo, mid)},{tree(mid, hi)})"

    (first, before), (last, after) = points[0], points[-1]
    return f"if(lt({variable},{first:.3f}),{before:.1f},if(gte({variable},{last:.3f}),{after:.1f},{tree(0, len(points) - 1)}))"


def corner_expressions(track: BlurTrack) -> tuple[str, str]:
    """ffmpeg expressions of `t` for the top-left corner of a track's rectangle (crop and overlay
    both keep it inside the picture, as `BlurTrack.corner_at` does)."""
    xs = piecewise_linear([(t, cx - track.width / 2) for t, cx, _ in track.points])
    ys = piecewise_linear([(t, cy - track.height / 2) for t, _, cy in track.points])
    return (
        f"clip({xs},0,{track.frame_width - track.width})",
        f"clip({ys},0,{track.frame_height - track.height})",
    )


def coverage(face: Box, blurs: Iterable[Box]) -> float:
    """Share of a face's area inside the blur rectangles (approximated on a 16x16 grid of points)."""
    blurs = list(blurs)
    if not blurs or face.area == 0:
        return 0.0
    steps = 16
    inside = 0
    for i in range(steps):
        for j in range(steps):
            px = face.x + (i + 0.5) * face.w / steps
            py = face.y + (j + 0.5) * face.h / steps
            if any(b.x <= px <= b.x + b.w and b.y <= py <= b.y + b.h for b in blurs):
                inside += 1
    return inside / (steps * steps)
