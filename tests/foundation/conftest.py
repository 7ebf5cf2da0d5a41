"""Fixtures of the foundation tests (the isolation world lives in foundation_world.py)."""

from foundation_world import world  # noqa: F401  (fixture)
