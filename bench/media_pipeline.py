"""Seconds from "upload complete" to VideoEdited on Kafka, and the edit with its face blur, beside
the bare one-pass ffmpeg edit with the same output settings on the same clip, in the same run.

    .venv/bin/python bench/media_pipeline.py [--rounds 3] [--seconds 30]
    .venv/bin/python bench/media_pipeline.py --edit-only [--rounds 3] [--seconds 30] [--clips 3]

The clips: a photograph (scikit-image's `coffee`) with moving grain, and two faces
(scikit-image's astronaut, frontal, and cameraman, profile) crossing it, with a 440 Hz tone,
`--seconds` long (30 by default), H.264/AAC as a phone would send it, made by ffmpeg (`CLIPS`:
1080p30 at 16 Mbit/s with B-frames; the same without B-frames and a key frame every second, as
most phones write; 720p30 at 8 Mbit/s without B-frames). The full run uses the first. Generating
and uploading a clip is not timed.

edit with blur: what the worker does unless the uploader keeps faces, on the clip on local disk:
the one decode, the frames through the face blur (a frame every 0.5 s to the CNN face detector,
every face track blurred), the one encode, timed from start to exit. Goal: at most 1.5 x the bare
edit. Both are measured in wall seconds and in CPU seconds (user + sys of this process, which
runs the detector and passes the frames, and of every ffmpeg it started), which other work on a
shared machine moves far less than wall time. `--edit-only` runs just these two on each kind of
clip, without servers, and says how much of each labelled face the blur covered.

liveline: a real order service (for the merchant's name) and media service (API and worker in one
process, as `make run` starts it) on freshly started Kafka, FerretDB and MinIO. Each round, a new
order is placed and redeemed on Kafka, the clip is uploaded part by part straight to MinIO on the
presigned URLs, and the clock runs from POST /videos/{id}/complete (S3 CompleteMultipartUpload,
VideoUploaded through the outbox) through the worker (download, ffprobe, the one ffmpeg pass,
ffprobe of the result, poster and clip to MinIO, VideoEdited through the outbox) until a plain
Kafka consumer reads VideoEdited.

baseline: the ffmpeg command line the worker runs (the media service's own `edit_command`: 720p,
x264 veryfast, 2 threads, loudnorm, the CJK overlay, the JPEG poster), on the same clip already on
local disk, timed from start to exit.

Rounds alternate between the three; medians are printed with the ratio (the goal is at most 1.15).
On a machine shared with other work, ffmpeg's own time swings by tens of percent from one run
to the next, so the bench also prints what the pipeline adds around its ffmpeg run (the time to
VideoEdited minus the worker's ffmpeg time, from the worker's `video_edit_timings` log line),
which that noise does not move.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, servers  # noqa: E402

from liveline_devstack.services import ServiceProcess  # noqa: E402
from liveline_media.adapters.faces import DetectorSettings, FaceBlur  # noqa: E402
from liveline_media.adapters.ffmpeg import EditSettings, Ffmpeg  # noqa: E402
from liveline_media.config import Settings as MediaSettings  # noqa: E402
from liveline_media.domain.faces import BlurTrack, Box, boxes_at, coverage  # noqa: E402
from liveline_media.domain.videos import edit_window, output_size, overlay_text, upright_size  # noqa: E402
from liveline_shared.callers import Caller  # noqa: E402
from liveline_shared.events import OrderPlaced, OrderRedeemed  # noqa: E402
from liveline_shared.events.topics import VIDEOS  # noqa: E402

TOKEN = f"bench-{uuid.uuid4().hex}"
MERCHANT = {"name": "海底捞火锅 Hotpot", "address": "1 Nanjing Rd", "timezone": "Asia/Shanghai", "contact": "+862161234567"}
DEFAULTS = MediaSettings()


@dataclass(frozen=True)
class ClipKind:
    """A phone-like clip with two faces crossing a grainy photograph: the astronaut (frontal) left
    to right, the cameraman (profile) right to left, 1/7 and 1/18 of the picture's width."""

    name: str
    width: int
    height: int
    bitrate: str
    encoder_args: tuple[str, ...]

    def faces_at(self, t: float, seconds: float, width: int) -> list[tuple[str, Box]]:
        """The two labelled face boxes at `t`, in the pixels of a picture `width` wide."""
        f = width / 1920  # positions are drawn on a 1920-wide picture
        astronaut = Box(100 + 1400 * t / seconds + 75, 300 + 80 * math.sin(t) + 78, 135, 165)
        cameraman = Box(1500 - 1200 * t / seconds + 63, 520 + 90, 105, 112.5)
        return [("astronaut (frontal)", astronaut.scaled(f)), ("cameraman (profile)", cameraman.scaled(f))]


