# MTTR evaluated on Ref-DAVIS-17 (no training): the Refer-YouTube-VOS
# window-12 model (load_from: the converted official checkpoint,
# tools/model_converters/mttr_to_mmvidseg.py) over whole videos, scored with
# ReferFormer's Ref-DAVIS protocol. MTTR publishes no Ref-DAVIS number.
_base_ = [
    '../_base_/models/mttr_swin-t.py', '../_base_/datasets/ref_davis.py',
    '../_base_/default_runtime.py'
]
model = dict(test_cfg=dict(mode='rvos'))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
load_from = 'checkpoints/mttr_refer-youtube-vos_window-12.pth'
