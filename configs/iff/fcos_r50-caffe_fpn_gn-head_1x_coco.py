# Baseline for iff_fcos_r50-caffe_fpn_gn-head_1x_coco.py: mmdet's own FCOS R-50-FPN (caffe, GN head) 1x, COCO config, unchanged.
_base_ = ['mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py']
