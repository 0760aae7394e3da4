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
