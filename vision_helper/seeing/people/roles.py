"""Who is who: one decision per identity (user / client / practitioner / bystander / not sure), taken from
the evidence records of evidence.py, once per people-stage run.

- Self mode (the default) puts the user first: the user is the main person, the largest body in view
  (sizes smoothed over runs), kept by identity while she stays near the largest (someone passing close to
  the camera must outgrow her on 3 runs in a row), whichever way she faces.
  Everyone else is a bystander. Not the user: someone seen facing us at work (a practitioner whose client
  the detector missed), a faint instance no one else confirms (alone, 0.1-0.15 scores are ghosts), and
  anyone when two people are about as large and neither was the user before, until one stays a little
  larger on 3 runs in a row (not sure).
- A practitioner scene (evidence that one person works on another; in practitioner mode any such evidence with
  two people seen lately: the selector decides when) names the client: a likeness summed from posture (lying),
  facing (a face toward the camera on an upright body: never the client; the back of the head: likely her),
  being touched (someone's wrists on her trunk, someone's face over her back) and size (far smaller than the
  largest: a bystander), smoothed per identity (`EVIDENCE_KEEP`); she is named only when seen worked on lately
  (lying, touched, a face over or just above her back), with a margin over everyone else, and kept while her
  own evidence holds (hysteresis). The practitioner is whoever's wrists rest on her, or faces us with a
  likeness below zero; the rest are bystanders. Not sure: no client (abstain).
A click (`choose`) is the user's word: that identity is the client until the user says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vision_helper.seeing.people.evidence import EvidenceBook, PersonEvidence, beside, interaction
from vision_helper.seeing.people.identify import TrackedPerson

MIN_SIZE = 0.35  # a person this much smaller (box diagonal) than the largest is a bystander far behind
EVIDENCE_KEEP = 0.6  # share of the old client-likeness kept at each run (the rest is the new evidence)
NAME_AT = 0.6  # a client is named when her likeness reaches this ...
MARGIN = 0.6  # ... and beats everyone else's by this much
KEEP_AT = 0.1  # a named client stays while her likeness stays above this and no one beats her by MARGIN
FORGET_AFTER = 30  # runs after which an identity not seen is dropped from the evidence
WORKED_ON_RUNS = 10  # a client is named only if seen worked on (lying, touched, a face over or above her back)
# within this many runs: a bystander with her back to us, working on someone out of sight, is no client
USER_MARGIN = 1.15  # a new user is at least this much larger (smoothed box diagonal) than anyone else ...
USER_KEEP = 0.75  # ... and stays the user while at least this share of the largest person's size ...
USER_OUTGROWN_RUNS = 3  # ... or until outgrown on this many runs in a row (a passer-by close to the camera)
LEAD_MARGIN = 1.03  # two people about as large: the one larger by this much ...
LEAD_RUNS = 3  # ... on this many runs in a row is the user

WORK_KEEP_S = 10.0  # a practitioner scene lasts this long after the last run showing someone at work
WORK_RUNS = 3  # runs with hands on another's body (within WORK_KEEP_S) that make a practitioner scene

USER, CLIENT, PRACTITIONER, BYSTANDER = "user", "client", "practitioner", "bystander"


def worked_on(e: PersonEvidence) -> bool:
    """Seen worked on this run: lying, someone's hands on her trunk, a face over or just above her back."""
    return e.posture == "lying" or bool(e.touched_by) or e.hands_on_me > 0 or bool(e.faces_above) or e.face_over_back


def works_on_other(e: PersonEvidence) -> bool:
    """Seen at work on someone: facing us at work, or hands resting on another's trunk (at work, evidence.py)."""
    return e.at_work or bool(e.touching)


def client_likeness(e: PersonEvidence) -> float:
    """This run's evidence that this person is the client (positive) or not (negative)."""
    score = 0.0
    if e.posture == "lying":
        score += 1.0
    else:
        if e.facing == "camera":
            score -= 1.0
        elif e.facing == "away":
            score += 0.5
    # Overlapping upright people (a seated client in front of the practitioner) may seem to touch each
    # other; being touched says more than touching, and the face decides the rest. A face over (or just
    # above) her back is someone standing right behind her, at work.
    touched = min(e.wrists_on_me + e.hands_on_me, 2) + (2 if e.face_over_back or e.faces_above else 0)
    score += 0.5 * min(touched, 2) - 0.3 * min(e.wrists_on_others, 2)
    if e.size_share_now < MIN_SIZE:
        score -= 1.5
    return score


@dataclass
class Roles:
    """The outcome of one run: the client's and the user's identity (None: not sure) and everyone's role."""

    client_id: int | None
    role_of: dict[int, str] = field(default_factory=dict)
    likeness: dict[int, float] = field(default_factory=dict)
    user_id: int | None = None