CLIPS = (
    # What x264 writes with its defaults (B-frames, a key frame every 250 frames).
    ClipKind("1080p30 16 Mbit/s, B-frames", 1920, 1080, "16M", ()),
    # What most phones write: no B-frames, a key frame every second.
    ClipKind("1080p30 16 Mbit/s, no B-frames, key frame every 1 s", 1920, 1080, "16M", ("-bf", "0", "-g", "30")),
    # A phone set to 720p: the edit does not scale it, so the blur weighs more.
    ClipKind("720p30 8 Mbit/s, no B-frames, key frame every 1 s", 1280, 720, "8M", ("-bf", "0", "-g", "30")),
)


def make_clip(folder: Path, seconds: int, kind: ClipKind = CLIPS[0]) -> Path:
    import cv2
    from skimage import data

    f = kind.width / 1920

    def size(w: int, h: int) -> tuple[int, int]:
        return round(w * f), round(h * f)

    cv2.imwrite(str(folder / "background.png"), cv2.resize(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR), (kind.width, kind.height)))
    cv2.imwrite(str(folder / "astronaut.png"), cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[20:240, 130:320], size(285, 330)))
    cv2.imwrite(str(folder / "cameraman.png"), cv2.resize(data.camera()[60:240, 140:300], size(240, 270)))
    path = folder / f"phone-{kind.height}p-{len(kind.encoder_args)}.mp4"
    graph = (
        "[0:v]noise=alls=6:allf=t,format=yuv420p[bg];"
        f"[bg][1:v]overlay=x='{f}*(100+1400*t/{seconds})':y='{f}*(300+80*sin(t))'[a];"
        f"[a][2:v]overlay=x='{f}*(1500-1200*t/{seconds})':y={f}*520,format=yuv420p[v]"
    )
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-loop", "1", "-framerate", "30", "-i", str(folder / "background.png"),
         "-loop", "1", "-framerate", "30", "-i", str(folder / "astronaut.png"),
         "-loop", "1", "-framerate", "30", "-i", str(folder / "cameraman.png"),
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-filter_complex", graph, "-map", "[v]", "-map", "3:a",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", *kind.encoder_args,
         "-b:v", kind.bitrate, "-maxrate", kind.bitrate, "-bufsize", "32M", "-c:a", "aac", "-shortest", str(path)],
        check=True, timeout=600,
    )
    return path


def edit_settings(tools: Ffmpeg, clip: Path, folder: Path) -> EditSettings:
    """What the worker edits this clip with (the same module builds the command)."""
    probe = tools.probe(clip)
    text = folder / "overlay.txt"
    text.write_text(overlay_text(MERCHANT["name"], datetime.now(UTC), MERCHANT["timezone"]), encoding="utf-8")
    assert probe.duration_s is not None
    return EditSettings(
        width=output_size(*upright_size(probe))[0], height=output_size(*upright_size(probe))[1],
        window=edit_window(probe.duration_s, None, None, DEFAULTS.max_published_duration_s),
        has_audio=probe.audio_codec is not None, overlay_text_file=text, font_file=DEFAULTS.overlay_font,
        x264_preset=DEFAULTS.x264_preset,
    )


def bare_command(tools: Ffmpeg, clip: Path, folder: Path) -> list[str]:
    """Exactly what the worker runs for this clip when it blurs nothing."""
    return tools.edit_command(clip, folder / "bare.mp4", folder / "bare.jpg", edit_settings(tools, clip, folder))


def face_blur() -> FaceBlur:
    """The worker's face blur, with the worker's default settings."""
    return FaceBlur(
        DetectorSettings(detect_long_side=DEFAULTS.face_detect_long_side, min_confidence=DEFAULTS.face_min_confidence),
        library=DEFAULTS.face_detector_library, interval_s=DEFAULTS.face_sample_interval_s,
    )


@dataclass(frozen=True)
class Blurred:
    wall_s: float
    cpu_s: float
    detect_cpu_s: float  # the detector's thread alone (part of cpu_s)
    tracks: tuple[BlurTrack, ...]


