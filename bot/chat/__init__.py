"""The chat's entry points for every role, shared by Telegram and the terminal sandbox.

``student``: /start, text, edits, the student's commands; ``buttons``: every button press routed to the domain
function that owns its action; ``research``: the researcher's messages that fall back to the student side.
This layer may import ``bot.core`` and ``bot.research``; neither of them imports it.
"""
