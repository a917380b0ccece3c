"""The one place that draws: a frame and its FrameResult in, the annotated frame out.

Everything is sized from the frame (a unit of one pixel per 480 px of the shorter side), so the same
overlay reads on a 160x120 thumbnail and on a 1080p recording. Text is white on a dark outline with
cv2.putText only, so no font files are needed. Coordinates in the result are pixels of
result.width x result.height; a frame of another size (a downscaled preview) is drawn to scale.
Nothing here judges: colours only show what the result already says.

canvas.py holds the colours, the style and the drawing helpers; layers.py the regions, skeleton, people and
hands; panel.py the status panel and the cue; annotator.py puts them together; session_path.py draws the
session's hand path.
"""

from vision_helper.overlay.annotator import Annotator, annotate
from vision_helper.overlay.canvas import (
    AMBER,
    BLACK,
    CLIENT_COLOUR,
    COUNTER_NAMES,
    FONT,
    GREEN,
    GREY,
    HAND_BONES,
    KNOWN_COUNTERS,
    MAX_COORD,
    PRACTITIONER_COLOUR,
    RED,
    SPEED_COLOURS,
    STATUS_COLOURS,
    TECHNIQUE_COLOURS,
    WHITE,
    OverlayStyle,
)
from vision_helper.overlay.panel import body_line
from vision_helper.overlay.session_path import draw_session_path

__all__ = [
    "AMBER", "BLACK", "CLIENT_COLOUR", "COUNTER_NAMES", "FONT", "GREEN", "GREY", "HAND_BONES", "KNOWN_COUNTERS",
    "MAX_COORD", "PRACTITIONER_COLOUR", "RED", "SPEED_COLOURS", "STATUS_COLOURS", "TECHNIQUE_COLOURS", "WHITE",
    "Annotator", "OverlayStyle", "annotate", "body_line", "draw_session_path",
]
