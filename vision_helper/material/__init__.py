"""What makes test and sample material (synthetic tracks, drawn sample videos, two-person scenes).

Kept apart from the runtime pipeline: nothing in vision_helper outside this folder imports it.
"""
