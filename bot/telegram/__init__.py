"""The Telegram transport: handlers, keyboards, application wiring, the error handler."""

import os

# Time periods as timedelta (PTB 22's announced default), so reading RetryAfter.retry_after raises no warning.
os.environ.setdefault("PTB_TIMEDELTA", "true")
