"""The places a sandboxed command must not see: m2bridge's own data and the user's credentials.

`M2BRIDGE_HOME` holds the sessions database and the MCP HTTP token; the user config may hold the API key.
The rest are where common tools keep keys and tokens. A path inside a root the user opened stays visible:
the user chose to show it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import platformdirs

from m2bridge.config import user_config_path

__all__ = ["hidden_paths"]

# Relative to the home folder: folders and files of credentials.
_CREDENTIALS = (
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".kube",
    ".docker",
    ".config/gh",
    ".config/hub",
    ".config/op",
    ".password-store",
    ".local/share/keyrings",
    ".terraform.d",
    ".vault-token",
    ".netrc",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".yarnrc",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".m2/settings.xml",
    ".config/pip",
    ".gem/credentials",
)


def _m2bridge_paths(env: Mapping[str, str]) -> list[Path]:
    config = user_config_path(env)
    found = [
        Path(platformdirs.user_data_dir("m2bridge")),
        Path(platformdirs.user_config_dir("m2bridge")),
        config.parent if config.name == "config.toml" and config.parent.name == "m2bridge" else config,
    ]
    if env.get("M2BRIDGE_HOME"):
        found.append(Path(env["M2BRIDGE_HOME"]).expanduser())
    return found


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def hidden_paths(roots: Iterable[Path], env: Mapping[str, str] | None = None) -> list[Path]:
    """The existing secret paths (real paths, no duplicates) outside `roots`, outermost first."""
    env = os.environ if env is None else env
    home = Path(env.get("HOME") or Path.home())
    candidates = [*_m2bridge_paths(env), *(home / name for name in _CREDENTIALS)]
    roots = [Path(os.path.realpath(root)) for root in roots]
    found: list[Path] = []
    for candidate in candidates:
        real = Path(os.path.realpath(candidate))
        if not os.path.lexists(real) or any(_within(real, root) for root in roots):
            continue
        if real not in found:
            found.append(real)
    found.sort(key=lambda p: len(p.parts))
    # A path inside one already hidden needs nothing more (and could not be mounted over).
    return [p for i, p in enumerate(found) if not any(_within(p, q) for q in found[:i])]
