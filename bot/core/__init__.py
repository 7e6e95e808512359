"""The pure core: knowledge loading, text normalisation and matching. No Telegram imports here."""
