"""Where the agent keeps its data when the configuration does not say.

In the core, not the CLI: the configuration's defaults need it, and the core never
imports `netagent.agent.cli`.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    """$NETAGENT_DATA_DIR, else $XDG_STATE_HOME/netagent (~/.local/state/netagent)."""
    if env := os.environ.get("NETAGENT_DATA_DIR"):
        return Path(env)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "netagent"
