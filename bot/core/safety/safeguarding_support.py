"""Where a student can get help, and the immediate reply that lists it.

Support contacts come from ``prompts/safeguarding/resources.toml`` (UK defaults, an institution's overrides), the
reply's wording from ``support_reply.md.j2``, rendered in the bot's one sandboxed Jinja environment.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from jinja2.sandbox import SandboxedEnvironment

from bot.core.safety.safeguarding_compile import DEFAULT_REPLY_TEMPLATE, DEFAULT_RESOURCES_PATH
from bot.core.safety.safeguarding_verdict import Category, Verdict
from bot.core.templates import sandboxed_environment

ReplyVariant = Literal["self", "someone_else", "patient_safety"]

ResourceKind = Literal["urgent", "support", "concern"]
_RESOURCE_KINDS = ("urgent", "support", "concern")


@dataclass(frozen=True)
class Resource:
    """A place to get help. kind: urgent (999/A&E), support (listening services), concern
    (routes for raising a patient-safety concern)."""

    id: str
    name: str
    contact: str
    kind: ResourceKind = "support"
    hours: str = ""
    description: str = ""
    url: str | None = None
    placeholder: bool = False  # the institution still has to fill this in
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def _resource(raw: dict[str, Any], where: str) -> Resource:
    try:
        rid, name, contact = str(raw["id"]), str(raw["name"]), str(raw["contact"])
    except KeyError as exc:
        raise ValueError(f"{where}: resources need id, name and contact ({exc.args[0]} missing)") from exc
    kind = str(raw.get("kind", "support"))
    if kind not in _RESOURCE_KINDS:
        raise ValueError(f"{where}: kind must be one of {_RESOURCE_KINDS}")
    url = raw.get("url")
    if url is not None and not str(url).startswith("https://"):
        raise ValueError(f"{where}: url must start with https:// (got {url!r})")
    return Resource(
        id=rid,
        name=name,
        contact=contact,
        kind=kind,  # type: ignore[arg-type]
        hours=str(raw.get("hours", "")),
        description=str(raw.get("description", "")),
        url=str(url) if url else None,
        placeholder=bool(raw.get("placeholder", False)),
    )


def load_resources(path: Path | None = None, *, institution: str | None = None) -> list[Resource]:
    """Support resources: the UK defaults, with an institution's overrides applied.

    An institution table ([institution.KEY] in resources.toml) may replace a default resource by
    giving the same id (fields not given are kept), add new ones, and drop defaults with
    ``omit = ["id", ...]``.
    """
    path = path or DEFAULT_RESOURCES_PATH
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    merged: dict[str, dict[str, Any]] = {}
    for i, raw in enumerate(data.get("resource", [])):
        merged[str(raw.get("id", f"resource[{i}]"))] = dict(raw)
    if institution is not None:
        inst = (data.get("institution") or {}).get(institution)
        if inst is None:
            raise KeyError(f"no [institution.{institution}] in {path}")
        for rid in inst.get("omit", []):
            merged.pop(str(rid), None)
        for i, raw in enumerate(inst.get("resource", [])):
            rid = str(raw.get("id", f"institution.{institution}.resource[{i}]"))
            base = merged.get(rid, {})
            merged[rid] = {**base, **raw, "placeholder": raw.get("placeholder", False)}
    return [_resource(raw, f"{path}: resource {rid}") for rid, raw in merged.items()]


def reply_variant(verdict: Verdict) -> ReplyVariant | None:
    """Which support reply a verdict calls for, if any."""
    if verdict.alerts_facilitator:
        return "self"
    if verdict.concerns_someone_else:
        return "someone_else"
    if verdict.is_patient_matter:
        return "patient_safety"
    return None


def _capitalize_first(value: str) -> str:
    """Upper-case the first letter only (jinja's `capitalize` lower-cases the rest: "NHS" -> "Nhs")."""
    return value[:1].upper() + value[1:]


@functools.lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    env = sandboxed_environment(lstrip_blocks=True)  # the one factory of bot.core.templates
    env.filters["capitalize_first"] = _capitalize_first
    return env


def render_support_reply(
    resources: Sequence[Resource],
    *,
    student_name: str | None = None,
    variant: ReplyVariant = "self",
    category: Category | None = None,
    template_path: Path | None = None,
) -> str:
    """The warm immediate reply, as Telegram HTML (parse_mode HTML). Everything is escaped."""
    if variant not in ("self", "someone_else", "patient_safety"):
        raise ValueError(f"unknown reply variant {variant!r}")
    source = (template_path or DEFAULT_REPLY_TEMPLATE).read_text(encoding="utf-8")
    template = _environment().from_string(source)
    name = (student_name or "").strip() or None
    out = template.render(
        student_name=name,
        variant=variant,
        category=str(category) if category else None,
        urgent=[r for r in resources if r.kind == "urgent"],
        support=[r for r in resources if r.kind == "support"],
        concern=[r for r in resources if r.kind == "concern"],
    )
    out = re.sub(r"[ \t]+\n", "\n", out)
    return re.sub(r"\n{3,}", "\n\n", out).strip()
