"""Fixtures of the reliability tests (the helpers live in reliability_helpers)."""

from reliability_helpers import harness_for

__all__ = ["harness_for"]
