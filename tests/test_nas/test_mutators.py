"""SampleReduceMutator on a small DARTS supernet: groups, lockstep, plans, derivation, export."""
import copy

import pytest
import torch
from mmrazor.registry import MODELS

import mmlean.nas  # noqa: F401

CANDIDATES = dict(
    max_pool_3x3=dict(type='mmrazor.DartsPoolBN', pool_type='max'),
    skip_connect=dict(type='mmrazor.DartsSkipConnect'),
    sep_conv_3x3=dict(type='mmrazor.DartsSepConv', kernel_size=3),
    zero=dict(type='mmrazor.DartsZero'),
)


def supernet_cfg(pc_k=1):
    backbone = dict(
        type='mmrazor.DartsBackbone', in_channels=3, base_channels=8, num_layers=3, num_nodes=2,
        stem_multiplier=2, out_indices=(2, ), norm_cfg=dict(type='BN', affine=False),
        mutable_cfg=dict(type='mmrazor.ReducibleMutableOP', candidates=CANDIDATES, pc_k=pc_k),
        route_cfg=dict(type='mmrazor.DiffChoiceRoute', with_arch_param=True))
    return dict(type='mmpretrain.ImageClassifier', backbone=backbone,
                neck=dict(type='mmpretrain.GlobalAveragePooling'),
                head=dict(type='mmpretrain.LinearClsHead', num_classes=4, in_channels=64,
                          loss=dict(type='mmpretrain.CrossEntropyLoss')))


def build(rounds=2, mutator_seed=None, **scorer):
    from mmengine.registry import init_default_scope

    import mmlean.projects.bnas  # noqa: F401
    init_default_scope('mmrazor')  # another test may have left mmpretrain's scope current
    mutator = dict(type='SampleReduceMutator',
                   scorer=dict(type='PerformanceLikelihoodScorer', rounds=rounds, **scorer))
    if mutator_seed is not None:
        mutator['seed'] = mutator_seed
    return MODELS.build(dict(type='mmrazor.BNAS', architecture=supernet_cfg(pc_k=2),
                             mutator=mutator))


def test_the_paths_follow_the_runs_seed_unless_one_is_given():
    """The Runner seeds torch (randomness.seed) before it builds the model: searches
    of different seeds draw different paths, the same seed the same ones."""
    def paths(algo):
        return [algo.mutator.next_sample() for _ in range(4)]

    runs = {}
    for seed in (3, 4, 3):
        torch.manual_seed(seed)
        runs.setdefault(seed, []).append(build())
    assert runs[3][0].mutator.seed == 3 and runs[4][0].mutator.seed == 4
    assert paths(runs[3][0]) == paths(runs[3][1]) != paths(runs[4][0])
    torch.manual_seed(3)
    assert build(mutator_seed=7).mutator.seed == 7


def test_groups_are_edge_aliases_shared_by_cells_of_a_type():
    algo = build()
    mutator = algo.mutator
    # 2 nodes per cell: node 2 has 2 inputs, node 3 has 3 -> 5 edges per cell type
    assert sorted(mutator.op_aliases) == sorted(
        f'{t}_n{d}_p{i}' for t in ('normal', 'reduce') for d, n in ((2, 2), (3, 3))
        for i in range(n))
    group = dict(zip(mutator.op_aliases, mutator.op_groups))
    assert len(mutator.search_groups[group['normal_n2_p0']]) == 1  # one normal cell (3 layers)
    assert len(mutator.search_groups[group['reduce_n2_p0']]) == 2  # both reduction cells
    assert mutator.choice_names == list(CANDIDATES)


def run_round(mutator, reward):
    dropped = None
    for _ in range(mutator.round_length()):
        choices = mutator.next_sample()
        mutator.set_single_path(choices)
        mutator.set_single_path(None)
        dropped = mutator.record(reward(choices))
    return dropped


