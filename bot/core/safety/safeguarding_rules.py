"""Safeguarding risk detector: transparent, configurable phrase rules (the public face of the parts below).

Pure functions only (no Telegram, storage or database imports). The phrase lists live in
``prompts/safeguarding/rules.toml`` (data an institution can read and edit); support contacts in
``prompts/safeguarding/resources.toml``; the immediate reply in ``support_reply.md.j2``.

``check(text)`` answers with a ``Verdict``. How it is reached (what the verdict's fields mean, the reading of a
message step by step, the known limits) is in docs/safeguarding.md, "How the rules are built". The work is done in:

* ``safeguarding_verdict``: the kinds of concern, a hit, the verdict and which hit decides it;
* ``safeguarding_compile``: the rule file compiled (macros, word families, whole-word patterns, the prefilter);
* ``safeguarding_people``: sentences, quotations and who each part of a message is about;
* ``safeguarding_analysis``: each hit examined (exclusions, negation, topic), the model's second opinion;
* ``safeguarding_support``: the support contacts and the immediate reply.

Every name callers used from this module before the split is still here.
"""

from __future__ import annotations

import functools

from bot.core.safety.safeguarding_analysis import SafeguardingRules
from bot.core.safety.safeguarding_compile import (
    DEFAULT_MODEL_PATH,
    DEFAULT_REPLY_TEMPLATE,
    DEFAULT_RESOURCES_PATH,
    DEFAULT_RULES_PATH,
    PROMPTS_DIR,
    SAFEGUARDING_DIR,
    Bounded,
)
from bot.core.safety.safeguarding_support import (
    ReplyVariant,
    Resource,
    ResourceKind,
    load_resources,
    render_support_reply,
    reply_variant,
)
from bot.core.safety.safeguarding_verdict import (
    MODEL_RULE,
    NO_RISK,
    PERSONAL_CATEGORIES,
    SEVERITY,
    Category,
    Hit,
    Subject,
    Tier,
    Verdict,
)

__all__ = [
    "DEFAULT_MODEL_PATH",
    "DEFAULT_REPLY_TEMPLATE",
    "DEFAULT_RESOURCES_PATH",
    "DEFAULT_RULES_PATH",
    "MODEL_RULE",
    "NO_RISK",
    "PERSONAL_CATEGORIES",
    "PROMPTS_DIR",
    "SAFEGUARDING_DIR",
    "SEVERITY",
    "Bounded",
    "Category",
    "Hit",
    "ReplyVariant",
    "Resource",
    "ResourceKind",
    "SafeguardingRules",
    "Subject",
    "Tier",
    "Verdict",
    "check",
    "default_rules",
    "load_resources",
    "normalise",
    "render_support_reply",
    "reply_variant",
]


@functools.lru_cache(maxsize=1)
def default_rules() -> SafeguardingRules:
    """The rule set in prompts/safeguarding/rules.toml, loaded once."""
    return SafeguardingRules.from_toml()


def check(text: str) -> Verdict:
    """Check one message against the default rules."""
    return default_rules().check(text)


def normalise(text: str) -> str:
    """The normalised text that rule patterns are matched against (default rules)."""
    return default_rules().normalise(text)
