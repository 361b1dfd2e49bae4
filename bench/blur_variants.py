"""The bare edit and the edit with blur at several detection sizes, alternating in one process (each
round in a rotated order), on one of media_pipeline.py's clips (the 720p one by default): what
docs/face-blur.md's "Cost" weighs the detection size with.

    .venv/bin/python bench/blur_variants.py [--rounds 5] [--seconds 30] [--clip 3] [--sizes 480,640,800]

Variants: the worker's edit with blur, the detector's picture `--sizes` pixels on its long side
(640 is the default). CPU = user + sys of this process (the detector, the frames through Python)
and of its ffmpeg runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median  # noqa: E402
from media_pipeline import CLIPS, DEFAULTS, bare_command, cpu_seconds, edit_settings, faces_blurred, make_clip, run_bare  # noqa: E402

from liveline_media.adapters.faces import DetectorSettings, FaceBlur  # noqa: E402
from liveline_media.adapters.ffmpeg import Ffmpeg  # noqa: E402


def main(rounds: int, seconds: int, clip_number: int, sizes: list[int]) -> None:
    kind = CLIPS[clip_number - 1]
    tools = Ffmpeg(threads=DEFAULTS.ffmpeg_threads, timeout_s=600)
    variants = {f"{size} px" + (" (default)" if size == DEFAULTS.face_detect_long_side else ""): size for size in sizes}
    with tempfile.TemporaryDirectory(prefix="liveline-bench-variants-") as scratch:
        folder = Path(scratch)
        clip = make_clip(folder, seconds, kind)
        settings = edit_settings(tools, clip, folder)
        argv = bare_command(tools, clip, folder)
        print(f"clip: {kind.name}, {seconds} s; {rounds} rounds, bare and blurred edits alternating", flush=True)
        bare: list[float] = []
        blurred: dict[str, list[tuple[float, float, int]]] = {name: [] for name in variants}
        tracks = {}
        names = ["bare", *variants]
        for number in range(1, rounds + 1):
            # Each round starts one further along: whatever runs first after another load pays more.
            for name in names[number % len(names):] + names[:number % len(names)]:
                if name == "bare":
                    bare.append(run_bare(argv, folder)[1])
                    continue
                detector = DetectorSettings(detect_long_side=variants[name], min_confidence=DEFAULTS.face_min_confidence)
                blur = FaceBlur(detector, interval_s=DEFAULTS.face_sample_interval_s).for_clip(
                    settings.width, settings.height, settings.window.length_s)
                began = cpu_seconds()
                tools.edit_through(clip, folder / "blurred.mp4", folder / "blurred.jpg", settings, blur)
                blurred[name].append((cpu_seconds() - began, blur.result.detect_s, len(blur.result.tracks)))
                tracks[name] = blur.result.tracks
            print(f"  round {number}: bare {bare[-1]:.2f} s CPU; " + "; ".join(
                f"{name} {runs[-1][0]:.2f} s" for name, runs in blurred.items()), flush=True)
        print(f"bare edit: {median(bare):.2f} s CPU (median)")
        for name, runs in blurred.items():
            cpu = median([c for c, _, _ in runs])
            ratios = [c / b for (c, _, _), b in zip(runs, bare, strict=True)]
            print(f"{name}: {cpu:.2f} s CPU (detector {median([d for _, d, _ in runs]):.2f} s, {runs[-1][2]} face tracks), "
                  f"ratio {cpu / median(bare):.3f}, per round {min(ratios):.3f}–{max(ratios):.3f}")
            for face, (blurred_share, bare_share) in faces_blurred(kind, seconds, settings.width, tracks[name]).items():
                print(f"  {face}: blurred in {blurred_share:.0%} of frames, not at all in {bare_share:.0%}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clip", type=int, default=3, help="which of media_pipeline.py's CLIPS, from 1")
    parser.add_argument("--sizes", default="480,640,800", help="the detector's long sides to compare, in pixels")
    args = parser.parse_args()
    main(args.rounds, args.seconds, args.clip, [int(size) for size in args.sizes.split(",")])
