"""MediaPipe Pose and Hands landmark indices we rely on (the track format uses the same indices)."""

POSE_LANDMARKS = 33
HAND_LANDMARKS = 21

NOSE = 0
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
