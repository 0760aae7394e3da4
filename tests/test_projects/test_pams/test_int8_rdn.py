"""Int8 execution of PAMS RDN against the fake-quantized RDN it is built from."""
import pytest
import torch

from .conftest import calibrate, small_rdn


def pams_rdn(build, bits=8, fixed=True):
    import mmlean.projects.pams as pams
    torch.manual_seed(0)
    net = build(small_rdn()).eval()
    return calibrate(pams.quantize_sr_generator(net, bits, fixed), 2, 3, 12, 12)


@pytest.mark.parametrize('mode', ['auto', 'safe'])
def test_int8_rdb_is_within_one_level_of_the_fake_quantized_block(build, mode):
    """One block from the same quantized input: dense concatenations, fusion and residual."""
    from mmlean.projects.pams.int8_rdn import Int8RDB
    from mmlean.quant.int8 import quantize_act, select_engine
    engine = select_engine()
    net = pams_rdn(build)
    block, reader = net.rdbs[1], net.rdbs[2].quant_in
    if mode == 'auto':
        from mmlean.projects.pams.int8_rdn import _probe_mode
        mode = _probe_mode(block.layers[-1].conv, engine)
    torch.manual_seed(2)
    x = torch.randn(2, 8, 10, 10) * float(block.quant_in.alpha.detach()) / 2
    with torch.no_grad():
        ref = reader(block(x))
        got = Int8RDB(block, [reader.scale], mode)(quantize_act(x, block.quant_in.scale))[0]
    levels = (got.dequantize() - ref).abs() / reader.scale
    assert levels.max() <= 1 + 1e-4
    assert (levels > 0.5).float().mean() < 0.35  # double rounding, see Int8RDB


@pytest.mark.parametrize('mode', ['auto', 'safe', 'float'])
def test_int8_rdn_matches_the_fake_quantized_model(build, mode):
    from mmlean.projects.pams.int8_rdn import Int8RDN
    net = pams_rdn(build)
    feats = {}
    net.gff[1].register_forward_pre_hook(lambda m, i: feats.__setitem__('fake', i[0]))
    x = torch.rand(2, 3, 12, 12)
    with torch.no_grad():
        ref = net(x)
        fake_gff = net.gff[1].input_quant(feats['fake'])
    q = Int8RDN(net, mode=mode, timing_size=12)
    assert q.forms == ([mode] * len(q.forms) if mode != 'auto' else q.forms)
    q.gff0.register_forward_hook(lambda m, i, o: feats.__setitem__('int8', o.dequantize()))
    got = q(x)
    assert got.shape == ref.shape == (2, 3, 24, 24)
    # the global fusion's output on its 8-bit grid: the blocks' one-level errors add up little
    level = net.gff[1].input_quant.scale
    assert ((feats['int8'] - fake_gff).abs() / level).max() <= 2 + 1e-4
    assert (got - ref).abs().max() < 1 / 255  # below one 8-bit pixel level
    tail = Int8RDN(net, mode=mode, int8_tail=True,
                   calib=[torch.rand(1, 3, 12, 12) for _ in range(4)])
    assert (tail(x) - ref.clamp(0, 1)).abs().mean() < 2 / 255


def test_float_rdb_is_the_fake_quantized_block(build):
    from mmlean.projects.pams.int8_rdn import FloatRDB
    net = pams_rdn(build)
    block = net.rdbs[0]
    alpha = float(block.quant_in.alpha.detach())
    x = torch.randn(2, block.layers[0].conv.in_channels, 9, 9) * alpha / 2
    with torch.no_grad():
        ref = block(x.clone())
        (got, ) = FloatRDB(block, 1)(x.clone())
    # FP32 values; equal up to float rounding (a value on a rounding boundary can move a
    # level of one of the grids it passed through)
    assert (got - ref).abs().gt(1e-4).float().mean() < 0.01
    assert torch.allclose(got, ref, atol=2 * block.lff.input_quant.scale)


def test_int8_rdn_auto_times_the_exact_forms(build, monkeypatch, tmp_path):
    import mmlean.projects.pams.int8_rdn as int8_rdn
    monkeypatch.setattr(int8_rdn, 'direct_is_exact', lambda *a, **k: False)
    q = int8_rdn.Int8RDN(pams_rdn(build), timing_size=10, form_cache=str(tmp_path / 'c.json'))
    (choice, ) = q.form_choices.values()
    assert set(choice.timings_ms) == {'safe', 'float'}
    assert q.forms == [choice.choice] * len(q.rdbs)
    assert 'dense blocks' in q.describe_forms()
    with pytest.raises(ValueError, match="mode must be 'auto' or one of"):
        int8_rdn.Int8RDN(pams_rdn(build), mode='fast')


def test_int8_rdn_refuses_what_it_cannot_run(build):
    from mmlean.projects.pams.int8_rdn import Int8RDN
    with pytest.raises(ValueError, match='needs an 8-bit PAMS model, got bits \\[4\\]'):
        Int8RDN(pams_rdn(build, 4))
    with pytest.raises(ValueError, match='quantize_all_conv_inputs=True'):
        Int8RDN(pams_rdn(build, 8, fixed=False))
    with pytest.raises(TypeError, match='PAMSRDB'):
        Int8RDN(build(small_rdn()))
    with pytest.raises(ValueError, match='needs calibration images'):
        Int8RDN(pams_rdn(build), int8_tail=True)
