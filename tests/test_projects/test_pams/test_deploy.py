"""Int8 execution and packed storage of PAMS EDSR models."""
import pytest
import torch

from .conftest import calibrate, small_edsr


def pams_edsr(build, bits, fixed=True, **kw):
    import mmlean.projects.pams as pams
    torch.manual_seed(0)
    net = build(small_edsr(**kw)).eval()
    return calibrate(pams.quantize_sr_generator(net, bits, fixed), 2, 3, 12, 12)


@pytest.mark.parametrize('mode', ['auto', 'safe', 'float'])
@pytest.mark.parametrize('res_scale', [1.0, 0.1])
def test_int8_model_matches_the_fake_quantized_model(build, res_scale, mode):
    from mmlean.projects.pams.deploy import Int8EDSR
    net = pams_edsr(build, 8, res_scale=res_scale)
    feats = {}
    net.conv_after_body.register_forward_pre_hook(lambda m, i: feats.__setitem__('fake', i[0]))
    x = torch.rand(2, 3, 12, 12)
    with torch.no_grad():
        ref = net(x)
    q = Int8EDSR(net, mode=mode, timing_size=12)
    assert q.forms == ([mode] * 3 if mode != 'auto' else q.forms)
    q.conv_after_body.register_forward_pre_hook(lambda m, i: feats.__setitem__('int8', i[0]))
    got = q(x)
    # the body output is a sum of two 8-bit grids: within one level of the coarser one
    level = max(net.body[-1].quant_out.scale, net.body[-1].quant_in.scale)
    assert (feats['int8'] - feats['fake']).abs().max() <= level * 1.001
    assert (got - ref).abs().max() < 1 / 255  # below one 8-bit pixel level
    assert got.shape == ref.shape == (2, 3, 24, 24)


def test_float_form_stores_int8_codes_and_equals_the_fake_quantized_block(build):
    from mmlean.projects.pams.deploy import FloatBlock
    net = pams_edsr(build, 8)
    block = net.body[1]
    fb = FloatBlock(block)
    assert fb.conv1.codes.dtype == torch.int8  # what its state dict holds
    assert set(fb.state_dict()) == {'conv1.codes', 'conv1.bias', 'conv2.codes', 'conv2.bias'}
    x = torch.randn(2, 16, 9, 9) * float(block.quant_in.alpha.detach()) / 2
    with torch.no_grad():
        ref = block(x.clone())
        got = fb(x.clone())
    # same grids; float rounding can move a value sitting on a rounding boundary by one level
    level = max(block.quant_out.scale, block.quant_in.scale)
    assert (got - ref).abs().max() <= level * 1.001
    assert (got - ref).abs().gt(1e-5).float().mean() < 0.01


def test_auto_times_the_exact_forms_only_and_reports(build, monkeypatch, tmp_path):
    import mmlean.projects.pams.deploy as deploy
    net = pams_edsr(build, 8)
    monkeypatch.setattr(deploy, 'direct_is_exact', lambda *a, **k: False)  # a CPU without VNNI
    q = deploy.Int8EDSR(net, timing_size=10, form_cache=str(tmp_path / 'forms.json'))
    (choice, ) = q.form_choices.values()  # the 3 blocks share one shape: timed once
    assert set(choice.timings_ms) == {'safe', 'float'} and choice.source == 'timed'
    assert q.forms == [choice.choice] * 3
    assert choice.choice == min(choice.timings_ms, key=choice.timings_ms.get)
    assert f'{choice.choice} x3' in q.describe_forms()
    again = deploy.Int8EDSR(net, timing_size=10, form_cache=str(tmp_path / 'forms.json'))
    assert next(iter(again.form_choices.values())).source == 'cache'
    assert again.forms == q.forms
    with pytest.raises(ValueError, match="mode must be 'auto' or one of"):
        deploy.Int8EDSR(net, mode='int4')


def test_int8_export_refuses_what_it_cannot_run(build):
    from mmlean.projects.pams.deploy import Int8EDSR
    with pytest.raises(ValueError, match='needs an 8-bit PAMS model, got bits \\[4\\]'):
        Int8EDSR(pams_edsr(build, 4))
    with pytest.raises(ValueError, match='quantize_all_conv_inputs=True'):
        Int8EDSR(pams_edsr(build, 8, fixed=False))
    with pytest.raises(TypeError, match='PAMSResidualBlock'):
        Int8EDSR(build(small_edsr()))


@pytest.mark.parametrize('bits', [2, 4, 8])
def test_packed_export_round_trip(build, bits, tmp_path):
    import mmlean.projects.pams as pams
    from mmlean.projects.pams.deploy import export_packed, load_packed, storage_report
    net = pams_edsr(build, bits)
    path = tmp_path / 'packed.pth'
    torch.save(export_packed(net), path)
    fresh = pams.quantize_sr_generator(build(small_edsr()).eval(), bits)
    load_packed(fresh, torch.load(path, weights_only=True))
    x = torch.rand(1, 3, 12, 12)
    with torch.no_grad():
        assert torch.allclose(fresh(x), net(x), atol=1e-6)
    report = storage_report(net)
    n_q = 3 * 2 * 16 * 16 * 9  # 3 blocks x 2 convs x 16x16x3x3
    assert report['quantized_fp32'] == 4 * n_q
    assert report['quantized_packed'] == 6 * ((16 * 16 * 9 * bits + 7) // 8 + 4)
    assert report['model_fp32'] == 4 * sum(p.numel() for p in net.parameters())


def test_storage_of_edsr_baseline_x4_matches_the_paper_compression(build):
    """EDSR-baseline x4: 32 quantized 64x64x3x3 convs; the paper reports 2.42x at 8 bits."""
    import mmlean.projects.pams as pams
    from mmlean.projects.pams.deploy import storage_report
    net = build(dict(type='EDSRNet', in_channels=3, out_channels=3, mid_channels=64,
                     num_blocks=16, upscale_factor=4))
    pams.quantize_sr_generator(net, 8)
    r = storage_report(net)
    assert r['quantized_fp32'] == 4 * 32 * 64 * 64 * 9
    assert r['quantized_fp32'] / r['quantized_packed'] > 3.99
    assert r['model_fp32'] / r['model_packed'] == pytest.approx(2.42, abs=0.03)
