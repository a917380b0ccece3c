"""Placing the client by hand: when the page asks for it, and what it shows meanwhile.

One model for "no client is named": nobody was found whose body the regions can go on, and nobody was
placed (anchors) or pointed at (a click on her); or the placed points were lost. Then the page asks one
thing, "click her sacrum, then the base of her neck", on a still of the video taken for it, and keeps the
other signals about the missing body (chips, coaching banner, camera advice) quiet. The camera advice is
self-help ("step back, your back to the camera"): only for someone alone at the webcam, never in
practitioner mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from vision_helper.body.anchors import Anchors
from vision_helper.web.display import Snapshot, placement_advice

PROMPT = "Place the client: click her sacrum, then the base of her neck"
LOST_PROMPT = "Client lost: click her sacrum, then the base of her neck, again"
PROMPT_HELP = ("No client found in this view. Two clicks on the still below place her; the regions then follow "
               "her. Her hips are optional after that.")


@dataclass(frozen=True)
class PanelPlan:
    """What the panel beside the video shows about the body (the counters are always shown)."""

    ask_placement: bool  # the one prompt, with its click surface
    chips: bool  # speed / on target / body
    cue: bool  # the coach's latest cue
    camera_advice: str | None  # the self-help camera advice, when it applies


def client_named(anchors: Anchors | None, hint: tuple[float, float] | None) -> bool:
    return anchors is not None or hint is not None


def needs_placement(snap: Snapshot, *, practitioner: bool, anchors: Anchors | None = None,
                    hint: tuple[float, float] | None = None) -> bool:
    """No client is named: frames come, no body carries the regions, and none was placed or pointed at.
    Alone at the webcam (not practitioner mode) with nobody in view it is the camera that needs moving,
    not a client that needs placing."""
    if snap.frames == 0:
        return False
    if anchors_lost(snap, anchors):
        return True
    if client_named(anchors, hint):
        return False
    if snap.client == "front" or (snap.client != "none" and snap.body_status != "lost"):
        return False  # a body in view (facing the camera: the cue asks her to turn, not to be placed)
    return practitioner or snap.others_seen > 0


def anchors_lost(snap: Snapshot, anchors: Anchors | None) -> bool:
    """The placed points no longer hold on her (the follower gave up): she needs placing again."""
    return anchors is not None and snap.client != "pose" and (snap.anchor_status or "").startswith("lost")


def panel_plan(snap: Snapshot, *, practitioner: bool, anchors: Anchors | None = None,
               hint: tuple[float, float] | None = None) -> PanelPlan:
    ask = needs_placement(snap, practitioner=practitioner, anchors=anchors, hint=hint)
    if ask:
        return PanelPlan(ask_placement=True, chips=False, cue=False, camera_advice=None)
    quiet = practitioner or not snap.frames or snap.client == "front"  # facing us: the one cue says to turn
    advice = None if quiet else placement_advice(snap.body_status, snap.technique, snap.seconds_body_lost)
    return PanelPlan(ask_placement=False, chips=True, cue=True, camera_advice=advice)


def placement_open(*, asking: bool, practitioner: bool, anchors: Anchors | None, still: bool = False) -> bool:
    """The placement tools are open when they are asked for, in practitioner mode (where placing her is
    the first thing offered), while anchors are placed (to undo or refine), and once a still was taken to
    click on."""
    return asking or practitioner or anchors is not None or still
