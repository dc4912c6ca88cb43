"""The placement plan: which prompt each week, from ``prompts/plan/`` or a cohort's own list."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.core.paths import PROMPTS
from bot.core.templates import TemplateProblem, render

PLAN_DIR = PROMPTS / "plan"


@dataclass(frozen=True)
class PlanWeek:
    week: int
    template: str
    title: str
    theme: str


@lru_cache(maxsize=1)
def default_plan(path: Path | None = None) -> tuple[PlanWeek, ...]:
    """Load the default plan."""
    data = tomllib.loads((path or PLAN_DIR / "default.toml").read_text(encoding="utf-8"))
    return tuple(
        PlanWeek(week=i, template=w["template"], title=w["title"], theme=w.get("theme", ""))
        for i, w in enumerate(data["weeks"], start=1)
    )


def plan_week(week: int, override: list[str] | None = None) -> PlanWeek:
    """Return the plan entry of a week; a cohort's override names templates in ``prompts/plan/``."""
    if override:
        template = override[(week - 1) % len(override)]
        return PlanWeek(week=week, template=template, title=f"Week {week}", theme="")
    plan = default_plan()
    return plan[(week - 1) % len(plan)] if week > len(plan) else plan[week - 1]


def render_prompt(*, week: int, weeks: int, first_name: str, cohort_name: str,
                  override: list[str] | None = None) -> str:
    """Render a week's prompt exactly as the student sees it (before the first question)."""
    entry = plan_week(week, override)
    if not (PLAN_DIR / entry.template).is_file():
        raise TemplateProblem(f"the plan names {entry.template!r}, which is not in {PLAN_DIR}")
    return render(f"plan/{entry.template}", week=week, weeks=weeks, first_name=first_name,
                  cohort_name=cohort_name, title=entry.title)