def run_blurred(tools: Ffmpeg, clip: Path, folder: Path) -> Blurred:
    """The worker's edit with face blur (one decode, the frames through the blur, one encode)."""
    settings = edit_settings(tools, clip, folder)
    began, cpu = time.perf_counter(), cpu_seconds()
    blur = face_blur().for_clip(settings.width, settings.height, settings.window.length_s)
    tools.edit_through(clip, folder / "blurred.mp4", folder / "blurred.jpg", settings, blur)
    return Blurred(time.perf_counter() - began, cpu_seconds() - cpu, blur.result.detect_s, blur.result.tracks)


def faces_blurred(kind: ClipKind, seconds: int, width: int, tracks: tuple[BlurTrack, ...]) -> dict[str, tuple[float, float]]:
    """For each labelled face, the share of frames (10 a second) where >= 90 % of it is under a
    blur rectangle, and the share where none of it is."""
    shares: dict[str, list[float]] = {}
    for n in range(seconds * 10):
        t = n / 10
        blurs = boxes_at(tracks, t)
        for name, face in kind.faces_at(t, seconds, width):
            shares.setdefault(name, []).append(coverage(face, blurs))
    return {name: (sum(v >= 0.9 for v in values) / len(values), sum(v == 0 for v in values) / len(values))
            for name, values in shares.items()}


def cpu_seconds() -> float:
    """CPU time of this process (the detector's threads) and of its finished children (ffmpeg)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_bare(argv: list[str], folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the bare edit."""
    began, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run(argv, cwd=folder, check=True, timeout=600, capture_output=True)
    return time.perf_counter() - began, cpu_seconds() - cpu


async def redeemed_order(bootstrap: str, merchant_id: str, buyer: Caller) -> str:
    order_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    ids = dict(order_id=order_id, deal_id="bench-deal", merchant_id=merchant_id, user_id=buyer.account_id)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for event in (
            OrderPlaced(**ids, occurred_at=now, producer="order", quantity=1, amount_minor=9900, currency="CNY",
                        voucher_valid_from=now, voucher_valid_until=now),
            OrderRedeemed(**ids, occurred_at=now, producer="order", redeemed_by="bench-staff"),
        ):
            await producer.send_and_wait(event.topic, event.to_bytes(), key=event.key.encode())
    finally:
        await producer.stop()
    return order_id


async def upload_parts(media: httpx.AsyncClient, buyer: Caller, order_id: str, data: bytes) -> str:
    body = {"order_id": order_id, "size_bytes": len(data), "content_type": "video/mp4"}
    deadline = time.monotonic() + 30
    while (response := await media.post("/videos", json=body, headers=buyer.headers(TOKEN))).status_code != 201:
        assert response.status_code in (404, 409) and time.monotonic() < deadline, response.text
        await asyncio.sleep(0.1)  # the redemption is on its way over Kafka
    upload = response.json()
    async with httpx.AsyncClient(timeout=120) as storage:
        for part in upload["upload_urls"]:
            n = part["part_number"]
            chunk = data[(n - 1) * upload["part_size"]: n * upload["part_size"]]
            assert (await storage.put(part["url"], content=chunk)).status_code == 200
    return upload["video_id"]


async def run_liveline(bootstrap: str, media: httpx.AsyncClient, merchant_id: str, data: bytes) -> tuple[float, str]:
    buyer = Caller(account_id=f"bench-{uuid.uuid4().hex[:8]}", role="customer")
    video_id = await upload_parts(media, buyer, await redeemed_order(bootstrap, merchant_id, buyer), data)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await reader.start()
    try:
        deadline = time.monotonic() + 10
        while not reader.partitions_for_topic(VIDEOS.name):
            assert time.monotonic() < deadline, f"no metadata for {VIDEOS.name}"
            await reader._client.force_metadata_update()  # noqa: SLF001 - aiokafka has no public refresh
        partitions = [TopicPartition(VIDEOS.name, p) for p in reader.partitions_for_topic(VIDEOS.name)]
        reader.assign(partitions)
        await reader.seek_to_end(*partitions)
        for partition in partitions:
            await reader.position(partition)
        began = time.perf_counter()
        completed = await media.post(f"/videos/{video_id}/complete", headers=buyer.headers(TOKEN))
        assert completed.status_code == 200, completed.text
        while True:
            for batch in (await reader.getmany(timeout_ms=100)).values():
                for record in batch:
                    event = json.loads(record.value)
                    if event.get("video_id") == video_id and event["event_type"] in ("VideoEdited", "VideoRejected"):
                        assert event["event_type"] == "VideoEdited", event
                        return time.perf_counter() - began, video_id
    finally:
        await reader.stop()


