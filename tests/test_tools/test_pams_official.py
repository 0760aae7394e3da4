"""tools/model_converters/pams_official.py on files in the official PAMS layouts.

The released weights are not available here. The test writes state dicts with the keys
and shapes of the official networks (github.com/colorjam/PAMS: model/edsr_org.py ``EDSR``,
model/edsr.py ``PAMS_EDSR(args, bias=True)``, model/rdn_org.py ``RDN``, model/rdn.py
``PAMS_RDN``, config B; x4, 16 blocks, 64 channels), seeded values, converts them, and
compares the converted mmlean model with a re-statement of the official test forward
(model/quant_ops.py quantizers in eval mode; float64; inputs 0..255).
"""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from mmlean.utils.scripts import load_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCALE, FEATS, EDSR_BLOCKS = 4, 64, 16
RDN_BLOCKS, RDN_LAYERS, GROWTH = 16, 8, 64
DIV2K_MEAN = torch.tensor([0.4488, 0.4371, 0.4040], dtype=torch.float64)
ARCHS = ['edsr-fp', 'edsr-w8', 'edsr-w4', 'rdn-fp', 'rdn-w8', 'rdn-w4']


def _converter():
    return load_script(osp.join(ROOT, 'tools', 'model_converters', 'pams_official.py'))


# --- the official layout -------------------------------------------------------------------
class Layout:
    """Official keys with seeded values. Quantizers have an ``alpha`` of shape (1,) and the
    ``max_val`` that a trained file holds (0-dim: quant_ops.py assigns it in epoch 1)."""

    def __init__(self, gen):
        self.gen, self.sd = gen, {}

    def conv(self, name, cout, cin, k, bias=True):
        std = 1.0 / (cin * k * k) ** 0.5
        self.sd[f'{name}.weight'] = torch.randn(cout, cin, k, k, generator=self.gen) * std
        if bias:
            self.sd[f'{name}.bias'] = torch.randn(cout, generator=self.gen) * 2.0

    def quant(self, name, low=20.0, high=200.0):
        alpha = low + (high - low) * torch.rand(1, generator=self.gen)
        self.sd[f'{name}.alpha'] = alpha
        self.sd[f'{name}.max_val'] = alpha[0].clone() * 0.9

    def mean_shift(self):
        for name, sign in (('sub_mean', -1.0), ('add_mean', 1.0)):
            self.sd[f'{name}.weight'] = torch.eye(3).view(3, 3, 1, 1)
            self.sd[f'{name}.bias'] = (sign * 255 * DIV2K_MEAN).float()


def edsr_layout(gen, student):
    lay = Layout(gen)
    lay.mean_shift()
    lay.conv('head.0', FEATS, 3, 3)
    for i in range(EDSR_BLOCKS):
        if student:  # attribute order of PAMS_ResBlock: quant_act1..3, then body
            for q in ('quant_act1', 'quant_act2', 'quant_act3'):
                lay.quant(f'body.{i}.{q}')
            lay.conv(f'body.{i}.body.0', FEATS, FEATS, 3)
            for leaf in ('alpha', 'max_val'):  # body[2] is quant_act2, saved again
                lay.sd[f'body.{i}.body.2.{leaf}'] = lay.sd[f'body.{i}.quant_act2.{leaf}']
            lay.conv(f'body.{i}.body.3', FEATS, FEATS, 3)
        else:
            lay.conv(f'body.{i}.body.0', FEATS, FEATS, 3)
            lay.conv(f'body.{i}.body.2', FEATS, FEATS, 3)
    lay.conv(f'body.{EDSR_BLOCKS}', FEATS, FEATS, 3)
    lay.conv('tail.0.0', 4 * FEATS, FEATS, 3)
    lay.conv('tail.0.2', 4 * FEATS, FEATS, 3)
    lay.conv('tail.1', 3, FEATS, 3)
    return lay.sd


