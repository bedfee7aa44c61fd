# TeViT MsgShifT on OVIS (25 classes). Not an official config: the official
# repository ships YouTube-VIS 2019 only. OVIS videos are long (up to ~300
# frames): inference runs in overlapping windows (test_cfg.chunk) so memory
# does not grow with the video length.
_base_ = './tevit_msgshift_8xb2-9200i_youtubevis2019.py'

num_classes = 25
model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=num_classes),
        mask_head=dict(num_classes=num_classes)),
    test_cfg=dict(chunk=dict(num_frames=36, overlap=6, iou_thr=0.5)))

data_root = 'data/ovis/'
train_dataloader = dict(
    dataset=dict(
        type='OVISDataset',
        data_root=data_root,
        dataset_version='ovis',
        ann_file='annotations_train.json',
        data_prefix=dict(img_path='train')))
test_dataloader = dict(
    dataset=dict(
        type='OVISDataset',
        data_root=data_root,
        dataset_version='ovis',
        ann_file='annotations_valid.json',
        data_prefix=dict(img_path='valid')))
test_evaluator = dict(
    outfile_prefix='./work_dirs/ovis_results', dataset_version='ovis')
