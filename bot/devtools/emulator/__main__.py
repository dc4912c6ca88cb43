"""Run the Bot API emulator standalone: ``python -m bot.devtools.emulator --port 8081 [--limits]``.

Point the bot at it (in another terminal)::

    TELEGRAM_API_BASE_URL=http://127.0.0.1:8081/bot TELEGRAM_BOT_TOKEN=123456:EMULATOR <start the bot>

(``TELEGRAM_API_BASE_URL`` is passed to ``ApplicationBuilder().base_url``; PTB appends the token.)
Then act as a student from a third terminal, scripted or interactively::

    python -m bot.devtools.emulator.client --url http://127.0.0.1:8081 --user 1001 "/start CODE" "Hello"
    python -m bot.devtools.emulator.client --url http://127.0.0.1:8081 --user 1001

or with plain HTTP against the control endpoints (see :mod:`bot.devtools.emulator.control`)::

    curl -d '{"user_id": 1001, "text": "/start CODE"}' http://127.0.0.1:8081/_emu/send_text
    curl 'http://127.0.0.1:8081/_emu/messages?chat_id=1001'

``--limits`` enforces Telegram's flood control (30 messages/s overall, 1 message/s per chat by
default) so 429 handling can be tried out by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .server import BotAPIEmulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.devtools.emulator", description="Telegram Bot API emulator")
    parser.add_argument("--port", type=int, default=8081, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--token", default="123456:EMULATOR", help="the only bot token accepted")
    parser.add_argument("--bot-username", default="balint_test_bot")
    parser.add_argument("--limits", action="store_true", help="enforce flood control (answer 429)")
    parser.add_argument("--global-rate", type=float, default=30.0, help="messages/s for the whole bot")
    parser.add_argument("--per-chat-rate", type=float, default=1.0, help="messages/s per chat")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    emu = BotAPIEmulator(
        args.token,
        bot_username=args.bot_username,
        enforce_limits=args.limits,
        global_rate=args.global_rate,
        per_chat_rate=args.per_chat_rate,
    )
    await emu.start(args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print(f"Bot API emulator listening on {emu.base_url}", flush=True)
    print(f"  token:            {args.token}")
    print(f"  base file url:    {emu.base_file_url}")
    print(f"  control endpoint: {emu.control_url}")
    print(f"  limits:           {'on' if args.limits else 'off'}")
    print(f"Run the bot with TELEGRAM_API_BASE_URL={emu.base_url} TELEGRAM_BOT_TOKEN={args.token}")
    print(f"Act as a student:  python -m bot.devtools.emulator.client --url http://127.0.0.1:{emu.port} --user 1001")
    print("Ctrl-C stops the emulator.", flush=True)
    try:
        await stop.wait()
    finally:
        await emu.stop()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(_serve(_parser().parse_args(argv)))


if __name__ == "__main__":
    main()
