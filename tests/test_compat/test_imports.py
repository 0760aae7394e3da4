"""All four downstream codebases' models import together on today's torch."""
import subprocess
import sys

import pytest


def test_all_codebases_import_in_one_process():
    code = ('import mmlean\n'
            'import mmdet.models, mmpretrain.models, mmagic.models, mmrazor.models\n'
            'from mmrazor.models import Darts, ItePruneAlgorithm\n'
            'from mmrazor.models.mutators import ChannelMutator\n'
            'from mmrazor.models.losses import ATLoss\n'
            'print("ok")\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith('ok')


def test_compat_is_idempotent():
    import mmlean.compat as compat
    first = compat.applied()
    assert compat.apply_all() == first
    for name in ('checkpoint', 'atomic_write', 'distributed', 'mmrazor', 'numpy_aliases'):
        assert name in first


def test_numpy_alias_only_added_when_missing():
    import types

    import numpy as np

    from mmlean.compat import numpy_aliases

    # numpy 1.x here: bool8 exists, nothing to do
    assert numpy_aliases.apply(np) is False
    numpy2 = types.ModuleType('fake_numpy2')  # numpy 2 has bool_ but no bool8
    numpy2.bool_ = np.bool_
    assert numpy_aliases.apply(numpy2) is True
    assert numpy2.bool8 is np.bool_
    assert numpy_aliases.apply(numpy2) is False


def test_mmcls_alias_serves_mmpretrain_objects():
    pytest.importorskip('mmpretrain')
    import mmlean  # noqa: F401  (first: it installs the mmcls alias)
    # isort: split
    from mmcls.datasets.transforms import PackClsInputs
    from mmcls.structures import ClsDataSample
    from mmpretrain.datasets.transforms import PackInputs
    from mmpretrain.structures import DataSample
    assert ClsDataSample is DataSample
    assert PackClsInputs is PackInputs
