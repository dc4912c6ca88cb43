"""Repository verbs for the web workbench's sign-in tables."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from storage.research_models import CodingItem, Memo
from storage.web_models import WebLink, WebSession


def add_link(*, session: Session, link: WebLink) -> WebLink:
    session.add(link)
    session.flush()
    return link


def get_link(*, session: Session, token_hash: str) -> WebLink | None:
    return session.exec(select(WebLink).where(WebLink.token_hash == token_hash).with_for_update()).first()


def add_session(*, session: Session, web_session: WebSession) -> WebSession:
    session.add(web_session)
    session.flush()
    return web_session


def get_session(*, session: Session, token_hash: str) -> WebSession | None:
    return session.exec(select(WebSession).where(WebSession.token_hash == token_hash)).first()


def queue_page(*, session: Session, study_id: int, reviewed: bool, offset: int, limit: int) -> Sequence[CodingItem]:
    """Return one page of a study's queued items, reviewed or not, oldest first."""
    column = col(CodingItem.reviewed_at)
    return session.exec(select(CodingItem).where(
        CodingItem.study_id == study_id, col(CodingItem.excluded_at).is_(None),
        column.is_not(None) if reviewed else column.is_(None))
        .order_by(col(CodingItem.id)).offset(offset).limit(limit)).all()


def memos_on_item(*, session: Session, item_id: int, coder_id: int) -> Sequence[Memo]:
    """Return a coder's memos on an item, oldest first."""
    return session.exec(select(Memo).where(Memo.item_id == item_id, Memo.coder_id == coder_id)
                        .order_by(col(Memo.id))).all()
