"""tools/analysis_tools/nas_random_cells.py: random cells obey their space's derivation rule,
are drawn uniformly, are reproducible per seed, and load into the retraining networks."""
import collections
import os.path as osp

import pytest

from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def tool():
    return load_script(osp.join(ROOT, 'tools', 'analysis_tools', 'nas_random_cells.py'),
                       'nas_random_cells')


def test_darts_cells_follow_the_derivation_rule_uniformly(tool):
    from mmlean.nas.genotype import PRIMITIVES, subnet_to_genotype
    ops, inputs = collections.Counter(), collections.Counter()
    draws = 600
    for seed in range(draws):
        # the inverse conversion validates: two edges per node from two different earlier
        # states, known ops, all four nodes of both cells
        genotype = subnet_to_genotype(tool.random_subnet('darts', seed))
        for cell in (genotype.normal, genotype.reduce):
            assert len(cell) == 8
            for k, (op, index) in enumerate(cell):
                ops[op] += 1
                if k // 2 == 3:  # the last node chooses 2 of its 5 inputs
                    inputs[index] += 1
    assert 'none' not in ops and set(ops) == set(PRIMITIVES) - {'none'}
    # uniform: 600 draws x 16 edges over 7 ops (1371 expected each; 4 sigma ~ 140)
    expected = draws * 16 / 7
    assert all(abs(n - expected) < 140 for n in ops.values()), ops
    # each of the 5 inputs of the last node is kept with probability 2/5 per cell
    assert set(inputs) == {0, 1, 2, 3, 4}
    assert all(abs(n - draws * 2 * 2 / 5) < 4 * (draws * 2 * 0.4 * 0.6) ** 0.5
               for n in inputs.values()), inputs


def test_abandit_cells_keep_one_input_per_node(tool):
    from mmlean.projects.abanditnas.genotypes import ABANDIT_PRIMITIVES, subnet_to_abandit_genotype
    ops = collections.Counter()
    for seed in range(300):
        genotype = subnet_to_abandit_genotype(tool.random_subnet('abandit', seed))
        assert sorted(genotype) == list('abcdef')
        for nodes in genotype.values():
            assert len(nodes) == 4
            ops.update(op for op, _ in nodes)
    assert set(ops) == set(ABANDIT_PRIMITIVES)  # all 9, none left out


def test_a_seed_is_one_cell(tool):
    assert tool.random_subnet('darts', 3) == tool.random_subnet('darts', 3)
    assert tool.random_subnet('darts', 3) != tool.random_subnet('darts', 4)
    with pytest.raises(ValueError, match="'darts' or 'abandit'"):
        tool.random_subnet('dart', 0)


def test_the_yaml_retrains_in_the_bnas_network(tool, tmp_path):
    """The written YAML is what the retraining config takes (model.fix_subnet): the built
    network keeps exactly the drawn edges, each with its drawn op, and runs."""
    import mmpretrain.models  # noqa: F401
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmrazor.models.mutables import DiffChoiceRoute, DiffMutableOP
    from mmrazor.registry import MODELS

    import mmlean.nas  # noqa: F401  (registers the binary ops)
    DefaultScope.get_instance('test_nas_random_cells', scope_name='mmpretrain')
    path = str(tmp_path / 'random.yaml')
    assert tool.main(['darts', '--seed', '5', '--out', path]) == 0
    assert open(path).read().startswith('# random darts cell, seed 5')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'bnas',
                                   'bnas_xnor-c16l5-w1a32_1xb64-30e_digits.py'))
    cfg.model.fix_subnet = path
    model = MODELS.build(cfg.model)
    built = {}
    for module in model.modules():
        if isinstance(module, DiffChoiceRoute):
            for edge, op in module._candidates.items():
                assert isinstance(op, DiffMutableOP) and len(op._candidates) == 1
                built.setdefault(module.alias, {})[edge] = next(iter(op._candidates))
    drawn = tool.random_subnet('darts', 5)
    expected = {route: {edge: drawn[edge]['chosen'][0] for edge in value['chosen']}
                for route, value in drawn.items() if len(route.split('_')) == 2}
    assert built == expected
    model.eval()
    assert model(torch.randn(2, 3, 16, 16), mode='tensor').shape == (2, 10)


def test_bad_arguments_are_one_line(tool, capsys):
    assert tool.main(['darts', '--seed', '0', '--out', 'x.yaml', '--nodes', '0']) == 2
    assert '--nodes must be >= 1' in capsys.readouterr().err
