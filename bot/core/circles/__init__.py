"""Balint circles: asynchronous Balint groups through the bot's private chats.

``setup`` creates circles and holds the third consent (joining); ``week`` runs a week's phases (presenter,
case, questions, push-back, response, close); ``relay`` is the outbox that copies every post to every member's
chat in one order; ``chat`` is what the transport calls. No Telegram here.
"""
