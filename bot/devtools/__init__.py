"""Tools for trying the bot without Telegram: the Bot API emulator behind ``balint emulator`` and the tests."""
