"""``balint research …`` and ``balint export`` through Typer's CliRunner, on the test database."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from storage.db import Database
from tests.support.cli_support import balint
from tests.support.research_support import enrol, reflect


def test_redact_reads_stdin_and_prints_text_or_spans() -> None:
    code, out, _ = balint("research", "redact", stdin="Mr Patel rang 07700 900123 about his son Tom.\n")
    assert code == 0 and out == "Mr [NAME] rang [PHONE] about his son [NAME].\n"
    code, out, _ = balint("research", "redact", "--json", stdin="Email me at a.b@example.ac.uk on 3/4/2025")
    data = json.loads(out)
    assert data["text"] == "Email me at [EMAIL] on [DATE]"
    assert [(s["type"], s["text"]) for s in data["spans"]] == [("EMAIL", "a.b@example.ac.uk"), ("DATE", "3/4/2025")]


def test_a_whole_round_from_the_command_line(db: Database, research_env, study_cohort, cli_env, tmp_path: Path):
    chats = [enrol(db, research_env, study_cohort, 2001 + i, f"S{i}") for i in range(2)]
    reflect(db, research_env, study_cohort, chats)

    code, out, err = balint(
        "role", "grant", "researcher", "--telegram-id", "9001", "--study", "Balint Study 2026", "--label", "Anna"
    )
    assert code == 0, err
    assert out.strip() == "Telegram user 9001 is now a researcher of Balint Study 2026, coding as Anna."
    assert (
        balint("role", "grant", "researcher", "--telegram-id", "9002", "--study", "Balint Study 2026", "--independent")[
            0
        ]
        == 0
    )

    code, out, _ = balint("research", "link", "--json")
    assert json.loads(out)["link"] == f"https://t.me/YOUR_BOT?start=r-{json.loads(out)['code']}"
    code, out, err = balint("research", "codebook", "seed")
    assert code == 0, err
    assert out.strip() == (
        "Round 1 of Balint Study 2026: 4 code(s) added, 0 updated (from seed: Ng, Seu & Cullum 2022)."
    )
    code, out, _ = balint("research", "intake", "--json")
    assert json.loads(out)["new"] == 10 and json.loads(out)["new_participants"] == 2

    code, out, _ = balint("research", "assign")
    assert "0 item(s) assigned" in out and "10 item(s) wait for review first" in out
    code, out, _ = balint("research", "review", "next", "--limit", "1")
    assert out.startswith("#1 · P001 · week 1 · encounter\nI met Mrs [NAME], aged [AGE]")
    code, out, _ = balint("research", "review", "mark", "1", "--text", "the ward", "--type", "PLACE")
    assert code == 0 and "I met Mrs [NAME], aged [AGE], on [PLACE];" in out
    code, out, _ = balint("research", "review", "ok", *[str(i) for i in range(1, 11)])
    assert out.strip() == "Reviewed: " + ", ".join(f"#{i}" for i in range(1, 11)) + "."
    code, out, _ = balint("research", "assign", "--json")
    assigned = json.loads(out)
    assert (assigned["items"], assigned["assignments"], assigned["per_coder"]) == (10, 20, {"Anna": 10, "C2": 10})

    code, out, _ = balint("research", "status", "--json")
    status = json.loads(out)
    assert status["queue"] == {"items": 10, "reviewed": 10, "taken_out": 0, "participants": 2}
    assert status["rounds"][0]["assigned"] == 10 and status["coders"][1] == {
        "coder": "C2",
        "independent": True,
        "assigned": 10,
        "done": 0,
        "put_aside": 0,
    }
    code, out, _ = balint("research", "status")
    assert (
        "Round 1 (open): 4 code(s); 10 item(s) assigned = 10 in progress + 0 agreed + 0 disagreement(s) "
        "waiting + 0 settled"
    ) in out

    target = tmp_path / "round1.csv"
    code, out, err = balint("export", "--format", "csv", "--round", "1", "--out", str(target))
    assert code == 0, err
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert out.startswith(f"Wrote 10 row(s) from 2 participant(s) of round 1 of Balint Study 2026 to {target}")
    assert out.strip().endswith(f"Export #1, sha256 {digest}")
    assert not target.with_name("round1.csv.part").exists()
    code, out, _ = balint("research", "exports", "--json")
    (log,) = json.loads(out)
    assert log["sha256"] == digest and log["participants"] == ["P001", "P002"] and log["file"] == "round1.csv"

    code, out, _ = balint("research", "agreement", "--round", "1")
    assert out.startswith("Agreement in round 1 of Balint Study 2026\n")
    code, out, _ = balint("research", "agreement", "--round", "1", "--json")
    assert json.loads(out)["rows"][-1]["scope"] == "overall"

    code, _, err = balint("research", "close-round")
    assert code == 2 and err.startswith(
        "Error: round 1 of Balint Study 2026 is not finished:\n"
        "  - 20 coding(s) not finished: #1 (Anna), #1 (C2), #2 (Anna)"
    )
    assert err.strip().endswith("Settle or finish them first, or close the round as it stands with --force.")
    code, out, _ = balint("research", "close-round", "--force")
    assert out.startswith(
        "Round 1 of Balint Study 2026 is closed and frozen with 10 item(s) (closed with --force "
        "while some were unfinished). Round 2 is open with 4 code(s) carried over"
    )
    assert balint("research", "codebook", "rename", "Self-preservation", "Protecting the self")[0] == 0
    code, out, _ = balint("research", "codebook", "history")
    assert "round 2" in out and "rename" in out and "Protecting the self" in out
    book = tmp_path / "book.qdc"
    code, out, _ = balint("research", "codebook", "export", "--out", str(book), "--round", "1")
    assert out.strip() == f"Wrote 4 code(s) of round 1 of Balint Study 2026 to {book}." and book.stat().st_size

    chats[0].command("withdraw")
    chats[0].press("Yes, withdraw")
    code, out, _ = balint("research", "withdrawals")
    assert " P001 left the queue, 5 item(s); earlier exports holding them: #1 (csv, " in out
    code, out, _ = balint("research", "withdrawals", "--json")
    (left,) = json.loads(out)
    assert left["held_by_exports"][0]["sha256"] == digest
    code, out, _ = balint("research", "status", "--json")
    assert json.loads(out)["queue"]["taken_out"] == 5


def test_agreement_from_a_file(tmp_path: Path) -> None:
    codings = tmp_path / "codings.csv"
    codings.write_text(
        "item,coder,code\nr1,ann,A\nr1,bob,A\nr2,ann,B\nr2,bob,A\nr3,ann,A\nr3,bob,A\n", encoding="utf-8"
    )
    code, out, _ = balint("research", "agreement", "--from", str(codings), "--json")
    data = json.loads(out)
    assert code == 0 and data["items"] == 3 and data["coders"] == ["ann", "bob"]
    code, out, _ = balint("research", "agreement", "--from", str(codings), "--coders", "ann", "--json")
    assert json.loads(out)["coders"] == ["ann"]
    code, _, err = balint("research", "agreement", "--from", str(codings), "--coders", "zoe")
    assert code == 2 and err.strip() == "Error: codings.csv has no coder 'zoe' (coders: ann, bob)"
    broken = tmp_path / "broken.csv"
    broken.write_text("who,what\nx,y\n", encoding="utf-8")
    code, out, err = balint("research", "agreement", "--from", str(broken))
    assert code == 2 and err.startswith("Error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_mistakes_get_one_clear_line(cli_env, study_cohort, tmp_path) -> None:
    code, _, err = balint("research", "status", "--study", "Nope")
    assert code == 2 and err.strip() == "Error: no study called 'Nope'; studies: 'Balint Study 2026'"
    code, _, err = balint("export", "--format", "pdf", "--out", str(tmp_path / "x.pdf"))
    assert code == 2 and "unknown format 'pdf'" in err
    code, _, err = balint("export", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"))
    assert code == 2 and "has no coding round yet, so only the queue can be exported, as csv or jsonl" in err
    code, _, err = balint("research", "codebook", "import", str(tmp_path / "missing.qdc"))
    assert code == 2 and err.startswith("Error: ") and "Traceback" not in err
    code, _, err = balint("research", "settle", "3", "--codes", "X")
    assert code == 2 and "no open round" in err
