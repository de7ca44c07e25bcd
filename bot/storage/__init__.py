"""Accord's own tables (cases, transcripts, inbox, staff), SQLAlchemy 2.0 style on 1.4."""
