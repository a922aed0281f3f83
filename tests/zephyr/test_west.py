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