def rdn_layout(gen, student):
    lay = Layout(gen)
    lay.conv('SFENet1', FEATS, 3, 3)
    lay.conv('SFENet2', FEATS, FEATS, 3)
    for i in range(RDN_BLOCKS):
        for c in range(RDN_LAYERS):
            lay.conv(f'RDBs.{i}.convs.{c}.conv.0', GROWTH, FEATS + c * GROWTH, 3)
            if student:
                lay.quant(f'RDBs.{i}.convs.{c}.act')
        if student:
            lay.quant(f'RDBs.{i}.act1')
            lay.quant(f'RDBs.{i}.act2')
        lay.conv(f'RDBs.{i}.LFF', FEATS, FEATS + RDN_LAYERS * GROWTH, 1)
    if student:
        lay.quant('act')
    lay.conv('GFF.0', FEATS, RDN_BLOCKS * FEATS, 1)
    lay.conv('GFF.1', FEATS, FEATS, 3)
    lay.conv('UPNet.0', 4 * GROWTH, FEATS, 3)
    lay.conv('UPNet.2', 4 * GROWTH, GROWTH, 3)
    lay.conv('UPNet.4', 3, GROWTH, 3)
    return lay.sd


def official_state(arch, seed=0):
    gen = torch.Generator().manual_seed(seed)
    net, precision = arch.split('-')
    return (edsr_layout if net == 'edsr' else rdn_layout)(gen, precision != 'fp')


def write_official(path, arch, seed=0, container='state_dict'):
    """An official file: the teachers are bare state dicts, students ``model_best.pth.tar``."""
    sd = official_state(arch, seed)
    if container == 'state_dict' and not arch.endswith('fp'):
        torch.save(dict(epoch=30, state_dict=sd, optimizer={}, scheduler={}), path)
    else:
        torch.save(sd, path)
    return sd


# --- the official test forward, restated (float64, eval mode) --------------------------------
def q_act(x, alpha, bits):
    """quant_ops.pams_quant_act, eval branch: clamp to +-alpha, round on alpha / qmax."""
    qmax = 2.0 ** (bits - 1) - 1.0
    act = torch.max(torch.min(x, alpha), -alpha)
    return torch.round(act * qmax / alpha) * alpha / qmax


def q_weight(w, bits):
    """quant_ops.quant_weight: max-abs scale (detached) + 1e-8."""
    qmax = 2.0 ** (bits - 1) - 1.0
    m = w.abs().max() + 1e-8
    return torch.round(w * qmax / m) * m / qmax


def official_forward(sd, arch, x):
    """The official test forward in ``x``'s dtype (the official runs float32)."""
    net, precision = arch.split('-')
    bits = None if precision == 'fp' else int(precision[1])
    sd = {k: v.to(x.dtype) for k, v in sd.items()}

    def conv(name, h, quantized=False, padding=None):
        w = sd[f'{name}.weight']
        w = q_weight(w, bits) if quantized else w
        return F.conv2d(h, w, sd.get(f'{name}.bias'),
                        padding=w.shape[-1] // 2 if padding is None else padding)

    def act(name, h):
        return q_act(h, sd[f'{name}.alpha'], bits)

    if net == 'edsr':
        h = conv('sub_mean', x, padding=0)
        h = head = conv('head.0', h)
        for i in range(EDSR_BLOCKS):
            b = f'body.{i}'
            if bits is None:  # common.ResBlock
                h = h + conv(f'{b}.body.2', F.relu(conv(f'{b}.body.0', h)))
            else:  # PAMS_ResBlock: conv1 reads the FP input; the shortcut is quantized
                residual = act(f'{b}.quant_act1', h)
                body = act(f'{b}.quant_act2', F.relu(conv(f'{b}.body.0', h, True)))
                h = act(f'{b}.quant_act3', conv(f'{b}.body.3', body, True)) + residual
        h = conv(f'body.{EDSR_BLOCKS}', h) + head
        h = F.pixel_shuffle(conv('tail.0.0', h), 2)
        h = F.pixel_shuffle(conv('tail.0.2', h), 2)
        return conv('add_mean', conv('tail.1', h), padding=0)
    f1 = conv('SFENet1', x)
    h = conv('SFENet2', f1)
    outs = []
    for i in range(RDN_BLOCKS):
        r = f'RDBs.{i}'
        if bits is None:
            out = h
            for c in range(RDN_LAYERS):
                out = torch.cat([out, F.relu(conv(f'{r}.convs.{c}.conv.0', out))], 1)
            h = conv(f'{r}.LFF', out) + h
        else:  # PAMS_RDB: the re-quantized concatenation is passed on
            h = act(f'{r}.act1', h)
            out = h
            for c in range(RDN_LAYERS):
                if c > 0:
                    out = act(f'{r}.convs.{c}.act', out)
                out = torch.cat([out, F.relu(conv(f'{r}.convs.{c}.conv.0', out, True))], 1)
            h = conv(f'{r}.LFF', act(f'{r}.act2', out), True) + h
        outs.append(h)
    g = torch.cat(outs, 1)
    if bits is not None:
        g = act('act', g)
    h = conv('GFF.1', conv('GFF.0', g, bits is not None), bits is not None) + f1
    h = F.pixel_shuffle(conv('UPNet.0', h), 2)
    h = F.pixel_shuffle(conv('UPNet.2', h), 2)
    return conv('UPNet.4', h)


def converted_model(dst, arch):
    from mmlean.utils.model_conversion import build_model
    converter = _converter()
    config = osp.join(ROOT, 'configs', 'pams', converter.ARCHS[arch])
    _, model = build_model(config)
    checkpoint = torch.load(dst, weights_only=True)
    model.load_state_dict(checkpoint['state_dict'], strict=True)
    return model.double().eval(), checkpoint


def low_res_input(seed=3, size=(12, 10)):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (2, 3, *size), generator=gen).double()


