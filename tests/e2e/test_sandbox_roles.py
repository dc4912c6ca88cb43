"""The sandbox for every role, driven through stdin as a person types, and ``balint demo`` underneath it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli_support import balint_process
from tests.support.paths import ROOT


def test_the_student_sandbox_writes_mydata_and_shows_the_alert_a_facilitator_would_get(tmp_path: Path) -> None:
    script = "/start SANDBOX\n1\n1\n/prompt\nI don't want to be alive anymore\n/mydata\n/quit\n"
    ran = balint_process("sandbox", env={"DATABASE_URL": f"sqlite:///{tmp_path}/unused.db"}, stdin=script, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert (
        "This is the sandbox, so no one was told. In a real cohort the facilitators would get this alert" in ran.stdout
    )
    assert "Safeguarding alert #1" in ran.stdout and "Tap Acknowledge (or send /ack 1)" in ran.stdout
    [saved] = list(tmp_path.glob("balintbot-my-data-*.json"))
    assert f"(file saved: {saved.resolve()}, " in ran.stdout
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert "I don't want to be alive anymore" in json.dumps(data, ensure_ascii=False)
    assert "Traceback" not in ran.stdout + ran.stderr


def test_demo_then_facilitator_and_researcher_sandboxes(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/demo.db"}
    before = balint_process("sandbox", "--as", "researcher", env=env, stdin="/quit\n", cwd=tmp_path)
    assert before.returncode == 2
    assert before.stderr.strip() == "There's no demo placement in this database yet. Make one with: balint demo"

    seeded = balint_process("demo", env=env, cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout.startswith("Seeded “Demo psychiatry placement”")
    assert "12 students, 6 weeks" in seeded.stdout and "balint sandbox --as researcher" in seeded.stdout
    assert "balint research themes seed" in seeded.stdout  # the theme report needs themes: the demo says how
    again = balint_process("demo", env=env, cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.startswith("The demo placement is already in")

    status = json.loads(balint_process("research", "status", "--json", env=env, cwd=tmp_path).stdout)
    assert status["study"] == "Demo study"

    console = balint_process("sandbox", "--as", "facilitator", env=env, stdin="/cohorts\n/stats\n/quit\n", cwd=tmp_path)
    assert console.returncode == 0, console.stderr
    assert "week 6 of 6 · every prompt has gone out" in console.stdout
    assert "participation per week" in console.stdout
    assert (tmp_path / "stats-cohort-1.png").read_bytes().startswith(b"\x89PNG")

    coding = balint_process(
        "sandbox", "--as", "researcher", env=env, stdin="/code\n2\n5\n/progress\n/quit\n", cwd=tmp_path
    )
    assert coding.returncode == 0, coding.stderr
    assert "Item #1 · P001 · week 1" in coding.stdout and "☑ Attunement to encounters" in coding.stdout
    assert "You: 1 of" in coding.stdout
    assert "Traceback" not in coding.stdout + coding.stderr
    agreement = balint_process("research", "agreement", "--json", env=env, cwd=tmp_path)
    assert agreement.returncode == 0, agreement.stderr
    assert json.loads(agreement.stdout)["items"] == 1
    for step in (
        ["research", "themes", "seed"],
        ["export", "--format", "csv", "--out", "demo.csv"],
        ["research", "themes", "report", "--out", "themes.md"],
    ):  # the rest of a researcher's ten minutes
        done = balint_process(*step, env=env, cwd=tmp_path)
        assert done.returncode == 0, (step, done.stderr)
    assert (tmp_path / "demo.csv").read_text(encoding="utf-8-sig").startswith("item,pseudonym,cohort,week")
    assert (tmp_path / "themes.md").read_text(encoding="utf-8").startswith("# Themes of Demo study")


CASE = "On my first night on call an old man asked me if he was dying. I said I'd get the doctor and never went back."


def test_the_circle_sandbox_plays_a_week_with_you_presenting(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "1",
            "1",
            CASE,
            "1",
            "/circle His daughter was there, holding his hand.",
            "/next",
            "/circle Can I explain why I left?",
            "/next",
            "/circle I think I ran because I was afraid of his answer.",
            "/next",
            "/circle",
            "/quit",
        ]
    )
    ran = balint_process(
        "sandbox",
        "--as",
        "circle",
        "--name",
        "Sam",
        env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
        stdin=script + "\n",
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    out = ran.stdout
    assert "Traceback" not in out + ran.stderr and "Something went wrong" not in out
    steps = [
        "Hello Sam. Your facilitator has invited you to Sandbox circle",
        "[1] Yes, I'll join",
        "week 1 is open. Who would like to present?",
        "Thank you for presenting. Write the case here",
        "This is how the circle will see your case",
        f"\n{CASE}\n   [1] Share it with the circle   [2] Edit",
        "· Questions until",
        "💬 Ben · questions\nWhat happened just before that moment?",
        "💬 Cara · questions",
        "✓ Shared with the circle (5 people).",
        "(Ruth, the leader, moves the circle on.) Moved on: Push-back.",
        "This is the push-back, Sam",
        "💬 Anna · push-back",
        "💬 Ruth (leader) · push-back",
        "Not posted: during push-back you read and listen.",
        "Moved on: The presenter's response.",
        "Sam comes back in and responds",
        "Moved on: Closing.",
        "💬 Ruth (leader) · closing\nThank you for bringing this, Sam",
        "week 1 is closed. Thank you, everyone",
        "week 1 of 1: Closed",
        "Bye.",
    ]
    at = 0
    for step in steps:  # each step appears, after the one before
        found = out.find(step, at)
        assert found >= 0, (step, out[at : at + 600])
        at = found + len(step)
    assert out.count("What happened just before that moment?") == 1  # each relayed post shown once
    assert "<blockquote>" not in out


def test_sandbox_as_someone_unknown_gets_one_clear_line(tmp_path: Path) -> None:
    ran = balint_process("sandbox", "--as", "dean", env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}, cwd=tmp_path)
    assert ran.returncode == 2
    assert ran.stderr.strip() == "--as takes student, facilitator, researcher, circle; 'dean' isn't one of them."


def test_the_sandbox_starts_without_library_log_lines(tmp_path: Path) -> None:
    ran = balint_process(
        "sandbox",
        env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "LOG_LEVEL": "INFO"},
        stdin="/quit\n",
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("balintbot sandbox")
    assert ran.stderr == ""  # no "INFO alembic.runtime.migration: …" before the first line (issue 16)


def test_every_guide_starts_with_the_demo() -> None:
    guides = sorted((ROOT / "docs").glob("*.md"))
    assert len(guides) >= 6
    for guide in guides:
        opening = "\n".join(guide.read_text(encoding="utf-8").splitlines()[:6])
        assert "balint demo" in opening, f"{guide.name} does not start with balint demo"
