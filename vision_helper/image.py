"""The one converter from any camera-like or decoded picture to what the models and the drawing take.

Webcams, decoders and libraries hand over grey, grey+alpha, BGRA, 16-bit, float 0..1 or boolean pictures;
every step after this one can assume 8-bit, C-contiguous, height x width x 3 BGR.
"""

from __future__ import annotations

import numpy as np

from vision_helper.errors import VideoError


def to_bgr8(image: np.ndarray) -> np.ndarray:
    """Any picture (grey, grey+alpha, BGR, BGRA; bool, integer or float) as 8-bit contiguous BGR.

    Float pictures whose values stay within 0..1 are scaled to 0..255 (so they do not turn black); other
    integers are clipped to 0..255; transparent pixels are laid over white, the background a cut-out
    person is usually shown on. An 8-bit BGR contiguous input is returned as it is (no copy). Anything else
    (no pixels, a batch of frames, text) raises VideoError with one line saying what was wrong.
    """
    img = np.asarray(image)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 2, 3, 4):
        raise VideoError(f"image has shape {img.shape}; expected height x width with 1, 3 or 4 channels")
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise VideoError(f"image has shape {img.shape}: it has no pixels")
    channels = img.shape[2]
    has_alpha = channels in (2, 4)
    if img.dtype == np.uint8:
        scaled = img.astype(np.float32) if has_alpha else img
    elif img.dtype == np.bool_:
        scaled = img.astype(np.uint8) * np.uint8(255)
        scaled = scaled.astype(np.float32) if has_alpha else scaled
    elif img.dtype == np.uint16:
        scaled = img.astype(np.float32) / 257.0
    elif np.issubdtype(img.dtype, np.floating):
        scaled = np.nan_to_num(img.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
        if scaled.size and float(scaled.max()) <= 1.0:  # 0..1 pictures, as many libraries give them
            scaled = scaled * 255.0
    elif np.issubdtype(img.dtype, np.integer):
        scaled = np.clip(img, 0, 255).astype(np.float32)
    else:
        raise VideoError(f"image has pixels of type {img.dtype}; expected numbers, e.g. 8-bit BGR")
    if has_alpha:
        colour, alpha = scaled[:, :, :channels - 1], np.clip(scaled[:, :, channels - 1:], 0, 255) / 255.0
        scaled = colour * alpha + 255.0 * (1.0 - alpha)
    if scaled.dtype != np.uint8:
        scaled = np.clip(scaled + 0.5, 0, 255).astype(np.uint8)
    if scaled.shape[2] == 1:
        scaled = np.repeat(scaled, 3, axis=2)
    return np.ascontiguousarray(scaled)
