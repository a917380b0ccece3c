"""vision_helper: see the body, place the piriformis and erector regions, judge the massaging hand."""

__version__ = "0.1.0"
# Said wherever guidance is given: the page, the CLI's help, the take-home sheet.
DISCLAIMER = ("General wellness information, not medical advice. If you have pain, numbness or weakness, "
              "see a health professional.")
