# YouTube-VIS 2022: the 2021 classes and training set; its valid split adds
# long videos and is scored as the mean of AP on short and long videos.
#   data/youtube_vis_2022/{train,valid}/JPEGImages, {train,valid}/instances.json
_base_ = './youtube_vis_2021.py'

data_root = 'data/youtube_vis_2022/'
dataset_version = '2022'
train_dataloader = dict(
    dataset=dict(data_root=data_root, dataset_version=dataset_version))
val_dataloader = dict(
    dataset=dict(data_root=data_root, dataset_version=dataset_version))
test_dataloader = val_dataloader
val_evaluator = dict(
    outfile_prefix='./work_dirs/youtube_vis_2022_results',
    dataset_version=dataset_version,
    # ids of the long valid videos (a JSON / text file), for local scoring
    long_video_ids=None)
test_evaluator = val_evaluator