# --- tests -----------------------------------------------------------------------------------
@pytest.mark.parametrize('arch', ARCHS)
def test_converts_loads_strictly_and_computes_the_official_forward(arch, tmp_path):
    src, dst = str(tmp_path / 'official.pt'), str(tmp_path / 'converted.pth')
    sd = write_official(src, arch)
    _converter().convert(src, dst, arch)
    model, checkpoint = converted_model(dst, arch)
    assert checkpoint['meta']['source_sha256'] and checkpoint['meta']['arch'] == arch
    x = low_res_input()
    with torch.no_grad():
        ours = model.generator(x)
        theirs = official_forward(sd, arch, x)
    assert ours.shape == theirs.shape == (2, 3, 4 * 12, 4 * 10)
    assert torch.allclose(ours, theirs, rtol=0, atol=1e-9), (ours - theirs).abs().max()
    # the images the official test saves: clamp, round
    assert torch.equal(ours.clamp(0, 255).round(), theirs.clamp(0, 255).round())


@pytest.mark.parametrize('arch', ['edsr-fp', 'rdn-fp'])
def test_teacher_for_the_training_configs(arch, tmp_path):
    """``--for-training``: the training config's model on [0, 1] inputs computes the
    official output / 255."""
    from mmlean.utils.model_conversion import build_model
    src, dst = str(tmp_path / 'official.pt'), str(tmp_path / 'teacher.pth')
    sd = write_official(src, arch)
    converter = _converter()
    meta = converter.convert(src, dst, arch, for_training=True)
    assert meta['config'].endswith(converter.TRAINING[arch]) and meta['input_range'] == 1
    _, model = build_model(osp.join(ROOT, meta['config']))
    model.load_state_dict(torch.load(dst, weights_only=True)['state_dict'], strict=True)
    x = low_res_input()
    with torch.no_grad():
        ours = model.double().generator(x / 255) * 255
    # float32 biases / 255 and float32 means: rounding of about 1e-6 of the values (0..~500)
    theirs = official_forward(sd, arch, x)
    assert torch.allclose(ours, theirs, rtol=0, atol=1e-3), (ours - theirs).abs().max()
    with pytest.raises(ValueError, match='--for-training converts the full-precision'):
        converter.convert(src, dst, arch.replace('fp', 'w8'), for_training=True)


