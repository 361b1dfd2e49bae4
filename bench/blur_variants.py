"""The bare edit and the edit with blur in its variants, alternating in one process (each round in a rotated order), on one of
media_pipeline.py's clips (the 720p one by default): what docs/face-blur.md's "The 720p source"
compares side by side.

    .venv/bin/python bench/blur_variants.py [--rounds 5] [--seconds 30] [--clip 3]

Variants: the blur as before the decoder's direct writes (the same code with `-avioflags
direct` taken out of the decoder's command), as it is, and with FACE_FULL_SEARCH_EVERY=2. CPU =
user + sys of this process (the detector, the frames through Python) and of its ffmpeg runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median  # noqa: E402
from media_pipeline import CLIPS, DEFAULTS, bare_command, cpu_seconds, edit_settings, make_clip, run_bare  # noqa: E402

from liveline_media.adapters.faces import DetectorSettings, FaceBlur  # noqa: E402
from liveline_media.adapters.ffmpeg import Ffmpeg  # noqa: E402


class BufferedDecoder(Ffmpeg):
    """The edit as it was: the decoder writes through ffmpeg's 32 KiB output buffer."""

    def decode_command(self, source, settings):
        argv = super().decode_command(source, settings)
        at = argv.index("-avioflags")
        return argv[:at] + argv[at + 2:]


def main(rounds: int, seconds: int, clip_number: int) -> None:
    kind = CLIPS[clip_number - 1]
    tools = Ffmpeg(threads=DEFAULTS.ffmpeg_threads, timeout_s=600)
    buffered = BufferedDecoder(threads=DEFAULTS.ffmpeg_threads, timeout_s=600)
    variants = {"before (buffered decoder)": (buffered, 1), "now (default)": (tools, 1),
                "FACE_FULL_SEARCH_EVERY=2": (tools, 2)}
    with tempfile.TemporaryDirectory(prefix="liveline-bench-variants-") as scratch:
        folder = Path(scratch)
        clip = make_clip(folder, seconds, kind)
        settings = edit_settings(tools, clip, folder)
        argv = bare_command(tools, clip, folder)
        print(f"clip: {kind.name}, {seconds} s; {rounds} rounds, bare and blurred edits alternating", flush=True)
        bare: list[float] = []
        blurred: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        names = ["bare", *variants]
        for number in range(1, rounds + 1):
            # Each round starts one further along: whatever runs first after another load pays more.
            for name in names[number % len(names):] + names[:number % len(names)]:
                if name == "bare":
                    bare.append(run_bare(argv, folder)[1])
                    continue
                runner, every = variants[name]
                blur = FaceBlur(DetectorSettings(full_search_every=every), interval_s=0.5).for_clip(
                    settings.width, settings.height, settings.window.length_s)
                began = cpu_seconds()
                runner.edit_through(clip, folder / "blurred.mp4", folder / "blurred.jpg", settings, blur)
                blurred[name].append((cpu_seconds() - began, blur.result.detect_s))
            print(f"  round {number}: bare {bare[-1]:.2f} s CPU; " + "; ".join(
                f"{name} {runs[-1][0]:.2f} s" for name, runs in blurred.items()), flush=True)
        print(f"bare edit: {median(bare):.2f} s CPU (median)")
        for name, runs in blurred.items():
            cpu = median([c for c, _ in runs])
            ratios = [c / b for (c, _), b in zip(runs, bare, strict=True)]
            print(f"{name}: {cpu:.2f} s CPU (detector {median([d for _, d in runs]):.2f} s), ratio {cpu / median(bare):.3f}, "
                  f"per round {min(ratios):.3f}–{max(ratios):.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clip", type=int, default=3, help="which of media_pipeline.py's CLIPS, from 1")
    args = parser.parse_args()
    main(args.rounds, args.seconds, args.clip)