def test_rounds_abandon_in_lockstep_and_keep_the_rewarded_op():
    algo = build(rounds=2)
    mutator = algo.mutator

    target = mutator.op_groups[0]

    def reward(choices):  # on the target edge sep_conv is good, everything else is poor
        return 0.9 if choices[target] == 'sep_conv_3x3' else 0.1

    # BNAS samples the lowest-alpha half and is optimistic about the rest; give
    # sep_conv the smallest alpha so that every round measures it
    with torch.no_grad():
        for group in mutator.op_groups:
            mutator.arch_params[group].zero_()
            mutator.arch_params[group][mutator.choice_names.index('sep_conv_3x3')] = -1.0

    while not mutator.is_converged():
        assert run_round(mutator, reward) is not None
    for group in mutator.op_groups:
        actives = {tuple(m.active_choices) for m in mutator.search_groups[group]}
        assert len(actives) == 1  # every cell of the alias agrees
    assert mutator.num_reductions == len(CANDIDATES) - 1
    derived = mutator.derive()
    assert derived[target] == 'sep_conv_3x3'
    op_of = {mutator.search_groups[g][0].alias: derived[g] for g in mutator.op_groups}
    for route in mutator.route_groups:
        # an edge left with 'zero' is a node's input only when the node has fewer other
        # edges than inputs (node 2 of a cell has exactly two edges and takes both)
        edges = mutator.search_groups[route][0].choices
        usable = [e for e in edges if op_of[e] != 'zero']
        zeros = [e for e in derived[route] if op_of[e] == 'zero']
        assert not zeros or len(usable) < 2
        if len(usable) <= 2:  # then every usable edge is an input
            assert set(usable) <= set(derived[route])
    routes = [derived[r] for r in mutator.route_groups]
    assert all(len(r) <= 2 for r in routes)  # at most two inputs per node
    history = mutator.reduction_history()
    assert [h['reduction'] for h in history] == [0, 1, 2]
    assert all(h['abandoned'][mutator.op_aliases[0]] != 'sep_conv_3x3' for h in history)
    with pytest.raises(mmlean.nas.SearchSpaceError, match='nothing left to sample'):
        mutator.next_sample()


def test_a_round_samples_every_candidate_equally_on_every_edge():
    algo = build(rounds=3)
    mutator = algo.mutator
    counts = torch.zeros(len(mutator.op_groups), len(CANDIDATES))
    for _ in range(mutator.round_length()):
        choices = mutator.next_sample()
        for g, group in enumerate(mutator.op_groups):
            counts[g, mutator.choice_names.index(choices[group])] += 1
        mutator.record(0.5)
    # K = 4: the 2 lowest-alpha ops of each edge, each sampled T = 3 times
    assert sorted(counts.sum(0).tolist())[-1] <= 3 * len(mutator.op_groups)
    assert ((counts == 3) | (counts == 0)).all() and (counts.sum(1) == 6).all()


def test_state_survives_a_state_dict_round_trip_mid_round():
    algo = build(rounds=2)
    mutator = algo.mutator
    run_round(mutator, lambda c: 0.3)
    mutator.next_sample()
    mutator.record(0.7)
    state = copy.deepcopy(algo.state_dict())
    expected = [mutator.next_sample()]
    mutator.record(0.2)
    expected.append(mutator.next_sample())
    fresh = build(rounds=2)
    fresh.load_state_dict(state)
    got = [fresh.mutator.next_sample()]
    fresh.mutator.record(0.2)
    got.append(fresh.mutator.next_sample())
    assert got == expected
    assert fresh.mutator.num_active == mutator.num_active == 3


def test_export_loads_into_a_fresh_supernet_with_sub_model(tmp_path):
    import mmengine
    algo = build(rounds=1)
    mutator = algo.mutator
    while not mutator.is_converged():
        run_round(mutator, lambda c: float(torch.rand(())))
    fix_subnet = mutator.export(algo.architecture)
    path = str(tmp_path / 'subnet.yaml')
    mmengine.dump(fix_subnet, path)
    derived = mutator.derive()
    for group, op in derived.items():
        alias = mutator.search_groups[group][0].alias
        chosen = fix_subnet[alias]['chosen']
        assert chosen == op or list(chosen) == list(op)
    cfg = supernet_cfg(pc_k=1)
    cfg['backbone']['mutable_cfg']['type'] = 'mmrazor.DiffMutableOP'  # what retraining uses
    cfg['backbone']['mutable_cfg'].pop('pc_k')
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')  # the classifier's default preprocessor is mmpretrain's
    subnet = MODELS.build(dict(type='mmrazor.sub_model', cfg=cfg, fix_subnet=path))
    for name, module in subnet.named_modules():
        if hasattr(module, 'is_fixed'):
            assert module.is_fixed, name
    out = subnet(torch.randn(2, 3, 16, 16), mode='tensor')
    assert out.shape == (2, 4)
