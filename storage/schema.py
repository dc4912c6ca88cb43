"""Import every table module so ``SQLModel.metadata`` holds the whole schema (migrations, tests, tools)."""

from sqlmodel import SQLModel

import storage.circle_models  # noqa: F401
import storage.facilitator_models  # noqa: F401
import storage.inbox  # noqa: F401
import storage.lease  # noqa: F401
import storage.models  # noqa: F401
import storage.research_models  # noqa: F401
import storage.safety_models  # noqa: F401
import storage.theme_models  # noqa: F401
import storage.web_models  # noqa: F401

metadata = SQLModel.metadata
