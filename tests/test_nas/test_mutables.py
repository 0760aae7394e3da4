"""ReducibleMutableOP: masked space, single path, PC-DARTS partial channels."""
import pytest
import torch
import torch.nn.functional as F

import mmlean.nas  # noqa: F401
from mmlean.nas import ReducibleMutableOP, SearchSpaceError

CANDIDATES = dict(
    skip_connect=dict(type='mmrazor.DartsSkipConnect'),
    max_pool_3x3=dict(type='mmrazor.DartsPoolBN', pool_type='max', norm_cfg=dict(
        type='BN', affine=False)),
    sep_conv_3x3=dict(type='mmrazor.DartsSepConv', kernel_size=3),
    zero=dict(type='mmrazor.DartsZero'),
)


def build(pc_k=1, channels=8, stride=1):
    return ReducibleMutableOP(
        candidates={k: dict(v) for k, v in CANDIDATES.items()}, pc_k=pc_k, alias='e0',
        module_kwargs=dict(in_channels=channels, out_channels=channels, stride=stride)).eval()


def test_abandoned_ops_get_probability_zero_and_are_never_chosen():
    op = build()
    alpha = torch.tensor([3.0, 2.0, 1.0, 0.0])
    op.abandon('skip_connect')
    probs = op.compute_arch_probs(alpha)
    e = torch.exp(torch.tensor([2.0, 1.0, 0.0]))
    assert probs[0] == 0 and torch.allclose(probs[1:], e / e.sum())
    assert op.sample_choice(alpha) == 'max_pool_3x3'
    assert op.active_choices == ['max_pool_3x3', 'sep_conv_3x3', 'zero']
    # the mixture skips the abandoned op
    x = torch.randn(2, 8, 6, 6)
    mix = op(x, alpha)
    ops = op._candidates
    ref = sum(p * ops[n](x) for p, n in zip(probs[1:], ['max_pool_3x3', 'sep_conv_3x3', 'zero']))
    assert torch.allclose(mix, ref, atol=1e-6)


def test_the_last_op_cannot_be_abandoned_and_state_is_a_buffer():
    op = build()
    for name in ('skip_connect', 'max_pool_3x3', 'sep_conv_3x3'):
        op.abandon(name)
    with pytest.raises(SearchSpaceError, match='last active'):
        op.abandon('zero')
    with pytest.raises(SearchSpaceError, match='no candidate'):
        op.abandon('conv_7x7')
    fresh = build()
    fresh.load_state_dict(op.state_dict())
    assert fresh.active_choices == ['zero']


def test_single_path_runs_one_op():
    op = build()
    x = torch.randn(2, 8, 6, 6)
    op.single_path = 'max_pool_3x3'
    assert torch.equal(op(x, torch.zeros(4)), op._candidates['max_pool_3x3'](x))


def shuffle_reference(z, groups):
    """channel_shuffle written with explicit indices: out[j * g + i] = z[i * (C / g) + j]."""
    c = z.shape[1]
    per = c // groups
    out = torch.empty_like(z)
    for i in range(groups):
        for j in range(per):
            out[:, j * groups + i] = z[:, i * per + j]
    return out


@pytest.mark.parametrize('stride', [1, 2])
def test_partial_channels_match_pc_darts(stride):
    op = build(pc_k=4, channels=16, stride=stride)
    assert op._candidates['sep_conv_3x3'].in_channels == 4  # C / K channels through the ops
    x = torch.randn(2, 16, 8, 8)
    alpha = torch.randn(4)
    got = op(x, alpha)
    probs = F.softmax(alpha, -1)
    y = sum(p * m(x[:, :4]) for p, m in zip(probs, op._candidates.values()))
    bypass = x[:, 4:] if stride == 1 else F.max_pool2d(x[:, 4:], 2, 2)
    assert torch.allclose(got, shuffle_reference(torch.cat([y, bypass], 1), 4), atol=1e-6)
    assert got.shape == (2, 16, 8 // stride, 8 // stride)


def test_partial_channels_need_divisible_widths():
    with pytest.raises(ValueError, match='not divisible by pc_k=4'):
        build(pc_k=4, channels=10)
