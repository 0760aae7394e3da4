"""AdversarialTraining: the loss is the classifier's loss on the attacked batch."""
import pytest
import torch

import mmlean  # noqa: F401


def build(attack, attack_bn='train'):
    from mmrazor.registry import MODELS

    import mmlean.adversarial  # noqa: F401
    import mmlean.models  # noqa: F401  (CIFARResNet)
    torch.manual_seed(0)
    return MODELS.build(dict(
        _scope_='mmrazor', type='AdversarialTraining', attack=attack, attack_bn=attack_bn,
        data_preprocessor=dict(num_classes=10, mean=[0.0], std=[255.0]),
        architecture=dict(
            type='ImageClassifier',
            backbone=dict(type='CIFARResNet', depth=8, in_channels=1),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
                      loss=dict(type='CrossEntropyLoss')))))


def batch():
    from mmpretrain.structures import DataSample
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(8, 1, 12, 12, generator=gen)
    labels = torch.randint(0, 10, (8, ), generator=gen)
    return x, [DataSample().set_gt_label(int(y)) for y in labels], labels


def test_loss_is_the_architecture_loss_on_the_attack_examples():
    from mmlean.adversarial import pgd
    model = build(dict(type='pgd', eps=0.05, alpha=0.02, steps=3), attack_bn='eval')
    x, samples, labels = batch()
    model.train()
    torch.manual_seed(1)
    got = model(x, samples, mode='loss')['loss']
    # the same thing by hand (a fresh copy: the step above moved the BN statistics): PGD on
    # the eval-mode classifier, then its loss in train mode
    arch = build(None).architecture
    torch.manual_seed(1)
    arch.eval()
    adv = pgd(lambda v: arch(v, mode='tensor'), x, labels, 0.05, 0.02, 3)
    arch.train()
    want = arch(adv, samples, mode='loss')['loss']
    assert torch.allclose(got, want)
    assert got > arch(x, samples, mode='loss')['loss']


def test_attack_bn_eval_leaves_the_running_statistics_to_the_training_forward():
    x, samples, _ = batch()
    counts = {}
    for mode in ('train', 'eval'):
        model = build(dict(type='fgsm_rs', eps=0.05, alpha=0.06), attack_bn=mode)
        model.train()
        model(x, samples, mode='loss')
        bn = next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
        counts[mode] = int(bn.num_batches_tracked)
    assert counts == dict(train=2, eval=1)  # the attack's forward counts in 'train' only


def test_clean_training_and_bad_arguments():
    model = build(None)
    x, samples, _ = batch()
    model.train()
    torch.manual_seed(0)
    assert torch.allclose(model(x, samples, mode='loss')['loss'],
                          model.architecture(x, samples, mode='loss')['loss'])
    with pytest.raises(ValueError, match='attack_bn'):
        build(None, attack_bn='frozen')
    with pytest.raises(ValueError, match='steps'):
        build(dict(type='pgd', eps=0.1, alpha=0.01))
