"""The classroom demo (issue 12): a Mesa SolaraViz page served on localhost, offline.

``regroup demo [SCENARIO.yaml]`` calls :func:`serve`. The page's code is in
:mod:`regroup.demo.app`, its model wiring (testable without a browser) in
:mod:`regroup.demo.wiring`, its charts in :mod:`regroup.demo.views`, and the front-end files
Solara would fetch from a CDN are installed from the npm registry by
:mod:`regroup.demo.assets` (``python -m regroup.demo.assets``, run by ``make``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Solara: no telemetry, no update checks; set before solara is imported anywhere
QUIET_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_TELEMETRY_SERVER_USER_ID": "regroup-demo",
    "SOLARA_CHECK_HOOKS": "off",
}


def demo_env(scenario: Path | None = None) -> dict[str, str]:
    """The environment the demo's server runs in (telemetry off, the scenario to open)."""
    env = dict(os.environ)
    env.update(QUIET_ENV)
    if scenario is not None:
        env["REGROUP_DEMO_SCENARIO"] = str(Path(scenario).resolve())
    else:
        env.pop("REGROUP_DEMO_SCENARIO", None)
    return env


def serve(scenario: Path | None = None, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Replace this process with Solara's server for the demo page (never returns).

    The scenario must already be validated by the caller. The front-end files must be in
    Solara's asset cache (``python -m regroup.demo.assets``), or the page stays blank offline.
    """
    args = [
        sys.executable,
        "-m",
        "solara",
        "run",
        "regroup.demo.app",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]
    os.execve(sys.executable, args, demo_env(scenario))
