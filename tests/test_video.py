"""Opening videos and images (vision_helper.seeing.video): every container we promise, every bad input a
user can give (one-line VideoError), sane timestamps, bounded memory, and the annotated-video writer.

All files are made here in tmp_path: small videos encoded with PyAV, images with OpenCV.
"""

from __future__ import annotations

import struct
import tracemalloc
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from vision_helper.errors import UserError, VideoError
from vision_helper.seeing.video import MAX_SIDE_PX, MIN_SIDE_PX, AnnotatedVideoWriter, FrameSource, open_frames

W, H = 160, 128


def bar_frame(i: int, w: int = W, h: int = H) -> np.ndarray:
    """Frame i: black with a white vertical bar at x = 8 i, so a decoded frame can be told from another."""
    frame = np.zeros((h, w, 3), np.uint8)
    x = (8 * i) % (w - 8)
    frame[:, x:x + 8] = 255
    return frame


def bar_x(frame: np.ndarray) -> int:
    return int(np.argmax(frame[frame.shape[0] // 2, :, 1] > 127))


def encode(path: Path, codec: str = "libx264", n: int = 20, fps: int = 10, size: tuple[int, int] = (W, H),
           container_options: dict[str, str] | None = None, pts_ms: list[int] | None = None) -> Path:
    """Encode n bar frames with PyAV; pts_ms gives each frame's time in ms (variable frame rate)."""
    with av.open(str(path), "w", options=container_options or {}) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if pts_ms is not None:
            stream.codec_context.time_base = stream.time_base = Fraction(1, 1000)
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(bar_frame(i, *size), format="bgr24")
            if pts_ms is not None:
                frame.pts, frame.time_base = pts_ms[i], Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def read_all(path: Path) -> tuple[FrameSource, list[float], list[np.ndarray]]:
    with open_frames(path) as source:
        times, frames = [], []
        for t, frame in source:
            times.append(t)
            frames.append(frame)
    return source, times, frames


def video_error(path: Path) -> str:
    with pytest.raises(VideoError) as info:
        open_frames(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message, message
    return message


# -- containers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "codec"), [("clip.mp4", "libx264"), ("clip.mov", "libx264"),
                                             ("clip.avi", "mpeg4"), ("clip.webm", "libvpx-vp9"),
                                             ("clip.mkv", "libx264")])
def test_every_promised_container_streams_all_frames_in_order(tmp_path: Path, name: str, codec: str) -> None:
    source, times, frames = read_all(encode(tmp_path / name, codec, n=20, fps=10))
    assert (source.width, source.height, source.frame_count) == (W, H, 20)
    assert source.fps == pytest.approx(10.0)
    assert len(frames) == 20
    assert all(f.shape == (H, W, 3) and f.dtype == np.uint8 for f in frames)
    assert [bar_x(f) for f in frames] == [(8 * i) % (W - 8) for i in range(20)]
    assert times[0] == 0.0
    assert np.diff(times) == pytest.approx(np.full(19, 0.1), abs=1e-3)
    assert source.warning is None


def test_variable_frame_rate_keeps_the_container_times(tmp_path: Path) -> None:
    pts_ms = [0, 40, 100, 110, 300, 333, 500, 520, 700, 1000]
    _, times, _ = read_all(encode(tmp_path / "vfr.mkv", n=len(pts_ms), pts_ms=pts_ms))
    assert times == pytest.approx([p / 1000 for p in pts_ms], abs=2e-3)


def test_content_decides_not_the_name(tmp_path: Path) -> None:
    video = encode(tmp_path / "clip.mp4")
    disguised = tmp_path / "clip.bin"
    disguised.write_bytes(video.read_bytes())
    assert len(read_all(disguised)[1]) == 20
    png_as_mp4 = tmp_path / "photo.mp4"
    png_as_mp4.write_bytes(cv2.imencode(".png", bar_frame(3))[1].tobytes())
    source, times, frames = read_all(png_as_mp4)
    assert source.kind == "image" and times == [0.0] and bar_x(frames[0]) == 24


def test_a_codec_opencv_lacks_is_decoded_through_pyav(tmp_path: Path) -> None:
    if "libsvtav1" not in av.codecs_available:
        pytest.skip("this PyAV has no AV1 encoder to make the test clip")
    path = tmp_path / "av1.mp4"
    encode(path, "libsvtav1", n=12)
    source, times, frames = read_all(path)
    assert len(frames) == 12 and [bar_x(f) for f in frames] == [8 * i for i in range(12)]
    assert np.all(np.diff(times) > 0)


def test_wide_video_frames_are_downscaled_and_said_so(tmp_path: Path) -> None:
    source, _, frames = read_all(encode(tmp_path / "wide.mp4", n=3, size=(2400, 96)))
    assert (source.width, source.height) == (MAX_SIDE_PX, 77)
    assert frames[0].shape == (77, MAX_SIDE_PX, 3)
    assert source.warning is not None and "2400x96" in source.warning


# -- bad inputs: one line each, saying what is wrong ---------------------------------------------------------

def test_missing_path(tmp_path: Path) -> None:
    assert "not found" in video_error(tmp_path / "nope.mp4")


def test_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "videos.mp4"
    folder.mkdir()
    assert "folder" in video_error(folder)


def test_zero_byte_mp4(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    assert "empty (0 bytes)" in video_error(empty)


def test_text_file_named_mp4(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("shopping list: eggs, milk\n" * 20)
    message = video_error(text)
    assert "text file" in message and "not a video" in message


@pytest.mark.parametrize(("name", "content", "said"), [
    ("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n" + b"\x00" * 64, "PDF"),
    ("archive.zip", b"PK\x03\x04" + b"\x00" * 64, "ZIP"),
    ("noise.xyz", np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes(), "not a video or image"),
])
def test_unsupported_files_name_what_they_are(tmp_path: Path, name: str, content: bytes, said: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    message = video_error(path)
    assert said in message and "mp4" in message  # says what it is and what would work


def test_truncated_mp4_without_its_index(tmp_path: Path) -> None:
    video = encode(tmp_path / "whole.mp4", n=40)  # moov written last, as cameras and OpenCV do
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    message = video_error(cut)
    assert "truncated" in message and "moov" in message


def test_truncated_mp4_with_its_index_first_keeps_what_was_decoded(tmp_path: Path) -> None:
    video = encode(tmp_path / "whole.mp4", n=40, container_options={"movflags": "faststart"})
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[: int(video.stat().st_size * 0.6)])
    source, times, frames = read_all(cut)
    assert 1 <= len(frames) < 40
    # every frame given is a real one, at its own time (frames whose data was cut are missing, not invented)
    assert [bar_x(f) for f in frames] == [(8 * round(t / 0.1)) % (W - 8) for t in times]
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    assert source.warning is not None
    assert f"ended early at frame {len(frames)} of 40" in source.warning and "truncated" in source.warning


def test_zero_frame_video(tmp_path: Path) -> None:
    path = tmp_path / "nothing.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (W, H))
    writer.release()
    assert path.stat().st_size > 0
    assert "no frames" in video_error(path)


def test_audio_only_file(tmp_path: Path) -> None:
    path = tmp_path / "voice.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=44100)
        for i in range(5):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, i * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    assert "no video stream (only audio)" in video_error(path)


def test_unreadable_codec(tmp_path: Path) -> None:
    """An AVI whose codec tag names no codec anyone has: OpenCV and PyAV both give up."""
    data = bytearray(encode(tmp_path / "ok.avi", "mpeg4").read_bytes())
    for box in (b"strh", b"strf"):
        at = data.find(box)
        tag_at = at + 20 if box == b"strh" else at + 24  # fccHandler / biCompression
        data[tag_at:tag_at + 4] = b"ZZZZ"
    path = tmp_path / "odd.avi"
    path.write_bytes(bytes(data))
    message = video_error(path)
    assert "cannot be decoded" in message and "H.264" in message


def test_no_native_noise_on_stderr_for_bad_files(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """FFmpeg's "moov atom not found" and OpenCV's WARN lines must not reach the user beside our line."""
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(encode(tmp_path / "whole.mp4").read_bytes()[:900])
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    capfd.readouterr()
    for path in (cut, junk):
        with pytest.raises(VideoError):
            open_frames(path)
    assert capfd.readouterr().err == ""


# -- images ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".jpg", ".png", ".bmp", ".webp", ".tiff"])
def test_images_are_one_frame_at_zero(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"photo{suffix}"
    assert cv2.imwrite(str(path), bar_frame(5))
    source, times, frames = read_all(path)
    assert source.kind == "image" and source.frame_count == 1
    assert times == [0.0] and frames[0].shape == (H, W, 3) and bar_x(frames[0]) == 40


def test_a_phone_photo_is_turned_as_its_exif_orientation_says(tmp_path: Path) -> None:
    """Phones store portrait photos landscape with an EXIF Orientation tag; a body must be upright."""
    image = np.zeros((80, 160, 3), np.uint8)
    image[:, :40] = 255  # white on the left
    jpeg = cv2.imencode(".jpg", image)[1].tobytes()
    ifd = struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack("<I", 0)  # rotate 90 cw
    exif = b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd
    path = tmp_path / "portrait.jpg"
    path.write_bytes(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + jpeg[2:])
    source, _, frames = read_all(path)
    assert (source.width, source.height) == (80, 160)
    assert frames[0][5, :, 0].min() > 200 and frames[0][150, :, 0].max() < 50  # the left edge is now the top


def test_tiny_image_says_the_minimum_size(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    cv2.imwrite(str(path), np.zeros((1, 1, 3), np.uint8))
    message = video_error(path)
    assert "1x1" in message and f"{MIN_SIDE_PX}x{MIN_SIDE_PX}" in message


def test_huge_image_is_downscaled_and_said_so(tmp_path: Path) -> None:
    path = tmp_path / "poster.png"
    image = np.zeros((8000, 8000), np.uint8)
    image[:, 4000:] = 200
    cv2.imwrite(str(path), image)
    source, _, frames = read_all(path)
    assert frames[0].shape == (MAX_SIDE_PX, MAX_SIDE_PX, 3) and (source.width, source.height) == (1920, 1920)
    assert frames[0][5, 5].tolist() == [0, 0, 0] and frames[0][5, 1900].tolist() == [200, 200, 200]
    assert source.warning is not None and "8000x8000" in source.warning


def test_grey_rgba_and_16_bit_images_become_8_bit_bgr(tmp_path: Path) -> None:
    grey = (np.arange(H * W).reshape(H, W) % 251).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "grey.png"), grey)
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[..., 2] = 255  # red
    rgba[:, : W // 2, 3] = 255  # left half opaque, right half transparent
    cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    deep = np.full((H, W), 65535, np.uint16)
    deep[:, : W // 2] = 257 * 100
    cv2.imwrite(str(tmp_path / "deep.png"), deep)

    g = read_all(tmp_path / "grey.png")[2][0]
    assert g.shape == (H, W, 3) and g.dtype == np.uint8
    assert np.array_equal(g[:, :, 0], grey) and np.array_equal(g[:, :, 1], grey)
    c = read_all(tmp_path / "rgba.png")[2][0]
    assert c.shape == (H, W, 3)
    assert c[0, 0].tolist() == [0, 0, 255] and c[0, W - 1].tolist() == [255, 255, 255]  # transparent → white
    d = read_all(tmp_path / "deep.png")[2][0]
    assert d.dtype == np.uint8 and d[0, 0].tolist() == [100] * 3 and d[0, W - 1].tolist() == [255] * 3


# -- timestamps and memory ----------------------------------------------------------------------------------

class StampedSource(FrameSource):
    """A source whose container gives the stamps listed (None = no stamp)."""

    def __init__(self, stamps: list[float | None], fps: float | None = 10.0) -> None:
        super().__init__(Path("stamps"))
        self.fps = fps
        self._stamps = stamps
        self._start(stamps[0], bar_frame(0))

    def _decode(self) -> Iterator[tuple[float | None, np.ndarray]]:
        for stamp in self._stamps[1:]:
            yield stamp, bar_frame(0)


def test_broken_container_times_still_give_strictly_increasing_times() -> None:
    nan = float("nan")
    stamps = [5.0, 5.1, 5.1, None, 4.0, 4.1, nan, 900.0, 900.1, 900.2]
    times = [t for t, _ in StampedSource(stamps)]
    assert times[0] == 0.0
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    assert times[1] == pytest.approx(0.1)
    # a repeat, a missing stamp, a step back and a jump each cost one frame period (0.1 s) ...
    assert times[2] == pytest.approx(0.2) and times[3] == pytest.approx(0.3) and times[4] == pytest.approx(0.4)
    # ... and the frames after them keep the container's own spacing
    assert times[5] == pytest.approx(0.5)
    assert times[7] == pytest.approx(0.7) and times[8] == pytest.approx(0.8) and times[9] == pytest.approx(0.9)


def test_no_stamps_and_no_rate_fall_back_to_30_fps() -> None:
    times = [t for t, _ in StampedSource([None] * 4, fps=None)]
    assert times == pytest.approx([0.0, 1 / 30, 2 / 30, 3 / 30])


def test_frames_are_streamed_not_collected(tmp_path: Path) -> None:
    """Reading a video holds about one frame at a time; holding them all (the control) is 100x more."""
    path = encode(tmp_path / "long.mp4", n=150, fps=30, size=(320, 240))
    frame_bytes = 320 * 240 * 3

    def peak_while(keep: bool) -> int:
        kept = []
        tracemalloc.start()
        try:
            with open_frames(path) as source:
                base = tracemalloc.get_traced_memory()[0]
                for _, frame in source:
                    if keep:
                        kept.append(frame)
            return tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()

    streamed, collected = peak_while(False), peak_while(True)
    assert collected > 100 * frame_bytes  # the measurement does see decoded frames
    assert streamed < 5 * frame_bytes


def test_iteration_is_lazy(tmp_path: Path) -> None:
    with open_frames(encode(tmp_path / "clip.mp4", n=20)) as source:
        frames = iter(source)
        next(frames)
        next(frames)
        assert source.frames_read == 2


# -- writing the annotated video ---------------------------------------------------------------------------

@pytest.mark.parametrize("size", [(W, H), (161, 121)])
def test_annotated_video_plays_back_with_every_frame(tmp_path: Path, size: tuple[int, int]) -> None:
    out = tmp_path / "annotated.mp4"
    writer = AnnotatedVideoWriter(out, 25.0, size)
    for i in range(30):
        writer.write(bar_frame(i, *size))
    writer.close()
    writer.close()  # closing twice is harmless
    source, times, frames = read_all(out)
    assert len(frames) == 30 and source.fps == pytest.approx(25.0)
    assert (source.width - size[0], source.height - size[1]) in ((0, 0), (1, 1))  # odd sizes padded for H.264
    assert [bar_x(f) for f in frames] == [(8 * i) % (size[0] - 8) for i in range(30)]
    if "libx264" in av.codecs_available:
        with av.open(str(out)) as container:
            ctx = container.streams.video[0].codec_context
            assert (writer.codec, ctx.name, ctx.pix_fmt) == ("h264", "h264", "yuv420p")  # what browsers play
        assert out.read_bytes()[:64].find(b"moov") > 0  # index first: plays while it downloads


def test_annotated_writer_resizes_frames_of_another_size(tmp_path: Path) -> None:
    out = tmp_path / "annotated.mp4"
    with AnnotatedVideoWriter(out, 10.0, (W, H)) as writer:
        writer.write(bar_frame(0, 2 * W, 2 * H))
    source, _, frames = read_all(out)
    assert len(frames) == 1 and (source.width, source.height) == (W, H)


def test_annotated_writer_refuses_bad_output_paths(tmp_path: Path) -> None:
    (tmp_path / "folder.mp4").mkdir()
    for bad, said in ((tmp_path / "missing" / "out.mp4", "does not exist"), (tmp_path / "folder.mp4", "folder"),
                      (tmp_path / "out.avi", ".mp4"), (Path("/proc/out.mp4"), "cannot write")):
        with pytest.raises(UserError, match=said):
            AnnotatedVideoWriter(bad, 30.0, (W, H))
    assert not (tmp_path / "out.avi").exists()


def test_without_h264_the_writer_falls_back_to_mp4v_and_says_so(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import vision_helper.seeing.video as video

    monkeypatch.setattr(video, "_h264_available", lambda: False)
    out = tmp_path / "annotated.mp4"
    with AnnotatedVideoWriter(out, 10.0, (W, H)) as writer:
        for i in range(12):
            writer.write(bar_frame(i))
    assert writer.codec == "mp4v" and writer.note is not None and "browsers" in writer.note
    _, _, frames = read_all(out)
    assert [bar_x(f) for f in frames] == [8 * i for i in range(12)]
