# The same detector tested with run-time tiling (TOV_mmdetection's way): the whole test images
# are cut into 640x512 tiles with 100 px overlap when the dataset loads (sahi's slicing helper),
# no corner json needed; detections are merged back with NMS 0.5.
_base_ = ['./faster-rcnn_r50_fpn_1xb2-12e_tinyperson640.py']
val_dataloader = dict(dataset=dict(ann_file='annotations/task/tiny_set_test_all.json',
                                   tile_cfg=dict(size=(640, 512), overlap=(100, 100))))
test_dataloader = val_dataloader
