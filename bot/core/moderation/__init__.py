"""Pure moderation decisions: no Telegram imports, no I/O, every clock injected.

The Telegram side (`bot/enforcement/`, `bot/handlers/moderation/`) asks these modules what to
do and then does it; the tests in `tests/test_moderation_core.py` pin every decision down.
"""
