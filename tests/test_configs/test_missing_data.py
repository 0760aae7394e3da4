"""Missing or malformed data fails in one line from tools/train.py and tools/test.py, naming
the path, the dataset type and the layout that type expects: for every dataset type the
configs read, with the config as shipped and its own ``data_root`` (here: an empty folder
where ``data/`` should be, or a mini set with one file broken)."""
import os
import os.path as osp
import shutil

import pytest

from mmlean.utils.dataset_check import DATASET_FORMATS

# dataset type -> (a config that reads it, the path it expects, words of the layout)
MISSING = {
    'CIFAR10': ('rbnn/rbnn_resnet20-1w1a_1xb256-1000e_cifar10.py',
                'data/cifar10', 'cifar-10-batches-py'),
    'MNIST': ('abanditnas/abanditnas-6_c16l6-pgd40_1xb128-100e_mnist.py',
              'data/mnist', 'the unpacked .gz files'),
    'ImageNet': ('rbnn/rbnn_resnet18-bireal-1w1a_4xb128-150e_in1k.py',
                 'data/imagenet', 'meta/{train,val}.txt'),
    'CocoDataset': ('iff/retinanet_r50_fpn_1x_coco.py', 'data/coco/', 'instances json'),
    'VOCDataset': ('iff/ssd300_voc0712.py', 'data/VOCdevkit/', 'VOC2007'),
    'BasicImageDataset (training)': ('pams/edsr-fp_x2c64b16_1xb16-300k_div2k.py',
                                     'data/DIV2K', 'meta_info_DIV2K800sub_GT.txt'),
    'BasicImageDataset (test sets)': ('pams/edsr-fp_x2c64b16_1xb16-300k_div2k.py', 'data/Set5',
                                      'low resolution, same names'),
    'TinyPersonDataset': ('tinyperson/retinanet_r50_fpn_1xb2-12e_tinyperson640.py',
                          'data/tiny_set/', 'tinyperson_cut.py'),
    'CrowdCountingDataset': ('nascount/nascount_amsnet-searched_1xb4-400e_shanghaitech-a.py',
                             'data/ShanghaiTech/part_A', 'GT_IMG_<n>.mat'),
    'CrowdCountingDataset (UCF-QNRF)': (
        'nascount/nascount_amsnet-searched_1xb4-400e_ucf-qnrf.py', 'data/UCF-QNRF_ECCV18',
        'img_<nnnn>_ann.mat'),
    'CrowdCountingDataset (UCF_CC_50)': (
        'nascount/nascount_amsnet-searched_1xb4-400e_ucf-cc-50.py', 'data/UCF_CC_50',
        '<n>_ann.mat'),
    # the loops' own dataloaders are checked too (the CIFAR-10 search's split)
    'CIFAR10 (search split)': ('bnas/bnas_xnor-w1a32_supernet-c16-l8_1xb256-search_cifar10.py',
                               'data/cifar10', 'cifar-10-batches-py'),
}


def _one_line_error(code, err, script):
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == 2, (code, err[-2000:])
    assert 'Traceback' not in err, err[-3000:]
    assert lines and lines[-1].startswith(f'{script}: error: '), err[-2000:]
    return lines[-1]


@pytest.fixture(scope='module')
def empty_root(tmp_path_factory, tools):
    """Where a user who has not put the data in place runs the commands."""
    root = tmp_path_factory.mktemp('no_data')
    (root / 'data').mkdir()
    runner = type(tools)(root)
    checkpoint = root / 'any.pth'
    import torch
    torch.save({'state_dict': {}}, str(checkpoint))
    return runner, str(checkpoint)


@pytest.mark.parametrize('kind', sorted(MISSING))
def test_missing_data_is_one_line(kind, empty_root, config_file):
    runner, checkpoint = empty_root
    config, path, layout = MISSING[kind]
    ds_type = kind.split(' ')[0]
    runs = [('train.py', [config_file(config), '--work-dir',
                          osp.join(runner.root, 'work_dirs', 'x')]),
            ('test.py', [config_file(config), checkpoint])]
    if 'search' in config or 'training' in kind:
        runs = runs[:1]  # a search has no test set; the SR tests read other sets (below)
    if 'test sets' in kind:
        runs = runs[1:]
    for script, argv in runs:
        line = _one_line_error(*runner(script, *argv), script)
        assert path.rstrip('/') in line and ds_type in line and layout in line, line


def test_every_type_has_a_layout():
    assert set(k.split(' ')[0] for k in MISSING) - {'CrowdCountingDataset'} <= \
        set(DATASET_FORMATS)


def _broken_copy(mini_root, tmp_path, name):
    root = tmp_path / 'root'
    (root / 'data').mkdir(parents=True)
    shutil.copytree(osp.join(mini_root, 'data', name), str(root / 'data' / name))
    return root


# (config, data folder, file to break, how, words of the reader's complaint)
MALFORMED = {
    'CIFAR10 batch': ('rbnn/rbnn_resnet20-1w1a_1xb256-1000e_cifar10.py', 'cifar10',
                      'cifar-10-batches-py/data_batch_1', b'not a pickle', 'CIFAR10'),
    'ShanghaiTech .mat': ('nascount/nascount_amsnet-searched_1xb4-400e_shanghaitech-a.py',
                          'ShanghaiTech', 'part_A/train_data/ground-truth/GT_IMG_1.mat',
                          b'MATLAB 5.0 MAT-file, garbage', 'GT_IMG_1.mat'),
    'TinyPerson json': ('tinyperson/retinanet_r50_fpn_1xb2-12e_tinyperson640.py', 'tiny_set',
                        'erase_with_uncertain_dataset/annotations/corner/task/'
                        'tiny_set_train_sw640_sh512_all.json', b'{"images": [', 'json'),
    'COCO json': ('iff/retinanet_r50_fpn_1x_coco.py', 'coco',
                  'annotations/instances_train2017.json', b'{"images": [', 'CocoDataset'),
}


@pytest.mark.parametrize('kind', sorted(MALFORMED))
def test_malformed_data_is_one_line(kind, mini_root, tmp_path, tools, config_file,
                                    config_runs):
    config, folder, rel, content, words = MALFORMED[kind]
    root = _broken_copy(str(mini_root), tmp_path, folder)
    with open(root / 'data' / folder / rel, 'wb') as f:
        f.write(content)
    runner = type(tools)(root)
    options = config_runs.cpu_options(config_runs.load(config))
    line = _one_line_error(*runner('train.py', config_file(config), '--work-dir',
                                   str(root / 'work_dirs' / 'x'), '--cfg-options',
                                   *(f'{k}={v}' for k, v in options.items())),
                           'train.py')
    assert words in line and 'cannot be read' in line, line
    assert os.path.basename(config) in line, line
