"""Whose body the regions go on: the people stage (detect -> identify -> evidence -> roles -> landmarks) as
the processor's ClientSelector.

Who is present on a run is present.py's (faint bodies included), who they are and whose rules apply is
roles.py's (one decision on evidence.py's records, `RoleJudge.practitioner_scene`): in self mode the main
person keeps the regions whatever others do (work seen only suggests practitioner mode); practitioner mode
names the client from the evidence once two people are seen and someone at work. The self-massage framing
(her back filling the frame, no face, no MoveNet body) is searched for with torso_search.py; a pose seen
from the front (body/facing.py) goes out as "front": no back regions. A click (`set_hint`) or placed
anchors choose the person under or nearest them, kept by identity from then on; anchors follow her by
optical flow as the last resort.

Cost: with one person in view the whole-frame pose passes through and the people stage runs every
`lone_every` frames; with several, or while the whole-frame pose is not on the user (a back view with the
head out of the frame: its detector needs a face), every `crowd_every` frames, and the landmark model
runs on the user's (or client's) box on those runs, and, for the user, follows her between them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import cv2
import numpy as np

from vision_helper.body.anchors import Anchors
from vision_helper.body.facing import back_in_view
from vision_helper.body.model import BodyRegionModel, load_model
from vision_helper.seeing.people.anchors import (
    ANCHOR_HOLDING,
    ANCHOR_TRACKING,
    SAME_BODY_TORSO,
    SAME_BODY_TORSO_LOST,
    AnchorFlow,
    Box,
    anchors_from_pose,
    hand_boxes_px,
    pose_gap_torso,
    wrist_boxes_px,
)
from vision_helper.seeing.people.client_pose import BoxLandmarks, ClientPose, pose_from_keypoints, slid_onto_other
from vision_helper.seeing.people.confirm import StillLying, trunk_drift
from vision_helper.seeing.people.cues import KP_SEEN, L_HIP, L_SH, R_HIP, R_SH
from vision_helper.seeing.people.detect import PersonDetection
from vision_helper.seeing.people.evidence import without_face
from vision_helper.seeing.people.identify import PeopleIdentities, TrackedPerson
from vision_helper.seeing.people.persist import FAINT_MIN_SCORE
from vision_helper.seeing.people.present import Presence, person_at
from vision_helper.seeing.people.roles import BYSTANDER, PRACTITIONER, RoleJudge, works_on_other
from vision_helper.seeing.people.torso_search import SEARCH_SCORE, TorsoSearch, detection_from_pose, hand_points_px
from vision_helper.track import TrackFrame

LONE_EVERY = 20  # frames between people-stage runs while one person is in view (2/3 s at 30 FPS)
CROWD_EVERY = 3  # ... and while several are (every 2nd frame cost +48 % a frame, every 3rd +18 %, loaded)
LONE_AGAIN_S = 10.0  # one person in view this long before a practitioner scene counts as lone again
CLIENT_HOLD_RUNS = 3  # the client's pose is kept this many runs while she is held but not seen


class PeopleFinder(Protocol):
    """What the selector needs of the detector (seeing.people.detect.PeopleDetector fits)."""

    def detect(self, frame_bgr: np.ndarray) -> list[PersonDetection]: ...

    def close(self) -> None: ...


def pose_on_person(pose: np.ndarray, person: PersonDetection, others: list[PersonDetection],
                   width: int, height: int) -> bool:
    """The whole-frame pose lies on this person's keypoints, nearer than on anyone else's."""
    return not slid_onto_other(pose, person, others, width, height)


def same_trunk(a: np.ndarray, b: np.ndarray, width: int, height: int, tolerance: float = 0.5) -> bool:
    """Two 33-landmark poses with shoulders and hips within `tolerance` torso lengths of each other (the
    same body a frame later)."""
    return trunk_drift(a, b, width, height) <= tolerance


def _centre_px(det: PersonDetection) -> np.ndarray:
    seen = [i for i in (L_SH, R_SH, L_HIP, R_HIP) if det.keypoint_scores[i] >= KP_SEEN]
    if seen:
        return det.keypoints_px[seen].mean(axis=0)
    x0, y0, x1, y1 = det.box_px
    return np.array([(x0 + x1) / 2, (y0 + y1) / 2])


class PeopleSelector:
    """Implements processor.ClientSelector with the people stage. Models are built on first need; a
    missing or corrupt model file raises PeopleModelError (a UserError naming the file)."""

    def __init__(self, practitioner_mode: bool = False, *, detector: PeopleFinder | None = None,
                 landmarker: BoxLandmarks | None = None, use_landmarker: bool = True,
                 lone_every: int = LONE_EVERY, crowd_every: int = CROWD_EVERY,
                 model: BodyRegionModel | None = None) -> None:
        self._detector = detector
        self._landmarker = landmarker
        self._use_landmarker = use_landmarker
        self._client_pose: ClientPose | None = None
        self.lone_every = max(1, int(lone_every))
        self.crowd_every = max(1, int(crowd_every))
        self._model = model or load_model()
        self._judge = RoleJudge(practitioner_mode)
        self._identities = PeopleIdentities()
        self._anchors: Anchors | None = None
        self._flow: AnchorFlow | None = None
        self._hint: tuple[float, float] | None = None
        self._hint_pending = False
        self._size: tuple[int, int] | None = None
        self._torso_search: TorsoSearch | None = None
        self._reset_people()

    # -- ClientSelector -------------------------------------------------------------------------
    @property
    def practitioner_mode(self) -> bool:
        return self._judge.practitioner_mode

    @practitioner_mode.setter
    def practitioner_mode(self, on: bool) -> None:
        self._judge.practitioner_mode = bool(on)

    def _reset_people(self) -> None:
        self._identities.reset()
        self._judge.reset()
        self._people: list[TrackedPerson] = []
        self._since_run = 10**6  # frames since the people stage last ran (run on the first frame)
        self._crowd = False  # several people in view lately: the people stage runs at the crowd rate
        self._crowd_t: float | None = None  # when several people were last in view
        self._client_pose_now: np.ndarray | None = None  # the landmark model's pose of the target (client or user)
        self._client_missed = 0
        self._target_id: int | None = None  # whose pose _client_pose_now is
        self._chosen_xy: np.ndarray | None = None  # where the chosen client was last seen
        self._still = StillLying()  # how long the whole-frame pose has lain still
        self._present = Presence()  # who counts as a person on a run, faint bodies included
        self._user_id: int | None = None  # the user of the last runs, and on how many runs in a row
        self._user_runs = 0
        self._user_missed = 0  # runs in a row the user was held without being seen
        self._last_user_pose: np.ndarray | None = None  # the whole-frame pose last taken for the user
        self._pose_off_user = False  # the whole-frame pose is not on the user: look at her at the crowd rate
        self._searched_pose: np.ndarray | None = None  # this run's torso-search pose (torso_search.py)

    def set_anchors(self, anchors: Anchors | None) -> None:
        """The user's word on where the client is: the person on the anchors is the client."""
        self._anchors = anchors
        self._flow = None  # started on the next frame, from the frame it sees
        if anchors is not None:
            self._judge.choose(None)
            self._hint_pending = True
            self._since_run = 10**6

    def set_hint(self, xy: tuple[float, float] | None) -> None:
        """The person under (or nearest) this normalized point is the client, kept by identity."""
        self._hint = None if xy is None else (float(xy[0]), float(xy[1]))
        self._hint_pending = xy is not None
        self._judge.choose(None)
        self._chosen_xy = None
        self._since_run = 10**6

    @property
    def anchor_status(self) -> str | None:
        if self._anchors is None:
            return None
        return ANCHOR_TRACKING if self._flow is None else self._flow.status

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None
        if self._client_pose is not None:
            self._client_pose.close()
            self._client_pose = None

    # -- models ---------------------------------------------------------------------------------
    def warm_up(self, frame_bgr: np.ndarray) -> None:
        """Build MoveNet and the client's landmark model and run MoveNet once (FrameProcessor.warm_up), so the
        first frame that needs the people stage does not wait for them."""
        self._find_people(frame_bgr)
        self._client_poser()

    def _find_people(self, frame_bgr: np.ndarray) -> list[PersonDetection]:
        if self._detector is None:
            from vision_helper.seeing.people.detect import PeopleDetector

            self._detector = PeopleDetector(min_score=FAINT_MIN_SCORE)
        return self._detector.detect(frame_bgr)

    def _client_poser(self) -> ClientPose:
        if self._client_pose is None:
            landmarker = self._landmarker
            if landmarker is None and self._use_landmarker:
                from vision_helper.seeing.people.box_landmarks import BoxLandmarker

                landmarker = BoxLandmarker()
            self._client_pose = ClientPose(landmarker)
        return self._client_pose

    # -- per frame ------------------------------------------------------------------------------
    def update(self, frame_bgr: np.ndarray, seen: TrackFrame) -> TrackFrame:
        h, w = frame_bgr.shape[:2]
        if self._size != (w, h):
            if self._size is not None:
                self._reset_people()
                self._flow = None
            self._size = (w, h)
        self._since_run += 1
        anchors_px = self._update_anchors(frame_bgr, seen)
        seen_pose = seen.pose if seen.pose is not None and np.isfinite(seen.pose).all() else None
        # a lone practitioner at work: her client is likely there, too faint to count yet (persist.py); a
        # user the whole-frame pose is not on: her own pose comes from the people stage
        at_work = any(e.at_work for e in self._judge.evidence.values() if e.present)
        every = self.crowd_every if self._crowd or at_work or self._pose_off_user else self.lone_every
        lost = seen_pose is None and self._since_run >= self.crowd_every  # whole-frame model found no one
        still = self._still.update(seen_pose, float(seen.t), w, h)
        if self._since_run >= every or self._hint_pending or lost or (self._present.waiting and still):
            self._run_people(frame_bgr, anchors_px, float(seen.t), seen_pose, still, hand_points_px(seen, w, h))
        now = [p for p in self._people if p.seen_now]
        if self._practitioner_rules():
            return self._practitioner_scene(frame_bgr, seen, seen_pose, now)
        return self._user_scene(frame_bgr, seen, seen_pose, now)

    def _practitioner_rules(self) -> bool:
        """Name a client (practitioner scene) rather than the user: roles.py's one rule."""
        return self._judge.practitioner_scene(self._crowd)

    @property
    def practitioner_suggested(self) -> bool:
        """Someone was seen working on someone over several runs (the panel suggests practitioner mode)."""
        return self._judge.practitioner_suggested

    def _run_people(self, frame_bgr: np.ndarray, anchors_px: np.ndarray | None, t: float,
                    seen_pose: np.ndarray | None, still: bool, hands_px: list[np.ndarray]) -> None:
        found = self._find_people(frame_bgr)  # a missing model raises here, on every frame: never skipped
        period = min(self._since_run, 10**3)
        self._since_run = 0
        h, w = frame_bgr.shape[:2]
        named = self._person(self._judge.client_id)
        dets = self._present.update(found, seen_pose, still, w, h, None if named is None else named.detection,
                                    self._click_px(anchors_px))
        searched = self._search_torso(frame_bgr, dets, seen_pose, hands_px)
        if searched is not None:
            dets = [*dets, searched]
        self._people = self._identities.update(dets, period=period)
        if len(dets) >= 2:
            self._crowd, self._crowd_t = True, t
        elif self._crowd_t is not None and not 0.0 <= t - self._crowd_t < LONE_AGAIN_S:
            self._crowd = False
        self._apply_choice(anchors_px)
        before = self._target_id
        self._judge.update(self._people, hands_px)
        self._note_user()
        self._judge.note_work(t)
        target = self._person(self._judge.client_id if self._practitioner_rules() else self._judge.user_id)
        self._target_id = None if target is None else target.id
        if self._target_id != before:
            self._client_pose_now = None  # someone else now: nothing of the last one's is kept
            if self._client_pose is not None:
                self._client_pose.forget()
        if target is not None and target.seen_now:
            others = [p.detection for p in self._people if p.seen_now and p.id != target.id]
            body = target.detection
            if self._judge.evidence[target.id].face_over_back:
                body = without_face(body)  # the face is the practitioner's behind her
            if target.id == self._judge.client_id:
                self._chosen_xy = _centre_px(body)
            if searched is not None and target.detection is searched and self._searched_pose is not None:
                self._client_pose_now = self._client_poser().take(self._searched_pose, w, h)
            elif target.id == self._judge.client_id or seen_pose is None or not pose_on_person(
                    seen_pose, body, others, w, h):
                self._client_pose_now = self._client_poser().update(frame_bgr, body, others)
            self._client_missed = 0
        else:
            self._client_missed += 1

    def _search_torso(self, frame_bgr: np.ndarray, dets: list[PersonDetection], seen_pose: np.ndarray | None,
                      hands_px: list[np.ndarray]) -> PersonDetection | None:
        """The self-massage framing (torso_search.py), in self mode: the whole-frame pose found no one,
        MoveNet no one scored as a body of their own, and a hand is in view (her hands on her back are the
        cue): look for a back filling the frame; found, she is a person of this run (her landmarks are the
        search's). Practitioner mode never searches: a client is not filmed in that framing."""
        self._searched_pose = None
        if seen_pose is not None or not hands_px or not self._use_landmarker or self.practitioner_mode or any(
                d.score >= SEARCH_SCORE for d in dets):
            return None
        h, w = frame_bgr.shape[:2]
        pose = self._torso().update(frame_bgr, hands_px)
        if pose is None:
            return None
        self._searched_pose = pose
        return without_face(detection_from_pose(pose, w, h))  # searched for because no face was found

    def _torso(self) -> TorsoSearch:
        if self._torso_search is None:
            self._torso_search = TorsoSearch(self._client_poser().landmarker)
        return self._torso_search

    def _note_user(self) -> None:
        user = self._person(self._judge.user_id)
        same = user is not None and user.id == self._user_id
        self._user_runs = self._user_runs + 1 if same and user is not None and user.seen_now else int(same)
        self._user_missed = self._user_missed + 1 if same and user is not None and not user.seen_now else 0
        self._user_id = None if user is None else user.id
        if not same:
            self._last_user_pose = None

    def _click_px(self, anchors_px: np.ndarray | None) -> np.ndarray | None:
        """Where a pending click (or fresh anchors' sacrum) is, in frame pixels; None when none is pending."""
        if not self._hint_pending or self._size is None:
            return None
        if self._hint is not None:
            return np.array([self._hint[0] * self._size[0], self._hint[1] * self._size[1]])
        return None if anchors_px is None else anchors_px[0]

    def _apply_choice(self, anchors_px: np.ndarray | None) -> None:
        """A pending click (or fresh anchors) picks the person under it; a chosen client norfair lost is
        picked up again where she was last seen."""
        now = [p for p in self._people if p.seen_now]
        if self._hint_pending and self._size is not None:
            point = self._click_px(anchors_px)
            person = person_at(now, point) if point is not None else None
            if person is not None:
                self._judge.choose(person.id)
                self._chosen_xy = _centre_px(person.detection)
                self._hint_pending = False
            elif point is None:
                self._hint_pending = False
            return
        chosen = self._judge.chosen_id
        if chosen is not None and self._person(chosen) is None and self._chosen_xy is not None:
            person = person_at(now, self._chosen_xy)
            if person is not None:
                self._judge.choose(person.id)

    def _person(self, person_id: int | None) -> TrackedPerson | None:
        return next((p for p in self._people if p.id == person_id), None) if person_id is not None else None

    def _others_out(self, exclude: int | None, now: list[TrackedPerson],
                    practitioner_scene: bool) -> tuple[list[np.ndarray], list[str]]:
        """Everyone seen but the one the regions go on, as poses, and their roles (for the labels): in a
        practitioner scene as the role judge names them, else all bystanders."""
        assert self._size is not None
        out = [p for p in now if p.id != exclude]
        role_of = self._judge.role_of(practitioner_scene)
        roles = [PRACTITIONER if role_of.get(p.id) == PRACTITIONER else BYSTANDER for p in out]
        return [pose_from_keypoints(p.detection, *self._size) for p in out], roles

    def _user_scene(self, frame_bgr: np.ndarray, seen: TrackFrame, seen_pose: np.ndarray | None,
                    now: list[TrackedPerson]) -> TrackFrame:
        """Self mode (or practitioner mode with one person): the regions go on the user (roles.py), from the
        whole-frame pose while it lies on her, else from the landmark model on her box; no user: no one."""
        assert self._size is not None
        w, h = self._size
        user = self._person(self._judge.user_id)
        if user is None or self._hint_pending or self._user_missed > CLIENT_HOLD_RUNS:
            self._pose_off_user = False
            return self._none(seen, self._others_out(None, now, False))
        others_out = self._others_out(user.id, now, False)
        others = [p.detection for p in now if p.id != user.id]
        on_her = user.seen_now and seen_pose is not None and pose_on_person(seen_pose, user.detection, others, w, h)
        if seen_pose is not None and (on_her or (
                self._last_user_pose is not None and same_trunk(seen_pose, self._last_user_pose, w, h))):
            self._last_user_pose = seen_pose
            self._pose_off_user = False
            return self._pose_or_anchors(seen_pose, frame_bgr, seen, others_out, user.id)
        self._last_user_pose = None
        self._pose_off_user = True
        if self._client_pose_now is None and self._since_run == 0 and user.seen_now:
            self._client_pose_now = self._client_poser().update(frame_bgr, user.detection, others)
        elif self._client_pose_now is not None and self._since_run > 0 and user.seen_now and not any(
                works_on_other(e) for e in self._judge.evidence.values() if e.present and e.id != user.id):
            # between runs: she moves on. Not while someone works on her: the landmark model on her last region
            # slides onto the one at work over her (measured on the elderly client clip); her pose is held
            followed = self._client_poser().follow(frame_bgr, others)
            self._client_pose_now = followed if followed is not None else self._client_pose_now
        if self._client_pose_now is not None and user.seen_now:  # missed on a run: only the pose above holds her
            return self._pose_or_anchors(self._client_pose_now, frame_bgr, seen, others_out, user.id)
        return self._none(seen, others_out)

    def _practitioner_scene(self, frame_bgr: np.ndarray, seen: TrackFrame, seen_pose: np.ndarray | None,
                            now: list[TrackedPerson]) -> TrackFrame:
        assert self._size is not None
        w, h = self._size
        self._pose_off_user = False
        client = self._person(self._judge.client_id)
        others_now = [p for p in now if client is None or p.id != client.id]
        others_out = self._others_out(client.id if client else None, now, True)
        if client is None or self._hint_pending:  # a click waiting for someone under it: no one else meanwhile
            return self._none(seen, others_out)
        pose = None
        if seen_pose is not None and pose_on_person(seen_pose, client.detection,
                                                    [p.detection for p in others_now], w, h):
            pose = seen_pose  # the whole-frame model is on her (tracking mode, smoother): use it
        elif self._client_missed <= CLIENT_HOLD_RUNS:
            pose = self._client_pose_now
        if pose is None:
            return self._none(seen, others_out)
        return self._pose_or_anchors(pose, frame_bgr, seen, others_out, client.id)

    def _none(self, seen: TrackFrame, others: tuple[list[np.ndarray], list[str]]) -> TrackFrame:
        """No client pose: the anchors when they track her, else no one (the page asks for a click)."""
        if self._flow is not None and self._flow.status in (ANCHOR_TRACKING, ANCHOR_HOLDING):
            return replace(seen, pose=None, client="anchors", anchors=self._flow.anchors(), others=others[0],
                           roles=others[1])
        return replace(seen, pose=None, client="none", anchors=None, others=others[0], roles=others[1])

    # -- anchors --------------------------------------------------------------------------------
    def _update_anchors(self, frame_bgr: np.ndarray, seen: TrackFrame) -> np.ndarray | None:
        if self._anchors is None:
            return None
        h, w = frame_bgr.shape[:2]
        gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
        if self._flow is None:
            self._flow = AnchorFlow(self._anchors, w, h)
        self._flow.update(gray, float(seen.t), self._hands_off_her(seen, w, h))
        return self._flow.current_px()

    def _hands_off_her(self, seen: TrackFrame, width: int, height: int) -> list[Box]:
        """Where no feature of her back is taken: the hands the hand model sees and everyone else's wrists."""
        others = [p.detection for p in self._people if p.id != self._judge.client_id]  # their hands are not her
        return hand_boxes_px(seen.hands, width, height) + wrist_boxes_px(others)

    def _face_toward_camera(self, person_id: int | None) -> bool | None:
        """The people stage's face cue for this person (None: not known)."""
        e = self._judge.evidence.get(person_id) if person_id is not None else None
        return None if e is None or e.facing == "unknown" else e.facing == "camera"

    def _pose_or_anchors(self, pose: np.ndarray, frame_bgr: np.ndarray, seen: TrackFrame,
                         others: tuple[list[np.ndarray], list[str]], person_id: int | None = None) -> TrackFrame:
        """Her pose, unless the user's anchors follow her elsewhere: while they track, a pose is only
        taken where it lies on them (same place and scale); while they hold or are lost, her pose is taken
        and re-places them when it is where they were (never another body). Her pose seen from the front
        (body/facing.py) is passed on as "front": no back regions on her belly."""
        h, w = frame_bgr.shape[:2]
        if self._flow is None:
            client = "pose" if back_in_view(pose, w, h, self._face_toward_camera(person_id)) else "front"
            return replace(seen, pose=pose, client=client, anchors=None, others=others[0], roles=others[1])
        anchors = anchors_from_pose(pose, w, h, self._model)
        tracking = self._flow.status == ANCHOR_TRACKING
        gap = None if anchors is None else pose_gap_torso(self._flow.anchors(), anchors, w, h, self._model)
        if tracking:
            if gap is None or gap > SAME_BODY_TORSO:
                return self._none(seen, others)
            return replace(seen, pose=pose, client="pose", anchors=None, others=others[0], roles=others[1])
        if anchors is not None and gap is not None and gap <= SAME_BODY_TORSO_LOST:
            self._flow = AnchorFlow(anchors, w, h)
            self._flow.update(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY), float(seen.t),
                              self._hands_off_her(seen, w, h))
        return replace(seen, pose=pose, client="pose", anchors=None, others=others[0], roles=others[1])
