"""vision_helper: see the body, place the piriformis and erector regions, judge the massaging hand."""

__version__ = "0.1.0"
