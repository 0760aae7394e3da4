# Mix-and-match: HRank on the ResNet-50 backbone of mmdet's Faster R-CNN R50-FPN
# 1x config. Only the block-internal conv1/conv2 filters are pruned: the
# residual streams feed the FPN (prune_stream=False), and only the backbone is
# traced (trace_backbone_only=True). Ranks are taken on COCO training images:
#   python tools/analysis_tools/hrank_ranks.py THIS_CONFIG --out RANKS.json
_base_ = ['mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['mmlean.projects.hrank'], allow_failed_imports=False)
model = dict(
    _delete_=True, _scope_='mmrazor', type='HRank',
    architecture=_base_.model,
    compress_rate='[0.2]+[0.8]*10+[0.8]*13+[0.55]*19+[0.45]*10',
    rank_file='work_dirs/hrank_faster-rcnn/ranks.json',
    input_shape=(3, 224, 224), prune_stream=False, trace_backbone_only=True)
model['architecture']['_scope_'] = 'mmdet'
custom_hooks = [dict(type='HRankHook', mode='one_shot')]
