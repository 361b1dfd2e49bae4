"""Where to blur faces, from detections on sampled frames: the rules, with no I/O.

The detector looks at frames sampled every `interval_s` seconds (at a reduced size); between
samples nothing is looked at, so each face found is carried through time as a *track*:
detections of consecutive samples that overlap are one face, its centre moves linearly between
them, a face missed for up to `max_gap` samples (a turn, a hand in front) is bridged, and the
track is extended before its first and after its last detection by as long as a face could
have been there unseen (one `interval_s`: a face appearing between two samples was there some
time before the sample that saw it), moving on at the speed it had. The blur rectangle is the face
grown by `margin` on every side; between two detections it has the larger of their two sizes.
A rectangle at time t depends only on the samples up to t + `lookahead_s`, so frames can be
blurred as the clip streams through the worker, that far behind the newest sample.

Coordinates are pixels of the edited (upright, scaled) picture; times are seconds of the edited
clip (0 = the start of the uploader's trim).
"""

from __future__ import annotations

import bisect
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
    """One face through time: a rectangle whose centre passes through `points` (time, cx, cy,
    width, height), linearly between them, blurred from `start_s` to `end_s`. Between two points
    the rectangle has the larger of their two sizes."""

    points: tuple[tuple[float, float, float, int, int], ...]
    frame_width: int
    frame_height: int

    @property
    def start_s(self) -> float:
        return self.points[0][0]

    @property
    def end_s(self) -> float:
        return self.points[-1][0]

    def box_at(self, t: float) -> Box | None:
        """The rectangle at `t`, kept inside the picture, or None outside the track's time."""
        if not self.start_s <= t <= self.end_s:
            return None
        points = self.points
        before = max(bisect.bisect_right(points, t, key=lambda point: point[0]) - 1, 0)
        after = min(before + 1, len(points) - 1)
        (t0, x0, y0, w0, h0), (t1, x1, y1, w1, h1) = points[before], points[after]
        share = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
        cx, cy = x0 + (x1 - x0) * share, y0 + (y1 - y0) * share
        width, height = max(w0, w1), max(h0, h1)
        x = min(max(round(cx - width / 2), 0), self.frame_width - width)
        y = min(max(round(cy - height / 2), 0), self.frame_height - height)
        return Box(x, y, width, height)


@dataclass(frozen=True)
class BlurSettings:
    # Between two sampled frames. The detector looks at the whole picture for every kind of face
    # on each of them, so a face may have been there unseen for up to this long before its first
    # detection and after its last: its blur starts and ends that much earlier and later.
    interval_s: float = 0.5
    margin: float = 0.3  # of the face's width/height, added on each side
    max_gap: int = 2  # samples a face may be missed for and still be the same track
    min_side: int = 16

    @property
    def reach_s(self) -> float:
        """The longest time between two detections of one track."""
        return (self.max_gap + 1) * self.interval_s

    @property
    def lookahead_s(self) -> float:
        """How far past a frame the samples must be known for that frame's rectangles to be
        final: a track may continue up to `reach_s` after its last detection before the frame,
        and one first seen up to `interval_s` after the frame takes its speed from its second
        detection, up to `reach_s` later still."""
        return self.reach_s + self.interval_s


def _even(value: float, limit: int) -> int:
    return max(2, min(int(math.ceil(value / 2)) * 2, limit // 2 * 2))


def link_tracks(samples: Sequence[Sample], settings: BlurSettings) -> list[list[tuple[float, Box]]]:
    """Detections of successive samples joined into tracks (greedy, best overlap first)."""
    finished: list[list[tuple[float, Box]]] = []
    active: list[list[tuple[float, Box]]] = []
    for sample in sorted(samples, key=lambda s: s.t):
        reach = settings.reach_s + 1e-6
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
    """The blur rectangles of a clip, from the faces found in its sampled frames.

    A rectangle at time t depends only on the samples up to t + `settings.lookahead_s`, so the
    plan made from the samples known so far is final for the frames that far back (the worker
    blurs frames as the clip streams through it, adapters/faces.py).
    """
    tracks = []
    for track in link_tracks(samples, settings):
        points = [
            (t, box.cx, box.cy,
             _even(max(box.w * (1 + 2 * settings.margin), settings.min_side), frame_width),
             _even(max(box.h * (1 + 2 * settings.margin), settings.min_side), frame_height))
            for t, box in track
        ]
        # Before the first and after the last sighting: as long as the face may have been there
        # unseen, at the speed it had.
        (t0, x0, y0, w0, h0), (t1, x1, y1, _, _) = points[0], points[min(1, len(points) - 1)]
        vx, vy = ((x1 - x0) / (t1 - t0), (y1 - y0) / (t1 - t0)) if t1 > t0 else (0.0, 0.0)
        lead = min(settings.interval_s, t0)
        if lead > 0:
            points.insert(0, (t0 - lead, x0 - vx * lead, y0 - vy * lead, w0, h0))
        (ta, xa, ya, _, _), (tb, xb, yb, wb, hb) = points[max(len(points) - 2, 0)], points[-1]
        vx, vy = ((xb - xa) / (tb - ta), (yb - ya) / (tb - ta)) if tb > ta else (0.0, 0.0)
        tail = min(settings.interval_s, max(duration_s - tb, 0.0))
        if tail > 0:
            points.append((tb + tail, xb + vx * tail, yb + vy * tail, wb, hb))
        tracks.append(BlurTrack(tuple(points), frame_width, frame_height))
    return tuple(sorted(tracks, key=lambda track: track.start_s))


def boxes_at(tracks: Iterable[BlurTrack], t: float) -> list[Box]:
    """The blur rectangles of the frame at `t`."""
    return [box for box in (track.box_at(t) for track in tracks) if box is not None]


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
