"""mmrazor 1.0's first-order DARTS step and DARTS loop, as mmlean.compat fixes them."""
import copy
import types

import mmlean  # noqa: F401  (first: its compat fixes must precede mmrazor)

# isort: split
import torch
from mmrazor.models.algorithms.nas.darts import Darts, DartsDDP
from mmrazor.registry import MODELS

import mmlean.nas  # noqa: F401  (applies mmlean.compat.mmrazor_darts)
from mmlean.compat.mmrazor_darts import set_mutator_epoch


def tiny_darts():
    candidates = dict(sep_conv_3x3=dict(type='mmrazor.DartsSepConv', kernel_size=3),
                      skip_connect=dict(type='mmrazor.DartsSkipConnect'))
    backbone = dict(type='mmrazor.DartsBackbone', in_channels=3, base_channels=4, num_layers=3,
                    num_nodes=2, stem_multiplier=1, out_indices=(2, ),
                    mutable_cfg=dict(type='mmrazor.DiffMutableOP', candidates=candidates),
                    route_cfg=dict(type='mmrazor.DiffChoiceRoute', with_arch_param=True))
    arch = dict(type='mmpretrain.ImageClassifier', backbone=backbone,
                neck=dict(type='mmpretrain.GlobalAveragePooling'),
                head=dict(type='mmpretrain.LinearClsHead', num_classes=3, in_channels=32,
                          loss=dict(type='mmpretrain.CrossEntropyLoss')))
    import mmpretrain.models  # noqa: F401  (registers ClsDataPreprocessor)
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')  # the classifier's default preprocessor is mmpretrain's
    torch.manual_seed(0)
    return MODELS.build(dict(type='mmrazor.Darts', architecture=arch,
                             mutator=dict(type='mmrazor.NasMutator'), unroll=False,
                             data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor')))


def batch(seed):
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    return dict(inputs=[torch.rand(3, 8, 8, generator=g) * 255 for _ in range(4)],
                data_samples=[DataSample().set_gt_label(i % 3) for i in range(4)])


def wrappers(model):
    from mmengine.optim import OptimWrapper, OptimWrapperDict
    return OptimWrapperDict(
        architecture=OptimWrapper(torch.optim.SGD(model.architecture.parameters(), lr=0.1)),
        mutator=OptimWrapper(torch.optim.SGD(model.mutator.parameters(), lr=0.1)))


def reference_step(model, train, arch):
    """First-order DARTS by hand: alpha on the arch batch, then weights on the train batch."""
    for params, data in ((model.mutator.parameters(), arch),
                         (model.architecture.parameters(), train)):
        params = list(params)
        model.zero_grad(set_to_none=True)
        d = model.data_preprocessor(data, True)
        loss = sum(model(d['inputs'], d['data_samples'], mode='loss').values())
        loss.backward()
        with torch.no_grad():
            for p in params:
                if p.grad is not None:
                    p -= 0.1 * p.grad


def test_first_order_step_updates_each_split_from_its_own_batch():
    fixed, reference = tiny_darts(), tiny_darts()
    original = Darts.train_step.__wrapped__
    leaky = copy.deepcopy(fixed)
    train, arch = batch(1), batch(2)
    fixed.train_step((train, arch), wrappers(fixed))
    reference_step(reference, train, arch)
    for (name, a), b in zip(fixed.state_dict().items(), reference.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name
    # mmrazor's own step lets the arch batch's gradients into the weight update
    original(leaky, (train, arch), wrappers(leaky))
    stem = 'architecture.backbone.stem.0.weight'
    assert not torch.allclose(leaky.state_dict()[stem], reference.state_dict()[stem], atol=1e-6)


def test_both_wrappers_are_patched_and_the_loop_sets_the_arch_split_epoch():
    assert Darts.train_step.__mmlean_wrapped__ and DartsDDP.train_step.__mmlean_wrapped__
    seen = []
    loop = types.SimpleNamespace(
        _epoch=7, mutator_dataloader=types.SimpleNamespace(
            sampler=types.SimpleNamespace(set_epoch=seen.append)))
    set_mutator_epoch(loop)
    assert seen == [7]
    from mmrazor.engine.runner.darts_loop import DartsEpochBasedTrainLoop
    assert DartsEpochBasedTrainLoop.run_epoch.__mmlean_wrapped__
