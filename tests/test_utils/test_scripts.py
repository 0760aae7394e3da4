"""mmlean.utils.scripts.load_script: a file imported by path, fresh each time."""
import pytest

from mmlean.utils.scripts import load_script


def test_loads_a_file_as_a_fresh_module(tmp_path):
    path = tmp_path / 'my_tool.py'
    path.write_text('import os\nCOUNT = [0]\ndef bump():\n    COUNT[0] += 1\n    return COUNT[0]\n')
    first = load_script(str(path))
    assert first.__name__ == 'my_tool' and first.bump() == 1 and first.bump() == 2
    second = load_script(str(path), 'renamed')
    assert second.__name__ == 'renamed' and second.bump() == 1  # its own state


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='no Python file at .*absent.py'):
        load_script(str(tmp_path / 'absent.py'))