def worker_timings(log: Path) -> dict[str, dict]:
    """The worker's `video_edit_timings` log lines (download, probe, ffmpeg, store), by video id."""
    lines = [json.loads(line) for line in log.read_text().splitlines() if '"video_edit_timings"' in line]
    return {line["video_id"]: line for line in lines}


def edit_only(rounds: int, seconds: int, kinds: tuple[ClipKind, ...]) -> None:
    tools = Ffmpeg(threads=DEFAULTS.ffmpeg_threads, timeout_s=600)
    print(f"CPU = user + sys of this process (the detector's thread, the frames' way through Python) and of "
          f"every ffmpeg it ran; {rounds} rounds per clip, bare and blurred edits alternating", flush=True)
    blur = face_blur()
    print(f"face blur: a frame every {blur.interval_s:g} s to libfacedetection's CNN at {blur.settings.detect_long_side} px, "
          f"confidence {blur.settings.min_confidence:g}", flush=True)
    ratios_cpu, ratios_wall = [], []
    with tempfile.TemporaryDirectory(prefix="liveline-bench-blur-") as scratch:
        folder = Path(scratch)
        for kind in kinds:
            clip = make_clip(folder, seconds, kind)
            argv = bare_command(tools, clip, folder)
            print(f"\nclip: {kind.name}, {seconds} s with sound, {clip.stat().st_size / 1048576:.0f} MB", flush=True)
            bare, bare_cpu, blurred = [], [], []
            for number in range(1, rounds + 1):
                wall, cpu = run_bare(argv, folder)
                bare.append(wall)
                bare_cpu.append(cpu)
                blurred.append(run_blurred(tools, clip, folder))
                b = blurred[-1]
                print(f"  round {number}: bare edit {wall:.2f} s ({cpu:.2f} s CPU), edit with blur {b.wall_s:.2f} s "
                      f"({b.cpu_s:.2f} s CPU, of which detector {b.detect_cpu_s:.2f} s; {len(b.tracks)} face tracks)", flush=True)
                ratios_cpu.append(b.cpu_s / cpu)
                ratios_wall.append(b.wall_s / wall)
            cpu_ratio = median([b.cpu_s for b in blurred]) / median(bare_cpu)
            wall_ratio = median([b.wall_s for b in blurred]) / median(bare)
            print(f"  medians: bare edit {median(bare):.2f} s, {median(bare_cpu):.2f} s CPU; edit with blur "
                  f"{median([b.wall_s for b in blurred]):.2f} s, {median([b.cpu_s for b in blurred]):.2f} s CPU "
                  f"(detector {median([b.detect_cpu_s for b in blurred]):.2f} s)")
            print(f"  ratio: {cpu_ratio:.3f} CPU, {wall_ratio:.3f} wall (goal ≤ 1.5)")
            width = output_size(*upright_size(tools.probe(clip)))[0]
            for name, (blurred_share, bare_share) in faces_blurred(kind, seconds, width, blurred[-1].tracks).items():
                print(f"  {name}: blurred in {blurred_share:.0%} of frames, not at all in {bare_share:.0%}")
    print(f"\nall clips and rounds, median of the per-round ratios: {median(ratios_cpu):.3f} CPU "
          f"(from {min(ratios_cpu):.3f} to {max(ratios_cpu):.3f}), {median(ratios_wall):.3f} wall "
          f"(from {min(ratios_wall):.3f} to {max(ratios_wall):.3f})")


