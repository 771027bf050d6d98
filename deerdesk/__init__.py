"""DeerDesk: text-to-sound-effect generation through the Kling text-to-audio service."""

__version__ = "0.1.0"
