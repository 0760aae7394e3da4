"""A tiny ABanditNAS search through tools/train.py: export, and resume mid-search."""
import shutil
import sys

import pytest
import torch

# the real digits search config with three ops per edge (3 initialization paths + 3 + 2 =
# 8 steps), one training and one (adversarial) reward batch per path, 4 channels
TINY = '''
_base_ = ['{root}/configs/abanditnas/abanditnas_supernet-c8-l6_1xb64-search_digits.py']
keep = ('max_pool_3x3', 'conv_3x3', 'dtp_blok_3x3')
model = dict(reward='adversarial', architecture=dict(
    backbone=dict(base_channels=4, mutable_cfg=dict(candidates=dict(
        _delete_=True, **{{k: v for k, v in _base_.candidates.items() if k in keep}}))),
    head=dict(in_channels=64)))
train_dataloader = dict(dataset=dict(indices=64))
train_cfg = dict(sample_train_iters=1, eval_max_iters=1, calibrate_sample_num=0,
                 mutator_dataloader=dict(dataset=dict(indices=-64)))
num_steps = 8
param_scheduler = dict(T_max=num_steps, end=num_steps)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=20))
randomness = dict(seed=0)
'''
OPS = ['max_pool_3x3', 'conv_3x3', 'dtp_blok_3x3']


@pytest.mark.slow
def test_tiny_search_exports_one_input_per_node_and_resumes_bit_identically(
        repo_root, tmp_path, run_command, checkpoint_weights):
    import mmengine

    from mmlean.projects.abanditnas import subnet_to_abandit_genotype
    config = tmp_path / 'tiny.py'
    config.write_text(TINY.format(root=repo_root))
    straight = tmp_path / 'straight'
    run_command(sys.executable, 'tools/train.py', str(config), '--work-dir', str(straight))
    subnet = mmengine.load(straight / 'fix_subnet.yaml')
    genotype = subnet_to_abandit_genotype(subnet)
    assert sorted(genotype) == list('abcdef')
    assert all(len(nodes) == 4 and all(op in OPS for op, _ in nodes)
               for nodes in genotype.values())
    history = mmengine.load(straight / 'reduction_history.json')['history']
    assert len(history) == 2  # 3 ops -> 1 per edge
    for name in ('cells.png', 'reduction_history.png', 'genotype.json'):
        assert (straight / name).exists(), name
    # stopped after path 5 (first round, after the 3 initialization paths) and resumed
    resumed = tmp_path / 'resumed'
    resumed.mkdir()
    shutil.copy(straight / 'epoch_5.pth', resumed)
    run_command(sys.executable, 'tools/train.py', str(config), '--work-dir', str(resumed),
                '--resume', str(resumed / 'epoch_5.pth'))
    assert mmengine.load(resumed / 'fix_subnet.yaml') == subnet
    a, b = checkpoint_weights(straight / 'epoch_8.pth'), checkpoint_weights(resumed / 'epoch_8.pth')
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
