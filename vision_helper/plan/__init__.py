"""Her plan: what the practitioner asked her to do, and where on her body (plan.json)."""

from vision_helper.plan.schema import (
    PLAN_FORMAT,
    SCHEMA_VERSION,
    Dosage,
    Plan,
    PlanError,
    PlanStep,
    load_plan,
    parse_plan,
    plan_from_text,
    plan_json,
    plan_report,
    plan_steps,
    save_plan,
)

__all__ = ["PLAN_FORMAT", "SCHEMA_VERSION", "Dosage", "Plan", "PlanError", "PlanStep", "load_plan", "parse_plan",
           "plan_from_text", "plan_json", "plan_report", "plan_steps", "save_plan"]
