"""NAS-Count configs (configs/nascount) on mini ShanghaiTech A/B, UCF-QNRF and UCF_CC_50 in
their released layouts (MATLAB ground truth, grayscale images, heads on the border): each
search (first-order DARTS, one epoch) writes ``fix_subnet.yaml``, which the matching
``searched`` config trains from (``model.fix_subnet``, the override its header names),
validates and tests with the MAE / MSE metric; the CSRNet baselines train on the synthetic
crowd set."""
import os.path as osp

import pytest

SEARCHES = {
    f'nascount/nascount_amsnet-supernet_1xb4-100e-search_{d}.py':
        f'nascount/nascount_amsnet-searched_1xb4-400e_{d}.py'
    for d in ('shanghaitech-a', 'shanghaitech-b', 'ucf-qnrf', 'ucf-cc-50')
}
SYNTHETIC = ['nascount/csrnet_vgg16_1xb8-60e_synthetic-crowd.py',
             'nascount/csrnet_vgg16-bn_1xb8-40e_synthetic-crowd.py',
             'nascount/nascount_amsnet-searched_1xb8-40e_synthetic-crowd.py',
             'nascount/nascount_amsnet-searched-mse_1xb8-40e_synthetic-crowd.py']
# on the synthetic crowd set the search and the searched network are run by
# tests/test_projects/test_nascount/test_search.py and test_learning.py
CONFIGS = sorted(SEARCHES) + sorted(SEARCHES.values()) + SYNTHETIC


def _check_counts(metrics):
    assert {'MAE', 'MSE'} <= {k.split('/')[-1] for k in metrics}, metrics
    assert all(v >= 0 for v in metrics.values())


@pytest.mark.parametrize('search', sorted(SEARCHES))
def test_search_then_train_searched(search, config_runs):
    run = config_runs.train(search)
    subnet = osp.join(run.work_dir, 'fix_subnet.yaml')
    assert osp.isfile(subnet), f'{search}: the search wrote no fix_subnet.yaml'
    _check_counts(config_runs.test(run))
    searched = config_runs.train(SEARCHES[search], {'model.fix_subnet': subnet})
    _check_counts(config_runs.test(searched))


@pytest.mark.parametrize('config', SYNTHETIC)
def test_synthetic_baselines(config, config_runs, embedded_data):
    embedded_data('synthetic_crowd')
    _check_counts(config_runs.test(config_runs.train(config)))


def test_mse_twin_differs_from_the_spploss_run_only_by_its_loss(config_file):
    """The evidence campaign's SPPLoss-vs-MSE pair: same network, data and schedule."""
    from mmengine.config import Config
    spp, mse = (Config.fromfile(config_file(f'nascount/nascount_amsnet-searched{t}_1xb8-40e_'
                                            'synthetic-crowd.py')).to_dict()
                for t in ('', '-mse'))
    spp_loss, mse_loss = spp['model']['cfg']['head'].pop('loss'), mse['model']['cfg']['head'].pop(
        'loss')
    assert spp_loss['levels'] == 3 and spp_loss['pool'] == 'searched'
    assert mse_loss == {'type': 'SPPLoss', 'levels': 0}
    assert spp == mse
