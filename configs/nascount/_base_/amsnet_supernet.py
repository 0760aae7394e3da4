# The AMSNet supernet (NAS-Count, Hu et al., ECCV 2020, arXiv 2003.00217) as we read it:
# the paper's Sec. 3 (op lists, cell counts, macro structure) could not be checked, so
# every choice below is ours and a config option (see projects/nascount/README.md):
# * encoder: stem to stride 4, DARTS cells normal/reduce (strides 4, 8, 8, 16, 16),
#   candidate ops conv 3x3, sep conv 3x3/5x5, dil conv 3x3/5x5 (rate 2), skip; no
#   'zero' (DARTS drops it at derivation anyway);
# * decoder: one decoder level per stride from 16 down to the output stride 8; each level
#   fuses a macro route over the encoder scales (2 of 3 paths kept) with the upsampled
#   previous level in a decoder cell; decoder ops conv 3x3, dil conv 3x3/5x5, sep conv 3x3,
#   skip; upsampling candidates: transposed conv 3x3/5x5, bilinear + conv 3x3, nearest +
#   conv 3x3;
# * SPPLoss with the searched pooling (avg/max per level, 3 levels of 2x2);
# * density head: 1x1 conv + ReLU at stride 8, predicting 100 x density.
enc_ops = dict(
    conv_3x3=dict(type='ReLUConvBN', kernel_size=3),
    sep_conv_3x3=dict(type='mmrazor.DartsSepConv', kernel_size=3),
    sep_conv_5x5=dict(type='mmrazor.DartsSepConv', kernel_size=5),
    dil_conv_3x3=dict(type='mmrazor.DartsDilConv', kernel_size=3),
    dil_conv_5x5=dict(type='mmrazor.DartsDilConv', kernel_size=5),
    skip_connect=dict(type='mmrazor.DartsSkipConnect'))
dec_ops = dict(
    conv_3x3=dict(type='ReLUConvBN', kernel_size=3),
    dil_conv_3x3=dict(type='mmrazor.DartsDilConv', kernel_size=3),
    dil_conv_5x5=dict(type='mmrazor.DartsDilConv', kernel_size=5),
    sep_conv_3x3=dict(type='mmrazor.DartsSepConv', kernel_size=3),
    skip_connect=dict(type='mmrazor.DartsSkipConnect'))
up_ops = dict(
    deconv_3x3=dict(type='UpsampleDeconv', kernel_size=3),
    deconv_5x5=dict(type='UpsampleDeconv', kernel_size=5),
    bilinear_conv_3x3=dict(type='UpsampleInterpConv', kernel_size=3, mode='bilinear'),
    nearest_conv_3x3=dict(type='UpsampleInterpConv', kernel_size=3, mode='nearest'))
route_cfg = dict(type='mmrazor.DiffChoiceRoute', with_arch_param=True)

base_channels = 16
num_nodes = 3
enc_layers = ('normal', 'reduce', 'normal', 'reduce', 'normal')
# encoder output channels at strides 4, 8, 16: num_nodes x (C, 2C, 4C)
enc_channels = [num_nodes * base_channels * m for m in (1, 2, 4)]
dec_channels = 16
output_stride = 8
pad_size_divisor = 16  # the coarsest encoder stride: every scale has exact sizes
density_scale = 100.0  # our choice (unverified): the network predicts 100 x density
loss = dict(type='SPPLoss', levels=3, pool='searched', candidates=('avg', 'max'))

data_preprocessor = dict(
    type='ImgDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=pad_size_divisor)
supernet = dict(
    type='CrowdCounter',
    output_stride=output_stride,
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='AMSNetEncoder',
        base_channels=base_channels,
        layers=enc_layers,
        num_nodes=num_nodes,
        mutable_cfg=dict(type='mmrazor.DiffMutableOP', candidates=enc_ops),
        route_cfg=route_cfg),
    neck=dict(
        type='AMSNetDecoder',
        in_channels=enc_channels,
        in_strides=(4, 8, 16),
        channels=dec_channels,
        num_nodes=num_nodes,
        out_stride=output_stride,
        num_paths=2,
        mutable_cfg=dict(type='mmrazor.DiffMutableOP', candidates=dec_ops),
        route_cfg=route_cfg,
        up_cfg=dict(type='mmrazor.DiffMutableOP', candidates=up_ops)),
    # ReLU output (non-negative density; a linear output left negative mass on the
    # background that cancelled heads in our first synthetic run)
    head=dict(type='DensityHead', in_channels=num_nodes * dec_channels, loss=loss,
              density_scale=density_scale, act_cfg=dict(type='ReLU')))
