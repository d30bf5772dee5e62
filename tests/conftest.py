"""Shared pytest plugins: fixtures every test directory can use (tests/ is on pythonpath)."""

import sys
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # `support` importable even without pythonpath
    sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest_plugins = ["support.testengine", "support.postgres", "support.clirunner"]
