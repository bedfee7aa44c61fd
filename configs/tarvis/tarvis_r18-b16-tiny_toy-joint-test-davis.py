# The toy joint TarViS-tiny (./tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py,
# same weights) on toy DAVIS valid, semi-supervised VOS: each object's mask
# in its first annotated frame is its exemplar, clips of 4 frames overlapping
# by 2 (so the 8-frame toy videos exercise the per-clip query
# re-initialisation; official DAVIS: 12 / 6 on 480p). Toy objects may enter
# after frame 0, which the official DAVIS protocol cannot score: J&F counts
# every object on the frames after its first appearance
# (DAVISMetric(objects_from='first_appearance'); equal to the official
# numbers when all objects are in frame 0). Scored by
# tools/analysis_tools/score_joint_toy.py with the other three tasks.
_base_ = ['./tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py']

model = dict(task='vos', test_cfg=dict(clip_length=4, overlap=2))

test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs', meta_keys=('video_name', ))
]
test_dataloader = dict(
    _delete_=True,  # toy DAVIS, not the toy YouTube-VIS valid loader
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type='DAVISDataset',
        data_root='data/toy/davis/DAVIS',
        task='semi-supervised',
        split='val',
        with_void=False,
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    _delete_=True,  # J&F instead of YouTube-VIS AP
    type='DAVISMetric',
    task='semi-supervised',
    objects_from='first_appearance')
val_dataloader = test_dataloader
val_evaluator = test_evaluator
