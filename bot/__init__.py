"""A Telegram help bot for people who have moved to Kazakhstan."""
