"""The code stays ruff clean, type-checked (mypy) and one-directional (import-linter)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from voicebox.channels.registry import build_channels, channel_packages

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]'")
    return found


def test_ruff_finds_nothing():
    """ruff check passes on the whole tree."""
    result = subprocess.run(
        [_tool("ruff"), "check", "--quiet", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [["voicebox"], ["--strict", "voicebox/bot", "voicebox/flows"]],
    ids=["package", "strict-engine-and-flows"],
)
def test_types_check(args):
    """mypy passes on the whole package, and in strict mode on the engine and the flows."""
    result = subprocess.run(
        [_tool("mypy"), "--no-error-summary", *args], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _ini_value(value) -> str:
    if isinstance(value, list):
        return "".join(f"\n    {item}" for item in value)
    return str(value)


def import_contracts(config: dict) -> str:
    """pyproject's import-linter contracts, plus one made from the channel registry, as INI."""
    contracts = [
        *config["contracts"],
        {
            "name": "Channels never import each other (the registry's channels)",
            "type": "independence",
            "modules": channel_packages(),
        },
    ]
    lines = ["[importlinter]"]
    lines += [f"{k} = {_ini_value(v)}" for k, v in config.items() if k != "contracts"]
    for number, contract in enumerate(contracts, start=1):
        lines.append(f"\n[importlinter:contract:{number}]")
        lines += [f"{k} = {_ini_value(v)}" for k, v in contract.items()]
    return "\n".join(lines) + "\n"


def test_layers_are_kept(tmp_path):
    """import-linter keeps every contract: pyproject.toml's and the channels' independence."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ini = tmp_path / "importlinter.ini"
    ini.write_text(import_contracts(config["tool"]["importlinter"]), encoding="utf-8")
    result = subprocess.run(
        [_tool("lint-imports"), "--config", str(ini)], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.split("Contracts:")[-1].replace("0 broken", "")
    assert "Channels never import each other" in result.stdout


def test_every_channel_package_is_registered():
    """A channel package that is not in the registry would escape the independence contract."""
    shared = {"base", "registry", "text", "__init__"}
    found = {
        f"voicebox.channels.{path.stem}"
        for path in (ROOT / "voicebox" / "channels").iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists()) and path.stem not in shared
    }
    assert found == set(channel_packages())
    assert set(build_channels({})) == {"sms", "telegram", "web", "console"}


def test_storage_knows_no_channel():
    """No module under storage/ is named after a channel."""
    names = set(build_channels({}))
    modules = {path.stem for path in (ROOT / "voicebox" / "storage").rglob("*.py")}
    assert not [m for m in modules if any(name in m.split("_") for name in names)]
