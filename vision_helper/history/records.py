"""Her sessions as small frozen values: what the store reads, the charts and the report use, and exports write."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

SIDES = ("left", "right")


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(round(float(value)))


def _float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


@dataclass(frozen=True)
class StepRecord:
    """One step of a session: e.g. left piriformis, clockwise, 5 asked, 4 done, 3 on target."""

    technique: str
    side: str
    direction: str
    done: int = 0
    on_target: int = 0
    target: int | None = None  # what her plan asks; None without a plan
    too_fast: int | None = None
    time_on_target_s: float | None = None
    pace_s: float | None = None  # mean seconds a circle or stroke
    position: int | None = None
    recorded_at: str | None = None

    @classmethod
    def from_mapping(cls, step: Mapping[str, Any]) -> StepRecord:
        """From a plan_report step, a steps row or a CSV's JSON; ValueError naming a missing field."""
        missing = [k for k in ("technique", "side", "direction") if not step.get(k)]
        if missing:
            raise ValueError(f"a step needs {', '.join(missing)}")
        on_target = step.get("on_target")
        return cls(technique=str(step["technique"]), side=str(step["side"]), direction=str(step["direction"]),
                   done=_int(step.get("done")) or 0, on_target=_int(on_target) or 0,
                   target=_int(step.get("target")), too_fast=_int(step.get("too_fast")),
                   time_on_target_s=_float(step.get("time_on_target_s")), pace_s=_float(step.get("pace_s")),
                   position=_int(step.get("position")), recorded_at=step.get("recorded_at") or None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def reached(self) -> bool:
        """Done as asked (a step without a target is reached once anything was done)."""
        return self.done >= self.target if self.target is not None else self.done > 0


@dataclass(frozen=True)
class SessionRecord:
    """One session with its steps, as the history holds it."""

    uid: str
    started_at: str
    kind: str
    steps: tuple[StepRecord, ...] = ()
    id: int | None = None
    finished_at: str | None = None
    technique: str | None = None
    source: str | None = None
    plan: Mapping[str, Any] | None = None
    plan_name: str | None = None
    sessions_per_week: int | None = None
    pain_before: int | None = None
    pain_after: int | None = None
    duration_s: float | None = None
    time_on_target_s: float | None = None
    summary: Mapping[str, Any] | None = None

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any], steps: Iterable[StepRecord | Mapping[str, Any]] = ()
                     ) -> SessionRecord:
        missing = [k for k in ("uid", "started_at", "kind") if not row.get(k)]
        if missing:
            raise ValueError(f"a session needs {', '.join(missing)}")
        return cls(uid=str(row["uid"]), started_at=str(row["started_at"]), kind=str(row["kind"]),
                   steps=tuple(s if isinstance(s, StepRecord) else StepRecord.from_mapping(s) for s in steps),
                   id=_int(row.get("id")), finished_at=row.get("finished_at") or None,
                   technique=row.get("technique") or None, source=row.get("source") or None,
                   plan=row.get("plan") or None, plan_name=row.get("plan_name") or None,
                   sessions_per_week=_int(row.get("sessions_per_week")), pain_before=_int(row.get("pain_before")),
                   pain_after=_int(row.get("pain_after")), duration_s=_float(row.get("duration_s")),
                   time_on_target_s=_float(row.get("time_on_target_s")), summary=row.get("summary") or None)

    @property
    def day(self) -> str:
        return self.started_at[:10]

    @property
    def done(self) -> int:
        return sum(s.done for s in self.steps)

    @property
    def on_target(self) -> int:
        return sum(s.on_target for s in self.steps)

    @property
    def too_fast(self) -> int | None:
        values = [s.too_fast for s in self.steps if s.too_fast is not None]
        return sum(values) if values else None

    @property
    def target(self) -> int | None:
        values = [s.target for s in self.steps if s.target is not None]
        return sum(values) if values else None

    @property
    def complete(self) -> bool | None:
        """Every step of her plan done as asked; None for a session without a plan's targets."""
        if self.target is None:
            return None
        return all(s.reached for s in self.steps if s.target is not None)

    @property
    def techniques(self) -> tuple[str, ...]:
        seen = [s.technique for s in self.steps] or ([self.technique] if self.technique else [])
        return tuple(dict.fromkeys(seen))

    def side_steps(self, side: str) -> tuple[StepRecord, ...]:
        return tuple(s for s in self.steps if s.side == side)
