"""The web workbench in a real headless Chromium: sign-in, review, coding, the blind rule, settle, exports.

Each test drives the real aiohttp app over HTTP, on the test database (SQLite or PostgreSQL), and asserts what
the researcher sees or what is stored.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlmodel import select

from storage.models import AuditEvent
from storage.research_models import CodingItem, ItemMark, ResearchCoding, ResearchExport, Settlement
from tests.support.research_support import RESEARCHER_A, RESEARCHER_B, items
from tests.support.web_support import link_for, press, ready_study, screenshot, select_text, sign_in


def body(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def test_a_link_signs_in_once_and_expires_after_ten_minutes(db, research_env, study_cohort, server, browser):
    ready_study(db, research_env, study_cohort, assigned=False)
    sign_in(browser, server, db, research_env, RESEARCHER_A)
    assert "Your studies" in body(browser)
    assert "Balint Study 2026" in body(browser)
    cookie = browser.get_cookie("balint_web")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"

    # the same link again, in another browser: refused
    token = link_for(db, research_env, RESEARCHER_A)
    browser.delete_all_cookies()
    browser.get(f"{server.url}/login?t={token}")
    press(browser, browser.find_element(By.ID, "sign-in"))
    assert "Your studies" in body(browser)
    browser.delete_all_cookies()
    browser.get(f"{server.url}/login?t={token}")
    press(browser, browser.find_element(By.ID, "sign-in"))
    assert "already been used" in body(browser)

    late = link_for(db, research_env, RESEARCHER_A)
    research_env.clock.advance(timedelta(minutes=10, seconds=1))
    browser.get(f"{server.url}/login?t={late}")
    press(browser, browser.find_element(By.ID, "sign-in"))
    assert "expired" in body(browser)
    browser.get(f"{server.url}/")
    assert "Please sign in" in body(browser)


def test_a_session_ends_after_eight_hours_idle(db, research_env, study_cohort, server, browser):
    ready_study(db, research_env, study_cohort, assigned=False)
    sign_in(browser, server, db, research_env, RESEARCHER_A)
    research_env.clock.advance(timedelta(hours=7, minutes=59))
    browser.get(f"{server.url}/")
    assert "Your studies" in body(browser)  # used within eight hours: still signed in
    research_env.clock.advance(timedelta(hours=8))
    browser.get(f"{server.url}/")
    assert "Please sign in" in body(browser)


def _item_with(db, words: str) -> CodingItem:
    return next(i for i in items(db) if words in i.text)


def test_review_a_mark_then_undo_then_reviewed(db, research_env, study_cohort, server, browser):
    ready_study(db, research_env, study_cohort, reviewed=False, assigned=False)
    item = _item_with(db, "on the ward")
    sign_in(browser, server, db, research_env, RESEARCHER_A)
    browser.get(f"{server.url}/s/{item.study_id}/review")
    article = browser.find_element(By.ID, f"item-{item.id}")
    assert "[NAME]" in [m.text for m in article.find_elements(By.CSS_SELECTOR, "mark.ph")]  # placeholders lit up
    select_text(browser, item.id, "war")  # part of a word: the mark widens to the whole word
    Select(article.find_element(By.CSS_SELECTOR, "select[name=type]")).select_by_visible_text("PLACE")
    press(browser, article.find_element(By.CSS_SELECTOR, "button.redact"))
    article = browser.find_element(By.ID, f"item-{item.id}")
    assert "on the [PLACE]" in article.find_element(By.CSS_SELECTOR, ".text").text
    assert "[PLACE]" in [m.text for m in article.find_elements(By.CSS_SELECTOR, "mark.ph")]
    assert db.call(lambda s: [(m.type, m.seen) for m in s.exec(select(ItemMark)).all()]) == [("PLACE", "ward")]
    screenshot(browser, "review")

    press(browser, article.find_element(By.CSS_SELECTOR, "button.undo"))
    article = browser.find_element(By.ID, f"item-{item.id}")
    assert "on the ward" in article.find_element(By.CSS_SELECTOR, ".text").text
    assert db.call(lambda s: s.exec(select(ItemMark)).all()) == []

    press(browser, article.find_element(By.CSS_SELECTOR, "button.reviewed"))
    assert db.call(lambda s: s.get(CodingItem, item.id).reviewed_by) == "web:C1"
    events = db.call(lambda s: [e.action for e in s.exec(select(AuditEvent)).all()])
    assert {"web.view", "research.mark", "research.unmark", "web.reviewed"} <= set(events)


def _open_item(browser, server, item) -> None:
    browser.get(f"{server.url}/s/{item.study_id}/code/{item.id}")


def test_coding_a_passage_by_selecting_text(db, research_env, study_cohort, server, browser):
    ready_study(db, research_env, study_cohort)
    item = _item_with(db, "out of my depth")
    sign_in(browser, server, db, research_env, RESEARCHER_A)
    browser.get(f"{server.url}/s/{item.study_id}/code")
    press(browser, browser.find_element(By.LINK_TEXT, f"#{item.id}"))
    select_text(browser, item.id, "out of my depth")
    button = browser.find_elements(By.CSS_SELECTOR, "button.apply")[0]
    code_name = button.text.split(". ", 1)[1]
    press(browser, button)
    assert f"{code_name}: “out of my depth”" in body(browser)
    coded = browser.find_element(By.CSS_SELECTOR, ".text span.coded")
    assert coded.text == "out of my depth"
    start = item.text.index("out of my depth")
    rows = db.call(lambda s: [(c.start, c.end) for c in s.exec(select(ResearchCoding)).all()])
    assert rows == [(start, start + len("out of my depth"))]
    screenshot(browser, "coding")


def _code_and_finish(browser, server, item, *, nth: int) -> None:
    _open_item(browser, server, item)
    press(browser, browser.find_elements(By.CSS_SELECTOR, "button.whole")[nth])
    press(browser, browser.find_element(By.ID, "done"))


def test_the_blind_rule_and_a_settle(db, research_env, study_cohort, server, browser_factory):
    ready_study(db, research_env, study_cohort)
    item = _item_with(db, "out of my depth")
    a, b = browser_factory(), browser_factory()
    sign_in(a, server, db, research_env, RESEARCHER_A)
    sign_in(b, server, db, research_env, RESEARCHER_B)

    _open_item(a, server, item)
    select_text(a, item.id, "out of my depth")
    press(a, a.find_elements(By.CSS_SELECTOR, "button.apply")[0])
    _code_and_finish(a, server, item, nth=0)
    _open_item(b, server, item)
    assert b.find_elements(By.ID, "blind") and not b.find_elements(By.ID, "others")
    assert "C1" not in b.find_element(By.CSS_SELECTOR, "main").text  # nothing of A's coding shows

    press(b, b.find_elements(By.CSS_SELECTOR, "button.whole")[1])
    press(b, b.find_element(By.ID, "done"))
    assert "C1:" in b.find_element(By.ID, "others").text  # both done: now each sees the other
    _open_item(a, server, item)
    assert "C2:" in a.find_element(By.ID, "others").text

    a.get(f"{server.url}/s/{item.study_id}/agreement")
    box = a.find_element(By.ID, f"d-1-{item.id}")
    # side by side: the item's text once per coder, each coder's passages highlighted in the code's colour
    assert "1 item(s) coded by two or more coders; coders C1, C2." in a.find_element(By.ID, "round-1").text
    columns = box.find_elements(By.CSS_SELECTOR, ".coder-column")
    assert [c.get_attribute("data-coder") for c in columns] == ["C1", "C2"]
    assert all(item.text[:30] in c.find_element(By.CSS_SELECTOR, ".text").text for c in columns)
    passages = columns[0].find_elements(By.CSS_SELECTOR, ".text span.coded")
    assert [p.text for p in passages] == ["out of my depth"]
    assert "background" in passages[0].get_attribute("style")
    assert not columns[1].find_elements(By.CSS_SELECTOR, ".text span.coded")
    screenshot(a, "agreement", whole_page=True)
    box.find_element(By.CSS_SELECTOR, "input[name=note]").send_keys("C2's reading fits the definition")
    press(a, box.find_element(By.CSS_SELECTOR, "form.settle button"))
    assert not a.find_elements(By.ID, f"d-1-{item.id}")  # settled: out of the queue
    assert "0 to settle; 1 settled" in a.find_element(By.ID, "round-1").text
    note = db.call(lambda s: [(x.item_id, x.note, x.actor) for x in s.exec(select(Settlement)).all()])
    assert note == [(item.id, "C2's reading fits the definition", "web:C1")]
    assert a.find_elements(By.CSS_SELECTOR, "svg.chart rect")


def test_an_export_download_matches_the_register(db, research_env, study_cohort, server, browser):
    ready_study(db, research_env, study_cohort)
    sign_in(browser, server, db, research_env, RESEARCHER_A)
    study_id = items(db)[0].study_id
    browser.get(f"{server.url}/s/{study_id}/exports")
    browser.find_element(By.ID, "download-csv").click()
    deadline = time.monotonic() + 15
    files: list = []
    while time.monotonic() < deadline:
        # Chromium writes through ".org.chromium.*" and ".crdownload" files, and may show the final name
        # before the bytes are flushed: wait for one finished, non-empty file
        names = [p.name for p in browser.downloads.iterdir()]
        files = [browser.downloads / n for n in names if not n.startswith(".") and not n.endswith(".crdownload")]
        if len(files) == len(names) == 1 and files[0].stat().st_size > 0:
            break
        time.sleep(0.1)
    assert len(files) == 1, "the download did not arrive"
    digest = hashlib.sha256(files[0].read_bytes()).hexdigest()
    recorded = db.call(lambda s: [(e.sha256, e.actor, e.format) for e in s.exec(select(ResearchExport)).all()])
    assert recorded == [(digest, "web:C1", "csv")]
    browser.get(f"{server.url}/s/{study_id}/exports")
    register = browser.find_element(By.ID, "register").text
    assert digest in register and "C1" in register
    assert str(RESEARCHER_A.telegram_id) not in body(browser)


def _post(driver, url: str, fields: dict[str, str]) -> None:
    """Submit a form the page did not offer (as a forged or replayed request would)."""
    driver.execute_script(
        """
        const [url, fields] = arguments;
        const f = document.createElement("form"); f.method = "post"; f.action = url;
        for (const [k, v] of Object.entries(fields)) {
          const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; f.appendChild(i);
        }
        document.body.appendChild(f); f.submit();
    """,
        url,
        fields,
    )
    driver.execute_script("return new Promise(r => setTimeout(r, 300));")


def test_a_researcher_of_another_study_is_refused_on_every_url(db, research_env, study_cohort, server, browser):
    from datetime import date
    from datetime import time as clock_time

    from bot.core.student.enrolment import CohortIn, create_cohort
    from bot.research import access
    from storage import research_repo
    from tests.support.research_support import OUTSIDER

    ready_study(db, research_env, study_cohort)
    db.call(
        create_cohort,
        CohortIn(
            name="Surgery Feb 2026",
            start_date=date(2026, 2, 2),
            weeks=6,
            weekday=0,
            send_time=clock_time(9, 0),
            timezone="Europe/London",
            study="Other study",
        ),
    )
    db.call(
        lambda s: access.grant(
            s,
            research_env,
            research_repo.get_study_by_name(session=s, name="Other study"),
            OUTSIDER.telegram_id,
            actor="test",
        )
    )
    item = items(db)[0]
    sid = item.study_id
    sign_in(browser, server, db, research_env, OUTSIDER)
    assert "Other study" in body(browser) and "Balint Study 2026" not in body(browser)
    csrf = browser.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")

    pages = [
        f"/s/{sid}/review",
        f"/s/{sid}/review?done=1",
        f"/s/{sid}/code",
        f"/s/{sid}/code/{item.id}",
        f"/s/{sid}/agreement",
        f"/s/{sid}/exports",
        f"/s/{sid}/case/{item.id}",
        f"/s/{sid}/codebook",
        f"/s/{sid}/themes",
        f"/s/{sid}/themes?round=1",
        f"/s/{sid}/themes/map.png",
        f"/s/{sid}/themes/map.png?round=1",
    ]
    for page in pages:
        browser.get(server.url + page)
        assert "not part of a study you research" in body(browser), page
        assert item.text[:20] not in body(browser)
    forms = {
        f"/s/{sid}/review/ok": {"item": str(item.id)},
        f"/s/{sid}/review/{item.id}/mark": {"start": "0", "end": "3", "type": "NAME"},
        f"/s/{sid}/review/{item.id}/unmark": {"mark": "1"},
        f"/s/{sid}/code/{item.id}/passage": {"code": "1", "start": "0", "end": "3"},
        f"/s/{sid}/code/{item.id}/toggle": {"code": "1"},
        f"/s/{sid}/code/{item.id}/uncode": {"coding": "1"},
        f"/s/{sid}/code/{item.id}/memo": {"text": "hello"},
        f"/s/{sid}/code/{item.id}/done": {},
        f"/s/{sid}/settle/1/{item.id}": {"accept": "C1"},
        f"/s/{sid}/exports/download": {"format": "csv", "round": "1"},
        f"/s/{sid}/codebook/change": {"op": "add", "name": "Planted"},
        f"/s/{sid}/codebook/undo": {},
        f"/s/{sid}/code/{item.id}/aside": {},
        f"/s/{sid}/assign": {"per_item": "2"},
    }
    for path, fields in forms.items():
        browser.get(f"{server.url}/")
        _post(browser, server.url + path, {"csrf": csrf, **fields})
        assert "not part of a study you research" in body(browser), path
    assert db.call(lambda s: s.exec(select(ResearchExport)).all()) == []
    assert db.call(lambda s: s.exec(select(ResearchCoding)).all()) == []
    assert db.call(lambda s: s.get(CodingItem, item.id).text) == item.text


def test_a_form_without_its_csrf_token_is_refused(db, research_env, study_cohort, server, browser):
    ready_study(db, research_env, study_cohort, reviewed=False, assigned=False)
    item = _item_with(db, "on the ward")
    sign_in(browser, server, db, research_env, RESEARCHER_A)
    browser.get(f"{server.url}/s/{item.study_id}/review")
    article = browser.find_element(By.ID, f"item-{item.id}")
    select_text(browser, item.id, "ward")
    browser.execute_script(
        "arguments[0].querySelector('input[name=csrf]').remove()",
        article.find_element(By.CSS_SELECTOR, "form.mark-form"),
    )
    press(browser, article.find_element(By.CSS_SELECTOR, "button.redact"))
    assert "Form expired" in body(browser)
    _post(browser, f"{server.url}/s/{item.study_id}/review/ok", {"item": str(item.id), "csrf": "forged"})
    assert "Form expired" in body(browser)
    assert db.call(lambda s: s.exec(select(ItemMark)).all()) == []
    assert db.call(lambda s: s.get(CodingItem, item.id).reviewed_at) is None


def test_the_case_view_and_the_codebook(db, research_env, study_cohort, server, browser):
    ready_study(db, research_env, study_cohort, students=2)
    item = _item_with(db, "out of my depth")
    mine = [i for i in items(db) if i.participant_id == item.participant_id]
    sign_in(browser, server, db, research_env, RESEARCHER_A)
    _open_item(browser, server, item)
    press(browser, browser.find_element(By.ID, "case-link"))
    shown = [int(e.get_attribute("id").split("-")[1]) for e in browser.find_elements(By.CSS_SELECTOR, "article.item")]
    assert shown == [i.id for i in mine]  # one participant's weeks, in order; nobody else's
    assert browser.find_element(By.CSS_SELECTOR, "article.current").get_attribute("id") == f"case-{item.id}"
    assert "P001, week by week" in body(browser)

    browser.get(f"{server.url}/s/{item.study_id}/codebook")
    book = browser.find_element(By.ID, "codebook").text
    assert "Container for vulnerability" in book
    assert str(RESEARCHER_A.telegram_id) not in body(browser)


def test_every_item_on_the_page_marked_reviewed_at_once(db, research_env, study_cohort, server, browser):
    ready_study(db, research_env, study_cohort, reviewed=False, assigned=False)
    study_id = items(db)[0].study_id
    sign_in(browser, server, db, research_env, RESEARCHER_A)
    browser.get(f"{server.url}/s/{study_id}/review")
    assert "5 item(s) wait for review, 0 reviewed" in body(browser)
    browser.find_element(By.ID, "tick-all").click()
    press(browser, browser.find_element(By.ID, "ok-selected"))
    assert "0 item(s) wait for review, 5 reviewed" in body(browser)
    assert all(i.reviewed_by == "web:C1" for i in items(db))


def test_the_lead_assigns_items_and_a_coder_puts_one_aside(db, research_env, study_cohort, server, browser):
    from storage.research_models import Assignment

    ready_study(db, research_env, study_cohort, assigned=False)
    study_id = items(db)[0].study_id
    sign_in(browser, server, db, research_env, RESEARCHER_A)
    browser.get(f"{server.url}/s/{study_id}/code")
    assert "No items here" in body(browser)
    browser.find_element(By.CSS_SELECTOR, "#assign summary").click()
    browser.find_element(By.NAME, "limit").send_keys("3")
    press(browser, browser.find_element(By.ID, "assign-items"))
    assert "3 item(s) assigned (6 assignments)." in browser.find_element(By.ID, "assigned").text
    assert "Not started (3)" in body(browser)
    assert db.call(lambda s: len(s.exec(select(Assignment)).all())) == 6

    first = browser.find_elements(By.CSS_SELECTOR, "table.list td a")[0].text
    press(browser, browser.find_elements(By.CSS_SELECTOR, "table.list td a")[0])
    press(browser, browser.find_element(By.ID, "aside"))
    assert "Put aside (1)" in body(browser) and "Not started (2)" in body(browser)
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "table.list td a")] == [first]
    aside = db.call(lambda s: [a.item_id for a in s.exec(select(Assignment)).all() if a.skipped_at is not None])
    assert aside == [int(first.lstrip("#"))]
    events = db.call(lambda s: [e.action for e in s.exec(select(AuditEvent)).all()])
    assert {"research.assign", "web.aside"} <= set(events)


def _coded_with_an_exemplar(db, env) -> CodingItem:
    """Seed the themes; both coders code "out of my depth" as Naming own feelings and finish; C1 marks it."""
    from bot.research import codebook, coding, themes
    from storage import coding_repo
    from storage.models import Study

    item = _item_with(db, "out of my depth")

    def run(session) -> None:
        s = session.get(Study, item.study_id)
        themes.seed(session, env, s, actor="test")
        rnd = codebook.open_round(session, s.id)
        code = codebook.find_code(session, rnd, "Naming own feelings")
        start = item.text.index("out of my depth")
        for person in (RESEARCHER_A, RESEARCHER_B):
            me = coding_repo.get_coder(session=session, study_id=s.id, telegram_id=person.telegram_id)
            a = coding_repo.get_assignment(session=session, round_id=rnd.id, item_id=item.id, coder_id=me.id)
            row = coding.add_segment(session, env, a, session.get(CodingItem, item.id), code, start, start + 15)
            coding.finish(session, env, a)
            if person is RESEARCHER_A:
                themes.mark_exemplar(session, env, row, me, note="in the student's own words", actor="test")

    db.call(run)
    return item


def test_the_themes_page_shows_a_theme_its_quote_and_its_map(db, research_env, study_cohort, server, browser):
    ready_study(db, research_env, study_cohort)
    item = _coded_with_an_exemplar(db, research_env)
    sign_in(browser, server, db, research_env, RESEARCHER_A)
    browser.get(f"{server.url}/s/{item.study_id}/code")
    press(browser, browser.find_element(By.LINK_TEXT, "Themes"))
    assert browser.find_element(By.CSS_SELECTOR, "h1").text == "Themes, round 1 (open)"
    theme = next(
        t
        for t in browser.find_elements(By.CSS_SELECTOR, "section.theme")
        if "Attunement to encounters" in t.find_element(By.TAG_NAME, "h2").text
    )
    text = theme.text
    assert (
        "Prevalence: 1 item(s) from 1 participant(s) in 1 week(s): 1 private reflection(s), 0 circle turn(s), "
        "0 in-person turn(s); group sessions: 0"
    ) in text
    assert "Attunement to encounters/Naming own feelings 1 1 1 100% –" in text  # κ undefined on one item
    quote = theme.find_element(By.CSS_SELECTOR, "blockquote.quote").text
    assert "out of my depth" in quote
    assert (
        "P001, week 1 (Attunement to encounters/Naming own feelings; marked by C1; in the student's own words)" in quote
    )
    image = browser.find_element(By.ID, "theme-map")
    browser.execute_script("arguments[0].scrollIntoView()", image)
    width = browser.execute_script(
        "const i = arguments[0]; return i.complete ? i.naturalWidth : await new Promise(r => i.onload = "
        "() => r(i.naturalWidth));",
        image,
    )
    assert width > 300  # the PNG came from its route and decoded
    assert str(RESEARCHER_A.telegram_id) not in body(browser)
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot(browser, "themes")
    views = db.call(
        lambda s: [e.detail.get("what") for e in s.exec(select(AuditEvent)).all() if e.action == "web.view"]
    )
    assert {"themes", "theme_map"} <= set(views)
