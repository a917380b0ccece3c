"""Motion step: the chosen hand point, frame by frame, judged against the body regions. Pure numpy."""