class RoleJudge:
    """update(people) -> Roles, fed once per people-stage run with every identity seen.

    `practitioner_mode`: a standing person facing the camera is never the client (nor the user), even alone.
    `choose(id)` is the user's word (a click): that identity is the client until the user says otherwise.
    `evidence` holds this run's records, by identity.
    """

    def __init__(self, practitioner_mode: bool = False) -> None:
        self.practitioner_mode = practitioner_mode
        self._book = EvidenceBook()
        self.reset()

    def reset(self) -> None:
        self._book.reset()
        self._likeness: dict[int, float] = {}
        self._last_seen: dict[int, int] = {}
        self._worked_on: dict[int, int] = {}  # the last run each identity was seen worked on
        self._runs = 0
        self.client_id: int | None = None
        self.chosen_id: int | None = None
        self.user_id: int | None = None
        self._outgrown = 0  # runs in a row someone else has been far larger than the user
        self._lead_id: int | None = None  # who has been a little larger than everyone else, on how many runs
        self._lead_runs = 0
        self.evidence: dict[int, PersonEvidence] = {}
        self._work_ts: list[tuple[float, str]] = []  # the recent runs showing someone work on someone: when, why
        self._scene_t: float | None = None  # when the last run made it a practitioner scene
        self.practitioner_suggested = False  # someone seen working on someone over several runs

    def choose(self, person_id: int | None) -> None:
        self.chosen_id = person_id
        if person_id is not None:
            self.client_id = person_id

    def _vetoed(self, e: PersonEvidence) -> bool:
        """Never the client (nor the user): the one whose hands are on another; in practitioner mode, also
        anyone standing and facing the camera."""
        if e.present and works_on_other(e):
            return True
        return self.practitioner_mode and e.present and e.facing == "camera" and e.posture == "upright"

    def update(self, people: list[TrackedPerson], hands_px: Sequence[np.ndarray] = ()) -> Roles:
        """One run: `people` every identity seen, `hands_px` the hands MediaPipe Hands sees (frame px)."""
        self._runs += 1
        self.evidence = self._book.update(people, hands_px)
        for e in self.evidence.values():
            if not e.present:
                continue
            if worked_on(e):
                self._worked_on[e.id] = self._runs
            evidence = client_likeness(e)
            if self._vetoed(e):
                evidence = min(evidence, -1.0)
            old = self._likeness.get(e.id)
            self._likeness[e.id] = evidence if old is None else EVIDENCE_KEEP * old + (1 - EVIDENCE_KEEP) * evidence
            self._last_seen[e.id] = self._runs
        for pid in [i for i, r in self._last_seen.items() if self._runs - r > FORGET_AFTER]:
            self._likeness.pop(pid, None)
            self._last_seen.pop(pid, None)
            self._worked_on.pop(pid, None)
        present = set(self.evidence)
        self.client_id = self._decide(present)
        self.user_id = self._choose_user()
        roles = {pid: self._role(pid) for pid in present}
        return Roles(self.client_id, roles, {pid: self._likeness.get(pid, 0.0) for pid in present}, self.user_id)

    def _decide(self, present: set[int]) -> int | None:
        if self.chosen_id is not None:
            return self.chosen_id if self.chosen_id in self._likeness else None
        ranked = sorted(((self._likeness[i], i) for i in present if i in self._likeness), reverse=True)
        if not ranked:
            return None
        current = self.client_id if self.client_id in present else None
        if current is not None:
            mine = self._likeness[current]
            rivals = [v for v, i in ranked if i != current]
            if mine >= KEEP_AT and not self._vetoed(self.evidence[current]) and (
                    not rivals or rivals[0] < mine + MARGIN):
                return current
        best, best_id = ranked[0]
        second = ranked[1][0] if len(ranked) > 1 else -math.inf
        worked_on = self._runs - self._worked_on.get(best_id, -10**6) <= WORKED_ON_RUNS
        if best >= NAME_AT and best - second >= MARGIN and worked_on:
            return best_id
        return None

    def _choose_user(self) -> int | None:
        """Self mode's main person: the largest body in view, kept by identity (see the module docstring)."""
        present = sorted((e for e in self.evidence.values() if e.present), key=lambda e: -e.size_px)
        current = self.evidence.get(self.user_id) if self.user_id is not None else None
        if current is not None and not current.present:
            return current.id  # held through a short miss (the selector checks her pose is still there)
        if not present:
            return None
        largest = present[0].size_px
        if current is not None and not self._not_user(current):
            # someone passing close to the camera is larger for a moment: she stays the user unless outgrown
            # on USER_OUTGROWN_RUNS runs in a row
            self._outgrown = self._outgrown + 1 if current.size_px < USER_KEEP * largest else 0
            if self._outgrown < USER_OUTGROWN_RUNS:
                return current.id
        self._outgrown = 0
        # whoever works on someone is not the user: the largest of the others is, if about as large as the
        # largest or worked on (the one under the practitioner's hands); a passer-by far smaller is not
        candidates = [e for e in present if not self._not_user(e) and (
            e.size_px >= USER_KEEP * largest or (worked_on(e) and e.size_px >= MIN_SIZE * largest))]
        if not candidates:
            return None
        top = candidates[0]
        second = candidates[1].size_px if len(candidates) > 1 else 0.0
        if not top.strong:
            return None
        if top.size_px >= USER_MARGIN * second:
            return top.id
        # about as large as someone else (a companion beside her): the one who stays the larger, by a little,
        # on LEAD_RUNS runs in a row
        lead = top.size_px >= LEAD_MARGIN * second
        self._lead_runs = self._lead_runs + 1 if lead and self._lead_id == top.id else int(lead)
        self._lead_id = top.id if lead else None
        return top.id if self._lead_runs >= LEAD_RUNS else None

    def _not_user(self, e: PersonEvidence) -> bool:
        return e.at_work or self._vetoed(e) or self._over_someone(e)

    def _over_someone(self, e: PersonEvidence) -> bool:
        """Upright beside a body lying down, or her face just above someone's back: the one at work there,
        never the one worked on (whoever lies, or turns her back, is)."""
        if not e.present or e.posture != "upright":
            return False
        return any(o.present and o.id != e.id and (e.id in o.faces_above or (
            o.posture == "lying" and beside(o.detection, e.detection))) for o in self.evidence.values())

    # -- the scene: whose rules -------------------------------------------------------------------
    def note_work(self, t: float) -> None:
        """After update(): does this run show one person working on another, and has it for a while
        (practitioner mode is suggested then)."""
        why = interaction(self.evidence)
        recent = [(x, kind) for x, kind in self._work_ts if 0.0 <= t - x < WORK_KEEP_S]
        self._work_ts = recent + ([(t, why)] if why is not None else [])
        hands = sum(kind in ("hands", "face above back") for _, kind in self._work_ts)
        if why in ("lying", "face over back") or hands >= WORK_RUNS:
            self._scene_t = t
        elif self._scene_t is not None and not 0.0 <= t - self._scene_t < WORK_KEEP_S:
            self._scene_t = None
        self.practitioner_suggested = self._scene_t is not None and len(self._work_ts) >= WORK_RUNS

    def practitioner_scene(self, crowd: bool) -> bool:
        """The one rule on whose regions these are. A click chose someone: hers (the client). Self mode: the
        main person keeps them; what others do (a hand on her, a face above her back, a companion's arm)
        never takes them from her, it only suggests practitioner mode. The client rules apply only where
        there is no main person to keep them (the largest is herself at work, on a body MoveNet reads
        faintly) and someone was seen at work. Practitioner mode: the client rules once two people were
        seen lately (`crowd`) and someone at work; with no one at work the main person is the client."""
        if self.chosen_id is not None:
            return True
        work = self._scene_t is not None or bool(self._work_ts)
        if self.practitioner_mode:
            return crowd and work
        return work and self.user_id is None

    def role_of(self, practitioner_scene: bool) -> dict[int, str]:
        """Everyone's role after the last run, as the scene is judged: a practitioner scene has the client,
        practitioners and bystanders; a self-mode scene the user, whoever works on her (hands on her
        trunk, a face just above her back) as practitioner, and bystanders. Not sure: no client (user)."""
        if practitioner_scene:
            return {pid: self._role(pid) for pid in self.evidence}
        user = self.evidence.get(self.user_id) if self.user_id is not None else None

        def role(pid: int) -> str:
            if pid == self.user_id:
                return USER
            if user is not None and user.present and (user.id in self.evidence[pid].touching
                                                      or pid in user.faces_above):
                return PRACTITIONER
            return BYSTANDER
        return {pid: role(pid) for pid in self.evidence}

    def _role(self, pid: int) -> str:
        if pid == self.client_id:
            return CLIENT
        client = self.evidence.get(self.client_id) if self.client_id is not None else None
        me = self.evidence[pid]
        if me.present and client is not None and client.present and (
                client.id in me.touching or pid in client.faces_above):
            return PRACTITIONER
        if me.present and me.facing == "camera" and self._likeness.get(pid, 0.0) < 0:
            return PRACTITIONER
        return BYSTANDER
