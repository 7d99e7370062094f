"""Run crongate as a subprocess, the way CI and users run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "convex-app"

# Variables that would point crongate at a real deployment or change its output.
_SCRUBBED = (
    "CONVEX_URL", "CONVEX_SELF_HOSTED_URL", "CONVEX_DEPLOY_KEY", "CONVEX_DEPLOYMENT_TOKEN",
    "CONVEX_SELF_HOSTED_ADMIN_KEY", "CONVEX_DEPLOYMENT", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY",
    "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_SHA", "GITHUB_REPOSITORY", "GITHUB_SERVER_URL", "GITHUB_WORKSPACE",
    "NO_COLOR",
)


def crongate_env(**overrides: str) -> dict[str, str]:
    """Return an environment with no Convex or GitHub settings but ``overrides``."""
    env = {key: value for key, value in os.environ.items() if key not in _SCRUBBED}
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.update(overrides)
    return env


def run_crongate(*args: str | Path, cwd: Path | None = None, timeout: float = 120,
                 **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m crongate ARGS`` and return the finished process with its text output."""
    return subprocess.run(
        [sys.executable, "-m", "crongate", *map(str, args)],
        cwd=cwd or REPO,
        env=crongate_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
