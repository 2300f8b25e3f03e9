"""Fact sheet and report writing for finished sweeps."""
