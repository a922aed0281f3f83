"""`west smh-boot` with the real west from PyPI, over a workspace made of local git
repositories (file:// URLs, no network): the manifest lists a zephyr repository (the fixture
tree) and this project with `west-commands: west-commands.yml`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smh_boot.west_command import with_defaults

from .conftest import DATA, ZBASE

ROOT = Path(__file__).resolve().parents[2]
WEST = shutil.which("west", path=str(Path(sys.executable).parent)) or shutil.which("west")
pytestmark = pytest.mark.skipif(WEST is None or shutil.which("git") is None,
                                reason="needs west (the test extra) and git")


def _git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "-c", "init.defaultBranch=main", *args], cwd=cwd, check=True,
                   capture_output=True)


def _repo(path: Path) -> str:
    _git(path, "init", "-q")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "fixture")
    return path.resolve().as_uri()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("west")
    remotes = tmp / "remotes"
    shutil.copytree(ZBASE, remotes / "zephyr")
    tool = remotes / "smh-boot"
    (tool / "smh_boot").mkdir(parents=True)
    shutil.copy(ROOT / "west-commands.yml", tool)
    shutil.copy(ROOT / "smh_boot" / "west_command.py", tool / "smh_boot")
    zurl, turl = _repo(remotes / "zephyr"), _repo(tool)
    ws = tmp / "ws"
    (ws / "manifest").mkdir(parents=True)
    (ws / "manifest" / "west.yml").write_text(f"""\
manifest:
  projects:
    - name: zephyr
      url: {zurl}
      revision: main
    - name: smh-boot
      url: {turl}
      revision: main
      path: tools/smh-boot
      west-commands: west-commands.yml
  self:
    path: manifest
""")
    _repo(ws / "manifest")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("ZEPHYR_BASE", None)
    subprocess.run([WEST, "init", "-l", "manifest"], cwd=ws, check=True, capture_output=True, env=env)
    subprocess.run([WEST, "update"], cwd=ws, check=True, capture_output=True, env=env)
    app = ws / "app"
    shutil.copytree(DATA / "builds" / "h747_m7", app / "build")
    shutil.copy(DATA / "app64" / "app.overlay", app / "app.overlay")
    return ws, env


def _west(ws, env, cwd, *args):
    return subprocess.run([WEST, "smh-boot", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_west_boots_the_build_dir_by_default(workspace):
    ws, env = workspace
    p = _west(ws, env, ws / "app", "boot")
    assert p.returncode == 0, p.stderr
    assert "booting stm32h747i_disco/stm32h747xx/m7" in p.stdout
    assert "inferred: build directory build (board stm32h747i_disco/stm32h747xx/m7)" in p.stdout


def test_west_finds_the_workspace_zephyr(workspace):
    ws, env = workspace
    p = _west(ws, env, ws / "app", "regions", "qemu_cortex_a53", "--overlay", "app.overlay")
    assert p.returncode == 0, p.stderr
    assert "RES0" in p.stdout and "RES1" in p.stdout
    p = _west(ws, env, ws / "app", "boot", "stm32h747i_disco/stm32h747xx/m3")
    assert p.returncode == 2 and "valid targets: stm32h747i_disco/stm32h747xx/m7" in p.stderr


def test_west_passes_exit_status_and_help(workspace):
    ws, env = workspace
    p = _west(ws, env, ws, "--help")
    assert p.returncode == 0 and "boot" in p.stdout and "regions" in p.stdout
    p = _west(ws, env, ws, "boot", "-d", "nowhere")
    assert p.returncode == 2 and "build directory does not exist" in p.stderr


def test_defaults_only_where_the_user_gave_none(tmp_path):
    b = tmp_path / "build"
    (b / "zephyr").mkdir(parents=True)
    (b / "zephyr" / ".config").write_text("")
    assert with_defaults(["boot"], "/z", str(b)) == ["boot", "--zephyr-base", "/z", "--build-dir", str(b)]
    assert with_defaults(["boot", "my.dts"], "/z", str(b)) == ["boot", "my.dts", "--zephyr-base", "/z"]
    assert with_defaults(["boot", "--overlay", "a.overlay"], None, str(b)) == \
        ["boot", "--overlay", "a.overlay", "--build-dir", str(b)]
    assert with_defaults(["boot", "--zephyr-base", "/y", "-d", "x"], "/z", str(b)) == \
        ["boot", "--zephyr-base", "/y", "-d", "x"]
    assert with_defaults(["boards"], "/z", str(b)) == ["boards"]
    assert with_defaults(["boot"], None, str(tmp_path / "none")) == ["boot"]


def test_every_target_command_defaults_to_the_build(tmp_path):
    # user trial: fit and diff ran on the shipped default board while boot/map used build/
    b = tmp_path / "build"
    (b / "zephyr").mkdir(parents=True)
    (b / "zephyr" / ".config").write_text("")
    for cmd in ("boot", "validate", "regions", "map", "fit", "diff"):
        assert with_defaults([cmd], None, str(b)) == [cmd, "--build-dir", str(b)], cmd
    assert with_defaults(["fit", "--trace", "t.json", "--margin", "20%"], None, str(b)) == \
        ["fit", "--trace", "t.json", "--margin", "20%", "--build-dir", str(b)]
    assert with_defaults(["fit", "my_board"], None, str(b)) == ["fit", "my_board"]
    # diff: the build is side B when only A is named (a saved report against the build) ...
    assert with_defaults(["diff", "base.json", "--json"], None, str(b)) == \
        ["diff", "base.json", "--json", str(b)]
    # ... but not when --overlay-b asks for A again, nor when both sides are named
    assert with_defaults(["diff", "a", "--overlay-b", "x.overlay"], None, str(b)) == \
        ["diff", "a", "--overlay-b", "x.overlay"]
    assert with_defaults(["diff", "a", "b"], None, str(b)) == ["diff", "a", "b"]


def test_west_fit_and_diff_use_the_build(in_data, tmp_path, monkeypatch, capsys):
    import json as _json

    from smh_boot.cli import main

    monkeypatch.chdir(in_data)
    argv = with_defaults(["fit", "--json", "--no-search"], None, "builds/h747_m7")
    assert main(argv) == 0
    assert _json.loads(capsys.readouterr().out)["board"] == "stm32h747i_disco/stm32h747xx/m7"
    report = tmp_path / "base.json"
    assert main(["boot", "--build-dir", "builds/h747_m7", "--json"]) == 0
    report.write_text(capsys.readouterr().out)
    argv = with_defaults(["diff", str(report), "--json"], None, "builds/h747_m7")
    assert main(argv) == 0
    doc = _json.loads(capsys.readouterr().out)
    assert doc["changes"] == [] and doc["b"] == "stm32h747i_disco/stm32h747xx/m7"