@pytest.mark.parametrize('arch', ['edsr-w4', 'rdn-w4'])
def test_the_official_placement_matters(arch, tmp_path):
    """The comparison above can fail: mmlean's training placement (every conv input
    quantized; RDN concatenating unquantized inputs) gives other images."""
    src, dst = str(tmp_path / 'official.pt'), str(tmp_path / 'converted.pth')
    sd = write_official(src, arch)
    _converter().convert(src, dst, arch)
    model, _ = converted_model(dst, arch)
    for module in model.generator.modules():  # the placement of quantize_all_conv_inputs=True
        if hasattr(module, 'quantize_input'):
            module.quantize_input = True
        if hasattr(module, 'pass_quantized_concat'):
            module.pass_quantized_concat = False
    x = low_res_input()
    with torch.no_grad():
        diff = (model.generator(x) - official_forward(sd, arch, x)).abs().max()
    assert diff > 0.5


@pytest.mark.parametrize('max_val_shape', [(), (1, )])
def test_bare_student_dict_and_both_buffer_shapes(max_val_shape, tmp_path):
    """run.sh's ``8bit_edsr_x4.pt`` is a bare dict; ``max_val`` is (1,) in a fresh model,
    () in a trained one (colorjam/PAMS issue #7); alpha may be 0-dim too."""
    src, dst = str(tmp_path / '8bit_edsr_x4.pt'), str(tmp_path / 'converted.pth')
    sd = official_state('edsr-w8')
    for key in [k for k in sd if k.endswith(('max_val', 'alpha'))]:
        sd[key] = sd[key].reshape(max_val_shape)
    torch.save(sd, src)
    _converter().convert(src, dst, 'edsr-w8')
    state = torch.load(dst, weights_only=True)['state_dict']
    assert state['generator.body.3.quant_mid.alpha'].shape == ()
    assert float(state['generator.body.3.quant_mid.alpha']) == pytest.approx(
        float(sd['body.3.quant_act2.alpha'].reshape(())))
    assert bool(state['generator.body.3.quant_mid.initialized'])
    assert not any('max_val' in k or 'mean' in k for k in state)


def _error(tmp_path, sd, arch, capsys):
    src = str(tmp_path / 'official.pt')
    torch.save(sd, src)
    code = _converter().main([src, str(tmp_path / 'out.pth'), '--arch', arch])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert not osp.exists(tmp_path / 'out.pth')
    return err


def test_wrong_arch_unknown_and_missing_keys_fail_in_one_line(tmp_path, capsys):
    student = official_state('edsr-w8')
    assert 'use --arch edsr-w8 or edsr-w4' in _error(tmp_path, student, 'edsr-fp', capsys)
    assert 'use --arch rdn-fp' in _error(tmp_path, official_state('rdn-fp'), 'rdn-w8', capsys)
    extra = dict(student, **{'body.3.extra.weight': torch.zeros(1)})
    assert 'body.3.extra.weight' in _error(tmp_path, extra, 'edsr-w8', capsys)
    missing = {k: v for k, v in student.items() if not k.startswith('tail.1.')}
    err = _error(tmp_path, missing, 'edsr-w8', capsys)
    assert 'missing 2 key(s): generator.conv_last.bias, generator.conv_last.weight' in err
    twin = dict(student, **{'body.0.body.2.alpha': student['body.0.quant_act2.alpha'] + 1})
    assert 'should be the same quantizer' in _error(tmp_path, twin, 'edsr-w8', capsys)
    shifted = dict(official_state('edsr-fp'))
    shifted['sub_mean.bias'] = torch.zeros(3)
    assert 'mean shift' in _error(tmp_path, shifted, 'edsr-fp', capsys)


def test_a_file_with_other_objects_is_refused(tmp_path, capsys):
    src = str(tmp_path / 'official.pt')
    torch.save(dict(state_dict=official_state('rdn-fp'), args=argparse_namespace()), src)
    code = _converter().main([src, str(tmp_path / 'out.pth'), '--arch', 'rdn-fp'])
    assert code == 2 and 'Namespace' in capsys.readouterr().err


def argparse_namespace():
    import argparse
    return argparse.Namespace(scale=[4])
