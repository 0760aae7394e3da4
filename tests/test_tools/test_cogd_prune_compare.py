"""tools/cogd/prune_compare.py: every variant prunes to the same channel counts (equal
MACs, counted by hand), starts from the same unpruned network, and a wrong variant or
config is named; the digits-on-photos configs mask the convs HRank's row prunes."""
import json
import os.path as osp

import pytest

from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tool():
    return load_script(osp.join(ROOT, 'tools', 'cogd', 'prune_compare.py'), 'prune_compare')


def _resnet20_macs(conv1_keep=1.0):
    """CIFAR ResNet-20 (option-A shortcuts) conv + linear MACs at 32x32, each block's conv1
    keeping ``conv1_keep`` of its channels; unpruned: 40.55M, the published count. The
    linear layer's bias adds count as MACs (ptflops' convention, as the tool's counter)."""
    macs = 3 * 16 * 9 * 32 * 32
    cin = 16
    for width, side in ((16, 32), (32, 16), (64, 8)):
        for _ in range(3):
            mid = int(width * conv1_keep)
            macs += (cin * mid + mid * width) * 9 * side * side
            cin = width
    return macs + 64 * 10 + 10


def test_variants_prune_to_equal_macs(tmp_path):
    assert _resnet20_macs() == 40_551_050
    out = str(tmp_path / 'compare')
    _tool().main(['--pretrain-epochs', '1', '--mask-epochs', '1', '--ft-epochs', '1',
                  '--variants', 'prox-SGD,CoGD', '--seeds', '0', '--out', out])
    with open(osp.join(out, 'results.json')) as f:
        rows = json.load(f)['rows']
    assert [r['variant'] for r in rows] == ['prox-SGD', 'CoGD']
    for r in rows:
        assert r['full_macs'] == _resnet20_macs()
        assert r['macs'] == _resnet20_macs(conv1_keep=0.5)  # prune_rate 0.5 on every conv1
        assert 0 <= r['finetuned_acc'] <= 100
    assert rows[0]['unpruned_acc'] == rows[1]['unpruned_acc']  # the same start
    # the tool's network sees the inputs tools/train.py / tools/test.py feed it (the
    # config's top-level data_preprocessor): the Runner scores its saved start the same
    assert _runner_accuracy(osp.join(out, 'pretrained_seed0.pth'), tmp_path) == pytest.approx(
        rows[0]['unpruned_acc'], abs=1e-4)


def _runner_accuracy(checkpoint, tmp_path):
    from mmengine.runner import Runner

    from mmlean.utils.config import load_config
    cfg = load_config(osp.join(ROOT, 'configs', 'cogd', 'cogd_resnet20_1xb64-10e_digits.py'))
    cfg.model = cfg.model.architecture
    cfg.model.pop('init_cfg')
    cfg.merge_from_dict(dict(work_dir=str(tmp_path / 'runner'), load_from=checkpoint,
                             custom_hooks=[], log_level='WARNING'))
    return Runner.from_cfg(cfg).test()['accuracy/top1']


def test_unknown_variant_is_named(tmp_path):
    with pytest.raises(SystemExit, match='Adam'):
        _tool().main(['--variants', 'CoGD,Adam', '--out', str(tmp_path)])


@pytest.mark.parametrize('config', ['cogd_resnet20_1xb64-4e_digits-on-photos.py',
                                    'softmask-sgd_resnet20_1xb64-4e_digits-on-photos.py'])
def test_photo_configs_mask_every_block_conv1(config):
    from mmengine.registry import init_default_scope
    from mmrazor.registry import MODELS

    import mmlean.projects.cogd  # noqa: F401
    from mmlean.utils.config import load_config
    cfg = load_config(osp.join(ROOT, 'configs', 'cogd', config))
    assert cfg.train_dataloader.dataset.type == 'DigitsOnPhotosDataset'
    cfg.model.architecture.pop('init_cfg')
    init_default_scope('mmpretrain')
    algo = MODELS.build(cfg.model)
    assert sorted(algo.masks()) == sorted(
        f'backbone.layer{s}.{b}.conv1' for s in (1, 2, 3) for b in range(3))
    assert (algo.l1_loss > 0) == config.startswith('softmask-sgd')
