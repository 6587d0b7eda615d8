"""Typer CLI: parses arguments and calls library functions; no pipeline logic lives here."""
