"""The one picture converter: whatever a camera, decoder or library gives becomes 8-bit contiguous BGR."""

from __future__ import annotations

import numpy as np
import pytest

from vision_helper.errors import VideoError
from vision_helper.image import to_bgr8


def test_8_bit_bgr_passes_through_without_a_copy() -> None:
    frame = np.zeros((4, 5, 3), np.uint8)
    assert to_bgr8(frame) is frame


@pytest.mark.parametrize(("picture", "pixel"), [
    (np.full((4, 5), 7, np.uint8), [7, 7, 7]),  # grey
    (np.full((4, 5, 1), 7, np.uint8), [7, 7, 7]),  # grey with a channel axis
    (np.full((4, 5, 3), True), [255, 255, 255]),  # boolean mask
    (np.full((4, 5, 3), 257 * 40, np.uint16), [40, 40, 40]),  # 16 bit
    (np.full((4, 5, 3), 0.5, np.float32), [128, 128, 128]),  # float 0..1 is scaled, not black
    (np.full((4, 5, 3), 200.0), [200, 200, 200]),  # float 0..255 is kept
    (np.full((4, 5, 3), -30, np.int64), [0, 0, 0]),  # other integers are clipped
    (np.full((4, 5, 3), np.nan), [0, 0, 0]),
])
def test_camera_like_pictures_become_8_bit_bgr(picture: np.ndarray, pixel: list[int]) -> None:
    out = to_bgr8(picture)
    assert out.shape == (4, 5, 3) and out.dtype == np.uint8 and out.flags.c_contiguous
    assert out[1, 1].tolist() == pixel


def test_transparent_pixels_lie_over_white() -> None:
    bgra = np.zeros((2, 2, 4), np.uint8)
    bgra[..., 2] = 255  # red
    bgra[0, :, 3] = 255  # top row opaque
    out = to_bgr8(bgra)
    assert out[0, 0].tolist() == [0, 0, 255] and out[1, 0].tolist() == [255, 255, 255]


@pytest.mark.parametrize("picture", [
    np.zeros((0, 0, 3), np.uint8),
    np.zeros((2, 4, 4, 3), np.uint8),  # a batch of frames
    np.zeros((4, 5, 6), np.uint8),
    np.full((4, 5, 3), "a"),
    np.full((4, 5, 3), None, dtype=object),
])
def test_what_is_no_picture_is_refused_in_one_line(picture: np.ndarray) -> None:
    with pytest.raises(VideoError) as err:
        to_bgr8(picture)
    assert str(err.value) and "\n" not in str(err.value)