async def main(rounds: int, seconds: int) -> None:
    tools = Ffmpeg(threads=DEFAULTS.ffmpeg_threads, timeout_s=600)
    with tempfile.TemporaryDirectory(prefix="liveline-bench-media-") as scratch, servers() as endpoints:
        folder = Path(scratch)
        clip = make_clip(folder, seconds)
        data = clip.read_bytes()
        argv = bare_command(tools, clip, folder)
        order = ServiceProcess("order", endpoints, folder / "logs", environment="test",
                               extra_env={"LIVELINE_ORDER_INTERNAL_TOKEN": TOKEN, "LIVELINE_ORDER_LOG_LEVEL": "warning"})
        with order.running():
            media = ServiceProcess("media", endpoints, folder / "logs", environment="test", extra_env={
                "LIVELINE_MEDIA_INTERNAL_TOKEN": TOKEN, "LIVELINE_MEDIA_ORDER_URL": order.url,
                "LIVELINE_MEDIA_LOG_LEVEL": "info", "LIVELINE_MEDIA_SCRATCH_DIR": str(folder / "media-scratch"),
            })
            with media.running():
                made = httpx.post(f"{order.url}/merchants", json=MERCHANT, timeout=30,
                                  headers=Caller(account_id="bench-admin", role="admin").headers(TOKEN))
                assert made.status_code == 201, made.text
                merchant_id = made.json()["merchant_id"]
                print(f"clip: {seconds} s 1920x1080 30 fps with audio, two faces crossing a photograph, "
              f"{len(data) / 1048576:.1f} MB", flush=True)
                print(f"bare command: {' '.join(argv)}", flush=True)
                bare, blurred, bare_cpu, blurred_cpu, scans, liveline, videos = [], [], [], [], [], [], []
                async with httpx.AsyncClient(base_url=media.url, timeout=120) as client:
                    for number in range(1, rounds + 1):
                        wall, cpu = run_bare(argv, folder)
                        bare.append(wall)
                        bare_cpu.append(cpu)
                        edit = run_blurred(tools, clip, folder)
                        blurred.append(edit.wall_s)
                        blurred_cpu.append(edit.cpu_s)
                        scans.append(edit.detect_cpu_s)
                        elapsed, video_id = await run_liveline(endpoints.kafka_bootstrap_servers, client, merchant_id, data)
                        liveline.append(elapsed)
                        videos.append(video_id)
                        print(f"round {number}: bare ffmpeg {bare[-1]:.2f} s, edit with blur {blurred[-1]:.2f} s "
                              f"(detector {edit.detect_cpu_s:.2f} s CPU, {len(edit.tracks)} face tracks), "
                              f"upload complete → VideoEdited {liveline[-1]:.2f} s", flush=True)
        # Read once the media service has stopped and flushed its log.
        timings = worker_timings(folder / "logs" / "media.log")
        ffmpeg_in_worker = [timings[v]["ffmpeg_s"] for v in videos]  # the edit with its face blur
        overhead = [total - inside for total, inside in zip(liveline, ffmpeg_in_worker, strict=True)]
        phases = ("download_s", "probe_s", "store_s")
        print()
        print("worker, median: " + ", ".join(
            f"{p[:-2]} {median([timings[v][p] for v in videos]):.2f} s" for p in phases
        ) + f", its ffmpeg {median(ffmpeg_in_worker):.2f} s")
        print(f"bare single ffmpeg command:            {median(bare):.2f} s (median of {rounds})")
        print(f"edit with blur:                        {median(blurred):.2f} s (median of {rounds}; "
              f"its detector {median(scans):.2f} s CPU)")
        print(f"ratio edit with blur / bare:           {median(blurred) / median(bare):.3f} (goal ≤ 1.5)")
        print(f"CPU seconds, bare / with blur:         {median(bare_cpu):.2f} / {median(blurred_cpu):.2f} s, "
              f"ratio {median(blurred_cpu) / median(bare_cpu):.3f} (what other load on the machine moves least)")
        print(f"upload complete → VideoEdited:         {median(liveline):.2f} s (median of {rounds}, blur included)")
        print(f"ratio liveline / bare:                 {median(liveline) / median(bare):.3f} "
              f"(≤ 1.15 before the blur; with it, against edit with blur: "
              f"{median(liveline) / median(blurred):.3f})")
        print(f"pipeline outside the edit:             {', '.join(f'{o:.2f}' for o in overhead)} s "
              f"(median {median(overhead):.2f} s: what liveline adds, whatever else loads the machine)")

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clips", type=int, default=len(CLIPS), help="--edit-only: the first this many kinds of clip")
    parser.add_argument("--edit-only", action="store_true",
                        help="only the bare edit and the edit with blur, without the servers and the pipeline")
    args = parser.parse_args()
    if args.edit_only:
        edit_only(args.rounds, args.seconds, CLIPS[:args.clips])
    else:
        asyncio.run(main(args.rounds, args.seconds))
