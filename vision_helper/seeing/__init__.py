"""Seeing step: frames → landmarks (MediaPipe), smoothing, video I/O, finding the client."""
