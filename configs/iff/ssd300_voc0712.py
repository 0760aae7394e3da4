# Baseline for iff_ssd300_voc0712.py: mmdet's own SSD300 VGG-16, VOC07+12 config, unchanged.
_base_ = ['mmdet::pascal_voc/ssd300_voc0712.py']
