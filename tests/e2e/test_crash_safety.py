"""SIGKILL the bot during a burst of replies and a broadcast; after restarts nothing is lost or stored twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.crash_harness import CrashPlan, run_crash


@pytest.mark.slow
def test_sigkill_during_replies_and_broadcast_loses_nothing(database_url: str, tmp_path: Path) -> None:
    plan = CrashPlan(repliers=12, replies_each=5, broadcast_to=40, kills=3, seed=11)
    result = run_crash(plan, database_url, tmp_path)
    log = (tmp_path / "bot.log").read_text(errors="replace")[-3000:] if (tmp_path / "bot.log").exists() else ""
    assert result.kills == 3
    assert result.replies_sent == 60
    assert result.replies_lost == 0, log
    assert result.replies_duplicated == 0, log
    assert result.prompts_missing == 0, log
    # a prompt can only go out twice if the process died between sending it and recording it
    assert result.prompts_duplicated <= result.kills, log
