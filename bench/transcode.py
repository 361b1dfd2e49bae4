"""Seconds of CPU one uploaded video costs to edit, on one core, with the media image's ffmpeg.

    .venv/bin/python bench/transcode.py [--clips 3] [--seconds 15]

A stand-in upload (a phone-like 720x1280 H.264/AAC clip from ffmpeg's test sources, made with
the media service's own Ffmpeg adapter) is edited the way a display copy is made: scaled to at
most 720 px wide, H.264 (veryfast, CRF 23), AAC 128 kb/s, faststart, on one thread. Until the
media service's edit step lands, this command line stands in for it; docs/capacity.md says so.
Timed per clip; the median and the per-core rate are printed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from liveline_media.adapters.ffmpeg import Ffmpeg


def edit(source: Path, output: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
         "-vf", "scale='min(720,iw)':-2", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
         "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", "-threads", "1", str(output)],
        check=True, timeout=600,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="liveline-bench-transcode-") as scratch:
        source = Ffmpeg(threads=2).make_test_clip(Path(scratch) / "upload.mp4", seconds=args.seconds, width=720, height=1280, rate=30)
        took = []
        for i in range(args.clips):
            began = time.perf_counter()
            edit(source, Path(scratch) / f"edited-{i}.mp4")
            took.append(time.perf_counter() - began)
            print(f"clip {i + 1}: {took[-1]:.2f} s", flush=True)
    seconds = statistics.median(took)
    print()
    print(f"clip length:                          {args.seconds:g} s, 720x1280, 30 fps")
    print(f"edit time on one core:                {seconds:.2f} s (median of {args.clips})")
    print(f"edits per core-hour:                  {3600 / seconds:,.0f}")


if __name__ == "__main__":
    main()
