# Test-only: the tiny toy STEm-Seg (trained with
# stemseg_r18-b16-tiny_1xb2-2400i_toy-ytvis.py) on the same toy valid videos
# in the DAVIS-2017 unsupervised layout, written as the reference DAVIS
# writer does (<= 20 tracks ranked by lifetime, palette PNGs) and scored
# with DAVIS J&F:
#   python tools/test.py \
#       configs/stemseg/stemseg_r18-b16-tiny_toy-ytvis-test-davis.py CKPT
_base_ = './stemseg_r18-b16-tiny_1xb2-2400i_toy-ytvis.py'
model = dict(test_cfg=dict(max_tracks=20))
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[dict(type='LoadImageFromFile')]),
    dict(type='PackTrackInputs', meta_keys=('video_name', ))
]
test_dataloader = dict(
    dataset=dict(
        _delete_=True,  # a DAVISDataset, not the base YouTube-VIS dataset
        type='DAVISDataset',
        data_root='data/toy/davis/DAVIS',
        task='unsupervised',
        split='val',
        with_void=False,  # DAVISMetric would paint void as an object
        test_mode=True,
        pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = dict(
    _delete_=True,  # DAVISMetric instead of the YouTube-VIS metric
    type='DAVISMetric',
    task='unsupervised',
    pred_order='rank',  # the reference DAVIS writer: tracks by lifetime
    outfile_prefix='./work_dirs/stemseg_toy_davis/results')
val_evaluator = test_evaluator
