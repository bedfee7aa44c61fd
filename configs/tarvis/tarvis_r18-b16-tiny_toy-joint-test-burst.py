# The toy joint TarViS-tiny (./tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py,
# same weights) on toy BURST valid, point-exemplar tracking (TarViS's BURST
# task; the joint training turns 30 % of the VOS objects into points): the
# point of each track's first annotated frame (first_frame_annotations.json)
# is its exemplar, clips of 4 frames overlapping by 2 (official 8 / 4 on
# 512-pixel frames; the 96 x 96 toy frames are not resized). Mask exemplars:
# model.task='vos'. Scored by exemplar-guided BURST HOTA against all
# annotated frames (all_classes.json), by
# tools/analysis_tools/score_joint_toy.py with the other three tasks.
_base_ = ['./tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py']

model = dict(task='pet', test_cfg=dict(clip_length=4, overlap=2))

data_root = 'data/toy/burst/'
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs', meta_keys=('video_name', 'is_annotated')),
    dict(type='PackExemplarPoints')
]
test_dataloader = dict(
    _delete_=True,  # toy BURST, not the toy YouTube-VIS valid loader
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type='BURSTDataset',
        data_root=data_root,
        ann_file='annotations/val/all_classes.json',
        exemplar_file='annotations/val/first_frame_annotations.json',
        data_prefix=dict(img_path='frames/val'),
        num_interleaved=10,
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    _delete_=True,  # BURST HOTA instead of YouTube-VIS AP
    type='BURSTHOTAMetric',
    exemplar_guided=True,
    split='val')
val_dataloader = test_dataloader
val_evaluator = test_evaluator
