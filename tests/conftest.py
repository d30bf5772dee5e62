"""Shared pytest plugins: fixtures every test directory can use (tests/ is on pythonpath).

Property tests guard safety rules (promotion, claims, outside text): under CI (CI set) they run
derandomized, so a run is reproducible and cannot pass by the luck of its draw; locally they keep
exploring new examples.
"""

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

if str(Path(__file__).resolve().parent) not in sys.path:  # `support` importable even without pythonpath
    sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest_plugins = ["support.testengine", "support.postgres", "support.clirunner", "support.projectwriter"]

# No per-example deadline anywhere: a deadline is a timed assertion, and on a loaded 2-core machine it fails
# tests whose code is right (speed is measured in bench/, never asserted here).
settings.register_profile("local", deadline=None)
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "local")
