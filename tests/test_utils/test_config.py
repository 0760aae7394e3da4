"""Boundary checks of mmlean.utils.config."""
import pytest
from mmengine.config import Config

from mmlean.utils.config import ConfigError, load_config
from mmlean.utils.dataset_check import check_dataset_paths


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_cfg_options_typo_suggests_and_new_leaf_allowed(tmp_path):
    path = write(tmp_path, 'a.py', 'train_cfg = dict(max_epochs=3)\nmodel = dict(type="X")\n')
    with pytest.raises(ConfigError, match="no key 'max_epoch'; did you mean max_epochs"):
        load_config(path, {'train_cfg.max_epoch': 4})
    with pytest.raises(ConfigError, match="no key 'optim'"):
        load_config(path, {'optim.lr': 0.1})  # a missing parent is always an error
    cfg = load_config(path, {'model.init_cfg': None, 'train_cfg.max_epochs': 5})
    assert cfg.train_cfg.max_epochs == 5 and 'init_cfg' in cfg.model


def test_list_index_options(tmp_path):
    path = write(tmp_path, 'b.py', 'pipeline = [dict(type="A"), dict(type="B")]\n')
    assert load_config(path, {'pipeline.1.type': 'C'}).pipeline[1].type == 'C'
    with pytest.raises(ConfigError, match='not an index'):
        load_config(path, {'pipeline.5.type': 'C'})


def test_unparsable_and_missing_config(tmp_path):
    with pytest.raises(ConfigError, match='config file not found'):
        load_config(str(tmp_path / 'nope.py'))
    bad = write(tmp_path, 'bad.py', 'model = dict(\n')
    with pytest.raises(ConfigError, match='cannot parse'):
        load_config(bad)


def test_dataset_paths_name_field_and_format(tmp_path):
    (tmp_path / 'coco').mkdir()
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(
            type='RepeatDataset', times=2,
            dataset=dict(type='CocoDataset', data_root=str(tmp_path / 'coco'),
                         ann_file='annotations/train.json', data_prefix=dict(img='train/')))),
        val_dataloader=dict(dataset=dict(type='CIFAR10', data_root=str(tmp_path)))))
    with pytest.raises(ConfigError) as info:
        check_dataset_paths(cfg, 'my.py', ('train_dataloader',))
    msg = str(info.value)
    assert 'train_dataloader.dataset.dataset.ann_file' in msg and 'train.json' in msg
    assert 'instances json' in msg
    with pytest.raises(ConfigError, match='cifar-10-batches-py'):
        check_dataset_paths(cfg, 'my.py', ('val_dataloader',))
    (tmp_path / 'cifar-10-batches-py').mkdir()
    check_dataset_paths(cfg, 'my.py', ('val_dataloader',))  # now fine


SEARCH = 'configs/bnas/bnas_xnor-w1a32_supernet-c16-l8_1xb256-search_cifar10.py'
SEARCH_LOADERS = ('train_dataloader', 'train_cfg.mutator_dataloader', 'train_cfg.eval_dataloader')


def _at(cfg, dotted):
    node = cfg
    for key in dotted.split('.'):
        node = node[key]
    return node


def test_data_root_option_moves_every_copy_of_a_real_search_config(repo_root):
    """The CIFAR-10 search copies its data into three loaders (two inside train_cfg, which
    the search loop reads); data_root=DIR reaches all of them."""
    import os.path as osp
    cfg = load_config(osp.join(repo_root, SEARCH), {'data_root': '/my/cifar'})
    for loader in SEARCH_LOADERS:
        assert _at(cfg, loader).dataset.dataset.data_root == '/my/cifar', loader
    plain = load_config(osp.join(repo_root, SEARCH))
    for loader in SEARCH_LOADERS:
        assert _at(plain, loader).dataset.dataset.data_root == 'data/cifar10', loader


def test_variable_options_reach_same_named_copies(repo_root):
    import os.path as osp
    cfg = load_config(osp.join(repo_root, SEARCH), {
        'train_portion': 0.3, 'mutator_dataloader.batch_size': 7})
    for loader in SEARCH_LOADERS:
        assert _at(cfg, loader).dataset.train_portion == 0.3, loader
    assert cfg.train_cfg.mutator_dataloader.batch_size == 7
    assert cfg.train_cfg.eval_dataloader.batch_size == 512  # a variant, not a copy
    assert cfg.train_dataloader.batch_size == 256


def test_explicit_keys_win_and_runner_strings_stay(tmp_path):
    path = write(tmp_path, 'c.py', '\n'.join([
        "default_scope = 'mmpretrain'", "data_root = 'data/x'",
        "model = dict(_scope_='mmpretrain', type='M')",
        "train_dataloader = dict(dataset=dict(data_root=data_root, ann_file=data_root + '/a.txt'))",
        "val_dataloader = dict(dataset=dict(data_root=data_root))"]))
    cfg = load_config(path, {'data_root': '/d', 'val_dataloader.dataset.data_root': '/v'})
    assert cfg.train_dataloader.dataset.data_root == '/d'
    assert cfg.train_dataloader.dataset.ann_file == '/d/a.txt'  # a path under the root
    assert cfg.val_dataloader.dataset.data_root == '/v'  # the user's own key
    cfg = load_config(path, {'default_scope': 'mmdet'})
    assert cfg.model._scope_ == 'mmpretrain'  # the runner's own key is not propagated


def test_a_real_argument_the_config_leaves_default_is_not_a_typo(repo_root):
    """train_cfg.eval_max_iters is close to train_cfg.eval_dataloader, but it is an argument
    of the search loop (its class is looked up), so it is allowed."""
    import os.path as osp
    cfg = load_config(osp.join(repo_root, SEARCH), {'train_cfg.eval_max_iters': 1})
    assert cfg.train_cfg.eval_max_iters == 1
    with pytest.raises(ConfigError, match='did you mean'):
        load_config(osp.join(repo_root, SEARCH), {'train_cfg.eval_max_iter': 1})
