"""The send budget as a service of the Application: started in post_init, stopped before the Application stops."""

from __future__ import annotations

from bot.core.delivery.dispatch import Dispatcher
from bot.core.delivery.send_budget import SendBudget, holder_name
from bot.telegram.context import DB_KEY, BotApp

BUDGET_KEY = "send_budget"


def start(app: BotApp, dispatcher: Dispatcher) -> SendBudget:
    """Compete for the bot's send lease and send what is due whenever this process holds it."""
    budget = SendBudget(app.bot_data[DB_KEY], dispatcher, holder=holder_name(dispatcher.worker))
    app.bot_data[BUDGET_KEY] = budget
    budget.start()
    return budget


async def stop(app: BotApp) -> None:
    """Claim nothing new, finish or hand back what is in flight, give the lease up (a few seconds at most)."""
    budget = app.bot_data.get(BUDGET_KEY)
    if isinstance(budget, SendBudget):
        await budget.stop()
