"""AMSNet supernet under mmrazor's Darts (every search dimension is a mutable with its
arch parameter; one first-order step), fix_subnet export and rebuild, CSRNet's size,
the plots and the synthetic-set writer."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.structures import BaseDataElement

import mmlean.projects.nascount as nc
from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CFG = osp.join(ROOT, 'configs', 'nascount')


def _samples(n, h, w=None, stride=8, seed=0):
    w = h if w is None else w
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        s = BaseDataElement(gt_density=torch.rand(1, h // stride, w // stride, generator=g) * 0.05)
        s.set_metainfo(dict(img_shape=(h, w), gt_count=float(s.gt_density.sum())))
        out.append(s)
    return out


@pytest.fixture(scope='module')
def search_cfg():
    init_default_scope('mmengine')
    name = 'nascount_amsnet-supernet_1xb8-10e-search_synthetic-crowd.py'
    return Config.fromfile(osp.join(CFG, name))


def test_supernet_search_space_and_first_order_step(search_cfg, tmp_path):
    from mmengine.optim import OptimWrapper, OptimWrapperDict
    torch.manual_seed(0)
    algo = MODELS.build(search_cfg.model)
    aliases = {m[0].alias for m in algo.mutator.search_groups.values()}
    prefixes = {a.split('_n')[0] if '_n' in a else a for a in aliases}
    assert prefixes == {'normal', 'reduce', 'decoder', 'decoder_up', 'macro_s16', 'macro_s8',
                        'spp_l1', 'spp_l2', 'spp_l3'}
    # one shared cell type each: normal cells at strides 4, 8, 16 share their alphas
    normal_edges = [m for m in algo.architecture.modules()
                    if getattr(m, 'alias', None) == 'normal_n2_p0']
    assert len(normal_edges) == 3
    x = torch.randn(2, 3, 64, 64) * 50 + 120
    data = dict(inputs=list(x.to(torch.uint8)), data_samples=_samples(2, 64))
    wrappers = OptimWrapperDict(
        architecture=OptimWrapper(torch.optim.SGD(algo.architecture.parameters(), lr=0.1)),
        mutator=OptimWrapper(torch.optim.SGD(algo.mutator.parameters(), lr=1.0)))
    before = {k: v.detach().clone() for k, v in algo.mutator.arch_params.items()}
    w_before = algo.architecture.head.conv.weight.detach().clone()
    log = algo.train_step((data, data), wrappers)
    assert 'mutator.loss' in log and 'supernet.loss' in log
    assert log['loss'] == log['supernet.loss']  # what the weights-only steps log as 'loss'
    # every search dimension (cells, routes, upsampling, SPPLoss pooling) moved
    moved = [k for k, v in algo.mutator.arch_params.items() if not torch.equal(v, before[k])]
    assert len(moved) == len(before)
    assert not torch.equal(algo.architecture.head.conv.weight, w_before)

    subnet = nc.derive_subnet(algo)
    for prefix in ('normal', 'reduce', 'decoder'):
        edges = nc.searched_cells(subnet, prefix)
        assert len(edges) == 2 * 3  # 3 nodes x 2 inputs
    assert len(subnet['macro_s8']['chosen']) == 2
    path = nc.dump_subnet(subnet, str(tmp_path / 'fix_subnet.yaml'), header='test')
    nc.plot_searched(subnet, str(tmp_path / 'cells.png'))
    assert osp.getsize(tmp_path / 'cells.png') > 0

    # rebuild for retraining: only the chosen ops and paths remain, the loss pooling is fixed
    child = MODELS.build(dict(type='mmrazor.sub_model', cfg=search_cfg.model.architecture,
                              fix_subnet=path))
    assert sum(p.numel() for p in child.parameters()) < sum(
        p.numel() for p in algo.architecture.parameters())
    for alias, choice in subnet.items():
        mods = [m for m in child.modules() if getattr(m, 'alias', None) == alias]
        for m in mods:
            assert m.is_fixed
            want = choice['chosen'] if isinstance(choice['chosen'], list) else [choice['chosen']]
            assert sorted(m.choices) == sorted(want)
    losses = child(child.data_preprocessor(data, True)['inputs'], data['data_samples'],
                   mode='loss')
    assert torch.isfinite(losses['loss_density'])


def test_committed_subnet_rebuilds_and_csrnet_size():
    init_default_scope('mmengine')
    cfg = Config.fromfile(osp.join(CFG, 'nascount_amsnet-searched_1xb8-60e_synthetic-crowd.py'))
    child = MODELS.build(cfg.model).eval()
    out = child.predict(torch.randn(1, 3, 80, 96), _samples(1, 80, 96))
    assert tuple(out[0].pred_density.shape) == (1, 10, 12)

    cfg = Config.fromfile(osp.join(CFG, 'csrnet_vgg16_1xb8-60e_synthetic-crowd.py'))
    csrnet = MODELS.build(cfg.model)

    def conv(cin, cout):
        return cin * cout * 9 + cout

    front = [3, 64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512]
    back = [512, 512, 512, 256, 128, 64]
    n, cin = 0, None
    for c in front:
        if c != 'M':
            n += conv(cin, c) if cin else 0
            cin = c
    for c in back:
        n += conv(cin, c)
        cin = c
    n += 64 + 1  # 1x1 output conv
    assert sum(p.numel() for p in csrnet.parameters()) == n  # 16.26 M, as CSRNet reports
    assert abs(n / 1e6 - 16.26) < 0.01


def test_plot_and_synthetic_writer(tmp_path, run_python):
    res = run_python('tools/nascount/synthetic_crowd.py', '--out', str(tmp_path / 'syn'),
                     '--train', '2', '--test', '1', '--width', '96', '--height', '64',
                     '--max-count', '20')
    assert res.returncode == 0, res.stderr
    ds = nc.CrowdCountingDataset(layout='shanghaitech', data_root=str(tmp_path / 'syn'),
                                 split='train', pipeline=[
                                     dict(type='LoadImageFromFile'),
                                     dict(type='GenerateDensityMap', mode='adaptive'),
                                     dict(type='DownsampleDensity', stride=8),
                                     dict(type='PackCountingInputs')])
    assert len(ds) == 2
    item = ds[0]
    assert item['inputs'].shape == (3, 64, 96)
    count = item['data_samples'].gt_count
    assert count >= 1
    assert abs(float(item['data_samples'].gt_density.sum()) - count) < 1e-3
    import mmcv
    img = mmcv.imread(item['data_samples'].img_path)
    d = item['data_samples'].gt_density.numpy()
    nc.plot_density(img, d, d * 0.9, out_file=str(tmp_path / 'd.png'))
    assert osp.getsize(tmp_path / 'd.png') > 0


def test_benchmark_macs_of_csrnet_by_hand():
    bench = load_script(osp.join(ROOT, 'tools', 'benchmark', 'nascount.py'), '_nascount_bench')
    model = bench.build('csrnet_vgg16_1xb8-60e_synthetic-crowd.py')
    # 3x3 convs: H x W x Cin x Cout x 9 at each resolution of a 64 x 64 input
    front = [(64, 3, 64), (64, 64, 64), (32, 64, 128), (32, 128, 128), (16, 128, 256),
             (16, 256, 256), (16, 256, 256), (8, 256, 512), (8, 512, 512), (8, 512, 512)]
    back = [(8, 512, 512), (8, 512, 512), (8, 512, 512), (8, 512, 256), (8, 256, 128),
            (8, 128, 64)]
    want = sum(s * s * ci * co * 9 for s, ci, co in front + back) + 8 * 8 * 64
    assert bench.conv_macs(model, (3, 64, 64)) == want
