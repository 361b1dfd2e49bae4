"""Where the face blur's CPU goes, part by part, on media_pipeline.py's first clip (1080p30, two
faces crossing a photograph): what the design in docs/face-blur.md was chosen from.

    .venv/bin/python bench/face_costs.py [--seconds 30] [--rounds 2]

- the bare one-pass edit, and the same edit with its frames passed through Python unchanged
  (decoder | Python | encoder: what streaming the frames costs by itself);
- a second decode of the clip that only samples frames for a detector (480x270 grey, what the
  scan did before the blur moved into the one decode), with ffmpeg's cheaper decoding options;
- the detector (libfacedetection's CNN), per sampled frame of the edited 1280x720 picture: the
  colour picture made from the yuv420p frame, and the detection, at several detection sizes,
  with how often each finds the clip's two faces (the astronaut, frontal, 1/7 of the picture's
  width; the cameraman, profile, 1/18).

CPU seconds are user + sys (of this process for the detector, of the ffmpeg runs for the rest),
which other load on a shared machine moves far less than wall time.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median  # noqa: E402
from media_pipeline import CLIPS, bare_command, edit_settings, make_clip  # noqa: E402

from liveline_media.adapters.faces import CnnFaceDetector, DetectorSettings, detection_picture, detection_size  # noqa: E402
from liveline_media.adapters.ffmpeg import Ffmpeg  # noqa: E402
from liveline_media.domain.faces import Box, coverage  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sampling_decode(clip: Path, width: int, height: int, seconds: int, options: list[str]) -> list[str]:
    """The scan's own decode as it was: a frame every 0.5 s, grey, at the detection size."""
    return ["ffmpeg", "-nostdin", "-v", "error", *options, "-t", str(seconds), "-i", str(clip), "-an",
            "-vf", f"fps=2:round=near,scale={width}:{height}:flags=area,format=gray", "-f", "rawvideo", "pipe:1"]


def main(seconds: int, rounds: int) -> None:
    tools = Ffmpeg(threads=2, timeout_s=600)
    kind = CLIPS[0]
    with tempfile.TemporaryDirectory(prefix="liveline-bench-face-costs-") as scratch:
        folder = Path(scratch)
        clip = make_clip(folder, seconds, kind)
        settings = edit_settings(tools, clip, folder)
        print(f"clip: {kind.name}, {seconds} s; {rounds} rounds, medians; CPU = user + sys", flush=True)

        def timed(label: str, run) -> None:
            cpu, wall = [], []
            for _ in range(rounds):
                began_cpu, began = children_cpu() + self_cpu(), time.perf_counter()
                run()
                cpu.append(children_cpu() + self_cpu() - began_cpu)
                wall.append(time.perf_counter() - began)
            print(f"  {label}: {median(cpu):.2f} s CPU, {median(wall):.2f} s wall", flush=True)

        argv = bare_command(tools, clip, folder)
        timed("bare one-pass edit", lambda: subprocess.run(argv, cwd=folder, check=True, capture_output=True))
        timed("the same edit, frames through Python unchanged",
              lambda: tools.edit_through(clip, folder / "through.mp4", folder / "through.jpg", settings, lambda frames: frames))
        width, height = detection_size(settings.width, settings.height, 480)  # the old scan's size
        for label, options in (
            ("second decode for sampling, full decoding", []),
            ("second decode, no loop filter, no unreferenced frames (as the scan was)",
             ["-threads", "2", "-skip_loop_filter", "all", "-skip_frame", "noref"]),
            ("second decode, the same on one thread", ["-threads", "1", "-skip_loop_filter", "all", "-skip_frame", "noref"]),
        ):
            timed(label, lambda options=options: subprocess.run(
                sampling_decode(clip, width, height, seconds, options), check=True, capture_output=True))

        edited = (settings.width, settings.height)
        raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-t", str(seconds), "-i", str(clip), "-an", "-vf",
                              f"fps=2:round=near,scale={edited[0]}:{edited[1]}:flags=bicubic,format=yuv420p",
                              "-f", "rawvideo", "pipe:1"], check=True, capture_output=True).stdout
        frames = np.frombuffer(raw, np.uint8).reshape(-1, edited[0] * edited[1] * 3 // 2)
        print(f"the detector on {len(frames)} sampled frames of the edited {edited[0]}x{edited[1]} picture, CPU per frame:",
              flush=True)
        for side in (480, 560, 640, 800):
            size = detection_size(*edited, side)
            detector = CnnFaceDetector(DetectorSettings(detect_long_side=side))
            began = time.process_time()
            pictures = [detection_picture(frame, *edited, size) for frame in frames]
            convert_ms = (time.process_time() - began) / len(frames) * 1000
            found: dict[str, int] = {}
            began = time.process_time()
            for number, picture in enumerate(pictures):
                boxes = [box.scaled(edited[0] / size[0]) for box in detector.detect(picture)]
                grown = [Box(b.x - 0.3 * b.w, b.y - 0.3 * b.h, 1.6 * b.w, 1.6 * b.h) for b in boxes]
                for name, face in kind.faces_at(number * 0.5, seconds, edited[0]):
                    found[name] = found.get(name, 0) + (coverage(face, grown) >= 0.9)
            detect_ms = (time.process_time() - began) / len(frames) * 1000
            print(f"  at {side} px ({size[0]}x{size[1]}): colour picture {convert_ms:.2f} ms, detection {detect_ms:.1f} ms; "
                  + ", ".join(f"{name} found in {count}/{len(frames)}" for name, count in found.items()), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    main(args.seconds, args.rounds)
