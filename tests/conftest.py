"""Shared pytest plugins: fixtures every test directory can use (tests/ is on pythonpath)."""

pytest_plugins = ["support.testengine"]
