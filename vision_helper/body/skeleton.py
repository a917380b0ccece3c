"""MediaPipe Pose and Hands landmark indices we rely on (the track format uses the same indices)."""

import numpy as np

POSE_LANDMARKS = 33
HAND_LANDMARKS = 21

NOSE = 0
LEFT_EAR = 7
RIGHT_EAR = 8
LEFT_SHOULDER = 11
RIGHT_SHOULDER = 12
LEFT_ELBOW = 13
RIGHT_ELBOW = 14
LEFT_WRIST = 15
RIGHT_WRIST = 16
LEFT_HIP = 23
RIGHT_HIP = 24
LEFT_KNEE = 25
RIGHT_KNEE = 26
LEFT_ANKLE = 27
RIGHT_ANKLE = 28
TORSO = (LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP)  # the trunk's four corners

# MediaPipe Pose left/right landmark pairs (eyes, ears, mouth, arms, hands, legs, feet).
LEFT_RIGHT_PAIRS = ((1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18),
                    (19, 20), (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32))


def _mirror_index() -> np.ndarray:
    index = np.arange(POSE_LANDMARKS)
    for left, right in LEFT_RIGHT_PAIRS:
        index[left], index[right] = right, left
    index.flags.writeable = False
    return index


MIRROR_INDEX = _mirror_index()  # pose[MIRROR_INDEX] exchanges every left landmark with its right twin


def spine_px(pose: np.ndarray, width: int, height: int, min_visibility: float) -> np.ndarray | None:
    """Mid-hip -> mid-shoulder of a (33, 4) normalised pose, in pixels; None when a trunk corner is less
    visible than `min_visibility` or the spine is under a pixel long."""
    if float(np.min(pose[list(TORSO), 3])) < min_visibility:
        return None
    scale = np.array([width, height], dtype=np.float64)
    v = (pose[[LEFT_SHOULDER, RIGHT_SHOULDER], :2].mean(axis=0) - pose[[LEFT_HIP, RIGHT_HIP], :2].mean(axis=0))
    v = np.asarray(v, dtype=np.float64) * scale
    return None if float(np.hypot(*v)) < 1.0 else v

# Hands
WRIST = 0
INDEX_FINGER_TIP = 8
MIDDLE_FINGER_MCP = 9

# Bones drawn as the "hips and spine" skeleton.
TORSO_BONES = (
    (LEFT_SHOULDER, RIGHT_SHOULDER),
    (LEFT_HIP, RIGHT_HIP),
    (LEFT_SHOULDER, LEFT_HIP),
    (RIGHT_SHOULDER, RIGHT_HIP),
    (LEFT_HIP, LEFT_KNEE),
    (RIGHT_HIP, RIGHT_KNEE),
)
