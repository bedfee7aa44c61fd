# MTTR, window 10, on A2D-Sentences: the README recipe `-ws 10 -bs 3`
# (2 x A6000 48 GB), 70 epochs. Official checkpoint: 46.1 mAP
# (configs/mttr/README.md); the same model is evaluated on JHMDB-Sentences.
# Everything else (model, schedule, checkpoint selection, global batch 6) is
# the window-8 recipe.
_base_ = ['./mttr_swin-t-w8_3xb2-70e_a2d-sentences.py']
window_size = 10
train_dataloader = dict(
    batch_size=3, dataset=dict(window_size=window_size))
val_dataloader = dict(dataset=dict(window_size=window_size))
test_dataloader = val_dataloader
