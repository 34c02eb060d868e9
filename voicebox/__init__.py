"""Voicebox: an accessible check-in chatbot for young people's voices."""

__version__ = "0.1.0"
