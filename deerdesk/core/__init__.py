"""DeerDesk's engine: history store, tracker, library, settings and keys. No widgets here."""
