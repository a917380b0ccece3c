"""The naive peer for benchmarks/bench_live.py: the pattern of the physio trackers on GitHub, a streamlit-webrtc
`video_frame_callback` that runs MediaPipe pose, then hands, and draws the landmarks (no people stage, no
models side by side, the component's default audio+video constraints). Not part of the app.

    streamlit run benchmarks/peer_page.py   (bench_live.py starts it on a free port)

For the benchmark it writes one JSON line per processed frame to $VISION_HELPER_RECORDINGS/peer-*.jsonl, as the
app's live landmark track does: the frame's own time, when it reached the callback and when it left (wall s).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import av
import cv2
import mediapipe as mp
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from vision_helper.web.config import allow_loopback_ice  # noqa: E402 - the same loopback ICE as the app's


class Peer:
    """Pose then hands on each frame the component hands over, the landmarks drawn with mediapipe's own utils."""

    def __init__(self, log_dir: Path) -> None:
        self.pose = mp.solutions.pose.Pose(model_complexity=1)
        self.hands = mp.solutions.hands.Hands(max_num_hands=2)
        self.draw = mp.solutions.drawing_utils
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log = (log_dir / f"peer-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.jsonl").open("a")
        self._lock = threading.Lock()

    def __call__(self, frame: Any) -> Any:
        arrived = time.monotonic()
        img = frame.to_ndarray(format="bgr24")
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        pose = self.pose.process(rgb)
        hands = self.hands.process(rgb)
        if pose.pose_landmarks:
            self.draw.draw_landmarks(img, pose.pose_landmarks, mp.solutions.pose.POSE_CONNECTIONS)
        for hand in hands.multi_hand_landmarks or []:
            self.draw.draw_landmarks(img, hand, mp.solutions.hands.HAND_CONNECTIONS)
        out = av.VideoFrame.from_ndarray(img, format="bgr24")
        with self._lock:
            self._log.write(json.dumps({"t": frame.time, "arrived": arrived, "done": time.monotonic()}) + "\n")
            self._log.flush()
        return out


@st.cache_resource
def _peer() -> Peer:
    default = Path.home() / ".local" / "share" / "vision_helper" / "recordings"
    return Peer(Path(os.environ.get("VISION_HELPER_RECORDINGS", default)))


st.title("Naive peer: pose, then hands, landmarks drawn")
allow_loopback_ice()
webrtc_streamer(key="peer", mode=WebRtcMode.SENDRECV, rtc_configuration={"iceServers": []},
                video_frame_callback=_peer())
