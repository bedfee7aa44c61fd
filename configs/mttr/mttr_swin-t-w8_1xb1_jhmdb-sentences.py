# MTTR evaluated on JHMDB-Sentences (no training, as the paper): the A2D
# window-8 model (load_from: its converted official checkpoint,
# tools/model_converters/mttr_to_mmvidseg.py) on three sampled frames per
# expression. Official: 36.6 mAP (configs/mttr/README.md).
_base_ = [
    '../_base_/models/mttr_swin-t.py',
    '../_base_/datasets/jhmdb_sentences.py', '../_base_/default_runtime.py'
]
window_size = 8
model = dict(test_cfg=dict(mode='all'))  # all 50 queries, A2D-style scoring
val_dataloader = dict(dataset=dict(window_size=window_size))
test_dataloader = val_dataloader
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
load_from = 'checkpoints/mttr_a2d-sentences_window-8.pth'
