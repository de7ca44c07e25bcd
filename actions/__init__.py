"""Accord's custom actions, served by `rasa run actions` (rasa_sdk finds every module)."""
