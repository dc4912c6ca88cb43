"""The workbench's Codebook page in a real headless Chromium: add, rename, move (a select and a drag), split,
merge, delete and undo, through the same domain functions as ``balint research codebook``."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlmodel import Session, select

from bot.research import codebook, coding
from storage.models import AuditEvent, Study
from storage.research_models import Assignment, CodeEvent, ResearchCode, ResearchCoding
from tests.support.research_support import RESEARCHER_A, items
from tests.support.web_support import press, ready_study, screenshot, sign_in


def _node(browser, name: str):
    return next(
        li
        for li in browser.find_elements(By.CSS_SELECTOR, "li.code-node")
        if li.find_element(By.CSS_SELECTOR, ".code-name").text == name
    )


def _change(browser, name: str, form: str):
    """Open a code's Change panel and return one of its forms."""
    node = _node(browser, name)
    node.find_element(By.CSS_SELECTOR, "details.change summary").click()
    return node.find_element(By.CSS_SELECTOR, f"form.{form}")


def _paths(db) -> list[str]:
    def run(session: Session) -> list[str]:
        study = session.exec(select(Study)).one()
        rnd = codebook.open_round(session, study.id or 0)
        assert rnd is not None
        names = codebook.paths(session, rnd)
        return [names[c.id or 0] for c in codebook.codes(session, rnd)]

    return db.call(run)


def _code_with_self_preservation(db, env) -> None:
    def run(session: Session) -> None:
        a = session.exec(select(Assignment)).first()
        assert a is not None
        code = session.exec(select(ResearchCode).where(ResearchCode.name == "Self-preservation")).one()
        coding.toggle(session, env, a, code)

    db.call(run)


def test_every_codebook_change_in_the_browser(db, research_env, study_cohort, server, browser):
    ready_study(db, research_env, study_cohort)
    _code_with_self_preservation(db, research_env)
    sid = items(db)[0].study_id
    sign_in(browser, server, db, research_env, RESEARCHER_A)
    browser.get(f"{server.url}/s/{sid}/codebook")

    # add, under a theme
    browser.find_element(By.CSS_SELECTOR, "#add-code summary").click()
    add = browser.find_element(By.CSS_SELECTOR, "#add-code form")
    add.find_element(By.NAME, "name").send_keys("Speaking <up>")
    Select(add.find_element(By.NAME, "parent")).select_by_visible_text("Identity within the hierarchy")
    add.find_element(By.NAME, "definition").send_keys("Saying what one saw to a senior.")
    press(browser, add.find_element(By.CSS_SELECTOR, "button"))
    assert "Identity within the hierarchy/Speaking <up>" in _paths(db)
    assert "Saying what one saw to a senior." in _node(browser, "Speaking <up>").text  # shown, escaped

    # rename (only the name changed: a rename in the history)
    edit = _change(browser, "Speaking <up>", "edit-form")
    edit.find_element(By.NAME, "name").clear()
    edit.find_element(By.NAME, "name").send_keys("Speaking out")
    press(browser, edit.find_element(By.CSS_SELECTOR, "button.save"))
    assert "renamed Speaking <up> to Speaking out" in browser.find_element(By.ID, "history").text

    # move to the top level with the select, then under Self-preservation by dragging
    move = _change(browser, "Speaking out", "move-form")
    Select(move.find_element(By.NAME, "parent")).select_by_visible_text("(top level: a theme)")
    press(browser, move.find_element(By.CSS_SELECTOR, "button.move"))
    assert "Speaking out" in _paths(db)
    source, target = _node(browser, "Speaking out"), _node(browser, "Self-preservation")
    browser.execute_script(
        """
        const [source, target] = arguments, data = new DataTransfer();
        source.dispatchEvent(new DragEvent("dragstart", {bubbles: true, dataTransfer: data}));
        target.dispatchEvent(new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: data}));
        target.dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: data}));
    """,
        source,
        target,
    )
    WebDriverWait(browser, 10).until(lambda _: "Self-preservation/Speaking out" in _paths(db))

    # split, then merge one half into the other
    browser.get(f"{server.url}/s/{sid}/codebook")
    split = _change(browser, "Speaking out", "split-form")
    split.find_element(By.NAME, "into").send_keys("To seniors\nTo peers")
    press(browser, split.find_element(By.CSS_SELECTOR, "button.split"))
    assert {"Self-preservation/To seniors", "Self-preservation/To peers"} <= set(_paths(db))
    assert "Speaking out" not in " ".join(_paths(db))
    merge = _change(browser, "To peers", "merge-form")
    Select(merge.find_element(By.NAME, "into")).select_by_visible_text("Self-preservation/To seniors")
    press(browser, merge.find_element(By.CSS_SELECTOR, "button.merge"))
    assert "Self-preservation/To peers" not in _paths(db)

    # delete: refused while it has codings, unless they move; then undo puts it back
    delete = _change(browser, "Self-preservation", "delete-form")
    press(browser, delete.find_element(By.CSS_SELECTOR, "button.delete"))
    assert "has 1 coding(s) in round 1" in browser.find_element(By.TAG_NAME, "main").text
    browser.get(f"{server.url}/s/{sid}/codebook")
    delete = _change(browser, "Self-preservation", "delete-form")
    Select(delete.find_element(By.NAME, "move_to")).select_by_visible_text("Attunement to encounters")
    press(browser, delete.find_element(By.CSS_SELECTOR, "button.delete"))
    assert "Self-preservation" not in _paths(db)
    coded = db.call(lambda s: [s.get(ResearchCode, c.code_id).name for c in s.exec(select(ResearchCoding)).all()])
    assert coded == ["Attunement to encounters"]
    screenshot(browser, "codebook")
    press(browser, browser.find_element(By.ID, "undo-last"))
    assert "Self-preservation" in _paths(db)
    assert "undid the last change (delete)" in browser.find_element(By.ID, "history").text

    events = db.call(
        lambda s: [
            (e.action, e.actor)
            for e in s.exec(select(CodeEvent)).all()
            if e.action != "checkpoint" and e.actor.startswith("web:")
        ]
    )
    assert [a for a, _ in events] == [
        "create",
        "rename",
        "move",
        "move",
        "create",
        "create",
        "split",
        "merge",
        "merge",
        "delete",
        "undo",
    ]
    assert {who for _, who in events} == {"web:C1"}
    audited = db.call(
        lambda s: [e.detail.get("op") for e in s.exec(select(AuditEvent)).all() if e.action == "web.codebook"]
    )
    assert audited == ["add", "rename", "move", "move", "split", "merge", "delete", "undo"]
