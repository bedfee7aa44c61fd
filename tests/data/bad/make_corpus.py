# Copyright (c) mmvidseg contributors. All rights reserved.
"""Write the malformed results-file corpus ``tests/data/bad/``.

    python tests/data/bad/make_corpus.py

Tiny ground truth per format under ``gt/``, one valid prediction per format
(``<format>/good*``) and one malformed prediction per case; ``manifest.json``
lists every case: format, how it is read (``offline``: ``eval_offline.py
--metric ...``; ``checker``: ``tools/misc/check_submission.py``), the files
and the fragment the error message must contain (``null`` for the valid
ones). ``tests/test_evaluation/test_bad_results.py`` runs each case. Frames
are 4x6 pixels, so the whole corpus stays a few tens of kB.
"""
import copy
import io
import json
import os
import os.path as osp
import shutil
import zipfile

import numpy as np
from PIL import Image

from mmvidseg.evaluation.functional.davis_io import davis_palette
from mmvidseg.evaluation.functional.panoptic_io import (id2rgb,
                                                        kitti_step_encode)
from mmvidseg.structures.masks import encode_mask

ROOT = osp.dirname(osp.abspath(__file__))
H, W = 4, 6
CASES = []


def rle(mask):
    return encode_mask(np.asarray(mask, bool))


def box(y0, y1, x0, x1, h=H, w=W):
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def path(*parts):
    p = osp.join(ROOT, *parts)
    os.makedirs(osp.dirname(p), exist_ok=True)
    return p


def write_json(obj, *parts):
    with open(path(*parts), 'w') as f:
        json.dump(obj, f, separators=(',', ':'))


def write_bytes(data, *parts):
    with open(path(*parts), 'wb') as f:
        f.write(data)


def png_bytes(arr, mode):
    buf = io.BytesIO()
    img = Image.fromarray(np.asarray(arr, np.uint8), mode=mode)
    if mode == 'P':  # the first DAVIS colours keep the files small
        img.putpalette(davis_palette()[:3 * 8])
    img.save(buf, format='PNG')
    return buf.getvalue()


def copy_tree(src, dst):
    if osp.isdir(path(dst)):
        shutil.rmtree(path(dst))
    shutil.copytree(path(src), path(dst))


def zip_put(zf, name, data):
    """A member with a fixed date, so regenerated zips are identical."""
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def zip_dir(src, dst, prefix=''):
    with zipfile.ZipFile(path(dst), 'w') as zf:
        for d, _, files in sorted(os.walk(path(src))):
            for name in sorted(files):
                full = osp.join(d, name)
                with open(full, 'rb') as f:
                    zip_put(zf, prefix + osp.relpath(full, path(src)),
                            f.read())


def case(fmt, name, pred, expect, via='offline', metric=None, gt=None,
         args=(), benchmark=None, split=None, slow=None):
    entry = dict(id=f'{fmt}/{name}', format=fmt, via=via, metric=metric,
                 benchmark=benchmark, gt=gt, split=split, pred=pred,
                 args=list(args), expect=expect, slow=slow)
    CASES.append({k: v for k, v in entry.items()
                  if v is not None or k == 'expect'})


# --------------------------------------------------------- YouTube-VIS / OVIS
def ytvis():
    masks = {1: [box(0, 2, 0, 3), box(1, 3, 1, 4), None],
             2: [box(2, 4, 2, 6), box(0, 4, 0, 2)]}
    gt = dict(videos=[dict(id=v, height=H, width=W, length=len(m),
                           file_names=[f'v{v}/{t:05d}.jpg'
                                       for t in range(len(m))])
                      for v, m in masks.items()],
              categories=[dict(id=1, name='a'), dict(id=2, name='b')],
              annotations=[dict(id=v, video_id=v, category_id=v, iscrowd=0,
                                segmentations=[rle(x) if x is not None else
                                               None for x in m],
                                areas=[int(x.sum()) if x is not None else
                                       None for x in m])
                           for v, m in masks.items()])
    write_json(gt, 'gt', 'ytvis.json')
    good = [dict(video_id=a['video_id'], category_id=a['category_id'],
                 score=0.9, segmentations=a['segmentations'])
            for a in gt['annotations']]
    write_json(good, 'ytvis', 'good.json')
    with zipfile.ZipFile(path('ytvis', 'good.zip'), 'w') as zf:
        zip_put(zf, 'results.json', json.dumps(good))
    kw = dict(metric='ytvis', gt='gt/ytvis.json')
    case('ytvis', 'good', 'ytvis/good.json', None, **kw)
    case('ytvis', 'good_zip', 'ytvis/good.zip', None, **kw)

    def bad(name, expect, mutate, replace=False):
        res = copy.deepcopy(good)
        out = mutate(res)
        res = out if replace else res
        write_json(res, 'ytvis', f'{name}.json')
        case('ytvis', name, f'ytvis/{name}.json', expect, **kw)

    write_bytes(b'', 'ytvis', 'empty.json')
    case('ytvis', 'empty', 'ytvis/empty.json', 'is empty', **kw)
    write_bytes(json.dumps(good).encode()[:40], 'ytvis', 'truncated.json')
    case('ytvis', 'truncated', 'ytvis/truncated.json', 'is not valid JSON',
         **kw)
    bad('not_a_list', 'holds a dict, not a list',
        lambda r: dict(results=r), replace=True)
    bad('missing_score', '[0]: "score" is missing',
        lambda r: r[0].pop('score'))
    bad('video_id_str', '"video_id" is a str, not an int',
        lambda r: r[0].update(video_id='1'))
    bad('unknown_video', '"video_id" 99 is not in the ground truth',
        lambda r: r[1].update(video_id=99))
    bad('frame_count', '"segmentations" must list one RLE or null per '
        'frame, i.e. 3 entries', lambda r: r[0]['segmentations'].pop())
    bad('mask_size', 'frame 0: "segmentations.size" is [6, 4]',
        lambda r: r[0]['segmentations'].__setitem__(
            0, rle(np.ones((W, H)))))
    bad('corrupt_rle', 'frame 1: "segmentations.counts" does not decode',
        lambda r: r[0]['segmentations'][1].update(counts='0a'))
    bad('score_above_1', '"score" must be a finite number in [0, 1], got '
        '1.5', lambda r: r[1].update(score=1.5))
    bad('score_nan', '"score" must be a finite number in [0, 1], got nan',
        lambda r: r[1].update(score=float('nan')))
    bad('category_zero', '"category_id" 0 is not one of the 2 category ids '
        'of the split (1..2)',
        lambda r: r[0].update(category_id=0))
    bad('polygon', 'frame 0: "segmentations" is [[0, 0, 2, 0, 2, 2]], not '
        'an RLE dict {size, counts} or null',
        lambda r: r[0]['segmentations'].__setitem__(0, [[0, 0, 2, 0, 2,
                                                         2]]))
    bad('counts_int', 'frame 0: "segmentations.counts" is int',
        lambda r: r[0]['segmentations'][0].update(counts=7))
    bad('entry_not_dict', '[1]: is a list, not a dict',
        lambda r: r.__setitem__(1, [1, 2]))
    with zipfile.ZipFile(path('ytvis', 'nested.zip'), 'w') as zf:
        zip_put(zf, 'submission/results.json', json.dumps(good))
    case('ytvis', 'zip_nested', 'ytvis/nested.zip',
         '"results.json" is not at the archive root', **kw)
    write_bytes(b'PK\x03\x04broken', 'ytvis', 'broken.zip')
    case('ytvis', 'zip_broken', 'ytvis/broken.zip', 'is not a zip archive',
         **kw)
    # OVIS: the same format, through the checker against a video list
    with open(path('gt', 'ovis_videos.txt'), 'w') as f:
        f.write('# video num_frames height width\n1 3 4 6\n2 2 4 6\n')
    kw = dict(via='checker', benchmark='ovis', split='gt/ovis_videos.txt')
    case('ovis', 'good', 'ytvis/good.zip', None, **kw)
    case('ovis', 'unknown_video', 'ytvis/unknown_video.json',
         '"video_id" 99 is not in the ground truth', **kw)
    case('ovis', 'frame_count', 'ytvis/frame_count.json',
         'i.e. 3 entries', **kw)


# ------------------------------------------------------------------- DAVIS
def davis():
    ids = np.zeros((3, H, W), np.uint8)
    ids[:, 0:2, 0:3] = 1
    ids[:, 2:4, 3:6] = 2
    ids[1, 0, 0] = 0
    for t in range(3):
        write_bytes(png_bytes(ids[t], 'P'), 'gt', 'davis', 'Annotations',
                    '480p', 'seqa', f'{t:05d}.png')
    with open(path('gt', 'davis', 'ImageSets', '2017', 'val.txt'), 'w') as f:
        f.write('seqa\n')
    for t in range(3):
        write_bytes(png_bytes(ids[t], 'P'), 'davis', 'good', 'seqa',
                    f'{t:05d}.png')
    kw = dict(metric='davis', gt='gt/davis')
    case('davis', 'good', 'davis/good', None, **kw)

    def bad(name, expect, mutate):
        copy_tree('davis/good', f'davis/{name}')
        mutate(path('davis', name, 'seqa', '00001.png'))
        case('davis', name, f'davis/{name}', expect, **kw)

    def rename(p):
        os.rename(osp.dirname(p), osp.join(osp.dirname(osp.dirname(p)),
                                           'seqb'))

    bad('missing_sequence', 'sequence seqa: has no result folder', rename)
    bad('missing_frame', 'frame 00001: seqa/00001.png is missing',
        os.remove)
    bad('rgb_png', 'frame 00001: "mode" is RGB (bit depth 8), expected '
        'grey or palette', lambda p: write_bytes(png_bytes(np.zeros(
            (H, W, 3)), 'RGB'), p))
    bad('wrong_size', 'frame 00001: "size" is 6x4 (HxW), the frame is 4x6',
        lambda p: write_bytes(png_bytes(np.zeros((W, H)), 'P'), p))
    bad('truncated_png', 'frame 00001: is truncated',
        lambda p: write_bytes(png_bytes(ids[1], 'P')[:60], p))
    bad('empty_png', 'frame 00001: is an empty file',
        lambda p: write_bytes(b'', p))
    bad('not_png', 'frame 00001: is not a PNG image',
        lambda p: write_bytes(b'\xff\xd8\xff\xe0 a JPEG' * 8, p))
    # the test-dev zip, through the checker (every frame, object ids)
    kw = dict(via='checker', benchmark='davis', split='gt/davis',
              args=[['davis_set', 'val']])
    zip_dir('davis/good', 'davis/good.zip')
    case('davis', 'good_zip', 'davis/good.zip', None, **kw)
    zip_dir('davis/good', 'davis/nested.zip', prefix='results/')
    case('davis', 'zip_nested', 'davis/nested.zip', "has no folder named "
         "after a sequence of", **kw)
    write_bytes(b'', 'davis', 'empty.zip')
    case('davis', 'zip_empty', 'davis/empty.zip', 'is neither a folder nor '
         'a zip archive', **kw)
    copy_tree('davis/good', 'davis/id_above_objects')
    high = ids[2].copy()
    high[0, 0] = 3
    write_bytes(png_bytes(high, 'P'), 'davis', 'id_above_objects', 'seqa',
                '00002.png')
    case('davis', 'id_above_objects', 'davis/id_above_objects',
         'frame 00002: "object id" 3 is above 2', **kw)
    # Ref-DAVIS17: one folder per annotator, unsupervised layout
    for t in range(3):
        write_bytes(png_bytes(ids[t], 'P'), 'gt', 'davis',
                    'Annotations_unsupervised', '480p', 'seqa',
                    f'{t:05d}.png')
    ref = dict(metric='refer_jf', gt='gt/davis', args=['--ref-davis'])
    broken = dict(good=None, truncated_png=png_bytes(ids[2], 'P')[:50],
                  wrong_size=png_bytes(np.zeros((W, W)), 'P'))
    for name, last in broken.items():
        for t in range(3):
            data = png_bytes(ids[t], 'P') if t < 2 or last is None else last
            write_bytes(data, 'ref_davis', name, 'anno_0', 'seqa',
                        f'{t:05d}.png')
    case('ref_davis', 'good', 'ref_davis/good', None, **ref)
    case('ref_davis', 'truncated_png', 'ref_davis/truncated_png',
         'sequence seqa frame 00002: is truncated', **ref)
    case('ref_davis', 'wrong_size', 'ref_davis/wrong_size',
         'sequence seqa frame 00002: "size" is 6x6 (HxW), the frame is 4x6',
         **ref)
    copy_tree('davis/good', 'davis/first_frame_missing')
    os.remove(path('davis', 'first_frame_missing', 'seqa', '00000.png'))
    case('davis', 'first_frame_missing', 'davis/first_frame_missing',
         'frame 00000: seqa/00000.png is missing', **kw)


# ------------------------------------------------------------- KITTI-STEP
def kitti_step():
    sem = np.zeros((H, W), np.int64)
    sem[1:3, 1:4] = 11
    inst = (sem == 11).astype(np.int64)
    for t in range(2):
        rgb = kitti_step_encode(sem, inst)
        write_bytes(png_bytes(rgb, 'RGB'), 'gt', 'kitti_step', '0000',
                    f'{t:06d}.png')
        write_bytes(png_bytes(rgb, 'RGB'), 'kitti_step', 'good', '0000',
                    f'{t:06d}.png')
    kw = dict(metric='stq', gt='gt/kitti_step')
    # STQ itself takes ~10 s even on 4x6 frames: the valid case is 'slow'
    # by default, and its validation alone runs in the fast test
    case('kitti_step', 'good', 'kitti_step/good', None, slow=True, **kw)

    def bad(name, expect, mutate):
        copy_tree('kitti_step/good', f'kitti_step/{name}')
        mutate(path('kitti_step', name, '0000', '000001.png'))
        case('kitti_step', name, f'kitti_step/{name}', expect, **kw)

    def drop_sequence(p):
        shutil.rmtree(osp.dirname(p))
        # git keeps no empty folder: a placeholder keeps the case's root
        open(osp.join(osp.dirname(osp.dirname(p)), '.gitkeep'), 'w').close()

    bad('missing_sequence', 'sequence 0000: has no folder 0000/',
        drop_sequence)
    bad('missing_frame', 'sequence 0000 frame 000001.png: is missing',
        os.remove)
    bad('palette_png', '"mode" is palette (bit depth 4), expected RGB',
        lambda p: write_bytes(png_bytes(sem, 'P'), p))
    bad('wrong_size', '"size" is 2x6 (HxW), the frame is 4x6',
        lambda p: write_bytes(png_bytes(np.zeros((2, W, 3)), 'RGB'), p))
    bad('truncated_png', 'frame 000001.png: is truncated',
        lambda p: write_bytes(png_bytes(kitti_step_encode(sem, inst),
                                        'RGB')[:50], p))


# ---------------------------------------------------------------- VIPSeg
def _panoptic_frames(root, vid, seg, cats):
    infos = []
    for t, ids in enumerate(seg):
        name = f'{t:05d}.png'
        write_bytes(png_bytes(id2rgb(ids), 'RGB'), *root, vid, name)
        infos.append(dict(file_name=name, segments_info=[
            dict(id=int(i), category_id=cats[int(i)], iscrowd=0,
                 area=int((ids == i).sum()))
            for i in np.unique(ids) if i]))
    return infos


def vipseg():
    seg = np.zeros((2, H, W), np.int64)
    seg[:, :2] = 1
    seg[:, 2:, :3] = 2
    cats = {1: 0, 2: 1}
    gt_anns = [dict(video_id='v1', annotations=_panoptic_frames(
        ('gt', 'vipseg', 'panomasksRGB'), 'v1', seg, cats))]
    gt = dict(videos=[dict(video_id='v1', images=[
        dict(file_name=f'{t:05d}.png', height=H, width=W)
        for t in range(2)])], annotations=gt_anns,
        categories=[dict(id=0, isthing=1), dict(id=1, isthing=0)])
    write_json(gt, 'gt', 'vipseg', 'panoptic_gt_VIPSeg_val.json')
    _panoptic_frames(('vipseg', 'good', 'pan_pred'), 'v1', seg, cats)
    write_json(dict(annotations=gt_anns), 'vipseg', 'good', 'pred.json')
    kw = dict(metric='vpq', gt='gt/vipseg/panomasksRGB', args=[
        '--vpq-format', 'vipseg', '--gt-json',
        'DATA:gt/vipseg/panoptic_gt_VIPSeg_val.json'])
    case('vipseg', 'good', 'vipseg/good', None, **kw)

    def bad(name, expect, mutate, png=None):
        copy_tree('vipseg/good', f'vipseg/{name}')
        pred = dict(annotations=copy.deepcopy(gt_anns))
        mutate(pred)
        write_json(pred, 'vipseg', name, 'pred.json')
        if png is not None:
            write_bytes(png, 'vipseg', name, 'pan_pred', 'v1', '00001.png')
        case('vipseg', name, f'vipseg/{name}', expect, **kw)

    write_bytes(b'', 'vipseg', 'empty_json', 'pred.json')
    shutil.copytree(path('vipseg', 'good', 'pan_pred'),
                    path('vipseg', 'empty_json', 'pan_pred'))
    case('vipseg', 'empty_json', 'vipseg/empty_json', 'pred.json: is empty',
         **kw)
    bad('no_annotations', '"annotations" is missing',
        lambda p: p.update(annotations=None))
    bad('unknown_video', "video 'v9'): \"video_id\" is not a video of the "
        'ground truth', lambda p: p['annotations'][0].update(video_id='v9'))
    bad('duplicate_video', "video 'v1'): \"video_id\" is listed twice",
        lambda p: p['annotations'].append(p['annotations'][0]))
    bad('frame_count', "video 'v1': \"annotations\" has 1 frames, the "
        'ground truth 2', lambda p: p['annotations'][0]['annotations'].pop())
    bad('duplicate_segment', 'frame 00000.png: "segments_info.id" 1 is '
        'listed twice', lambda p: p['annotations'][0]['annotations'][0][
            'segments_info'].append(dict(id=1, category_id=0)))
    bad('unknown_category', '"segments_info.category_id" 124 is not a '
        'dataset category', lambda p: p['annotations'][0]['annotations'][1][
            'segments_info'][0].update(category_id=124))
    bad('truncated_png', 'frame 00001.png: is truncated', lambda p: None,
        png=png_bytes(id2rgb(seg[1]), 'RGB')[:45])
    bad('wrong_size', '"size" is 4x5 (HxW), the frame is 4x6',
        lambda p: None, png=png_bytes(np.zeros((H, 5, 3)), 'RGB'))


# --------------------------------------------------------- Cityscapes-VPS
def cityscapes_vps():
    seg = np.zeros((2, H, W), np.int64)
    seg[:, :, :3] = 1
    seg[:, 2:, 3:] = 2
    cats = {1: 0, 2: 11}
    names = [f'0000_{t:04d}_frankfurt_000000_{t:06d}' for t in range(2)]
    images = [dict(id=t, file_name=f'{n}_newImg8bit.png', height=H,
                   width=W) for t, n in enumerate(names)]
    anns = []
    for t, n in enumerate(names):
        write_bytes(png_bytes(id2rgb(seg[t]), 'RGB'), 'gt', 'cityscapes_vps',
                    'panoptic_video', f'{n}_final_mask.png')
        write_bytes(png_bytes(id2rgb(seg[t]), 'RGB'), 'cityscapes_vps',
                    'good', 'pan_pred', f'{t}.png')
        anns.append(dict(image_id=t, segments_info=[
            dict(id=i, category_id=cats[i], iscrowd=0,
                 area=int((seg[t] == i).sum())) for i in (1, 2)]))
    gt = dict(images=images, annotations=anns, categories=[
        dict(id=0, isthing=0), dict(id=11, isthing=1)])
    write_json(gt, 'gt', 'cityscapes_vps', 'panoptic_gt_val_city_vps.json')
    write_json(dict(annotations=anns), 'cityscapes_vps', 'good', 'pred.json')
    kw = dict(metric='vpq', gt='gt/cityscapes_vps/panoptic_video', args=[
        '--vpq-format', 'cityscapes_vps', '--gt-json',
        'DATA:gt/cityscapes_vps/panoptic_gt_val_city_vps.json'])
    case('cityscapes_vps', 'good', 'cityscapes_vps/good', None, **kw)

    def bad(name, expect, mutate, png=None):
        copy_tree('cityscapes_vps/good', f'cityscapes_vps/{name}')
        pred = dict(annotations=copy.deepcopy(anns))
        mutate(pred)
        write_json(pred, 'cityscapes_vps', name, 'pred.json')
        if png is not None:
            write_bytes(png, 'cityscapes_vps', name, 'pan_pred', '1.png')
        case('cityscapes_vps', name, f'cityscapes_vps/{name}', expect, **kw)

    bad('frame_count', '"annotations" has 1 frames, the ground truth 2',
        lambda p: p['annotations'].pop())
    bad('segment_no_category', 'image 0: "segments_info" entry',
        lambda p: p['annotations'][0]['segments_info'][0].pop(
            'category_id'))
    bad('wrong_size', 'image 1: "size" is 6x4 (HxW), the frame is 4x6',
        lambda p: None, png=png_bytes(np.zeros((W, H, 3)), 'RGB'))
    bad('missing_png', 'image 1: is missing', lambda p: None)
    os.remove(path('cityscapes_vps', 'missing_png', 'pan_pred', '1.png'))


# -------------------------------------------------------------- KITTI-MOTS
def mots():
    a, b = rle(box(0, 2, 0, 3))['counts'], rle(box(2, 4, 3, 6))['counts']
    lines = [f'0 1001 1 {H} {W} {a}', f'0 2001 2 {H} {W} {b}',
             f'1 1001 1 {H} {W} {a}']
    with open(path('gt', 'mots', '0002.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(path('gt', 'mots.seqmap'), 'w') as f:
        f.write('0002 empty 000000 000001\n')
    kw = dict(metric='mots', gt='gt/mots',
              args=['--seqmap', 'DATA:gt/mots.seqmap'])

    def write(name, text, seq='0002'):
        with open(path('mots', name, f'{seq}.txt'), 'w') as f:
            f.write(text)
        case('mots', name, f'mots/{name}', expect, **kw)

    expect = None
    write('good', '\n'.join(lines) + '\n')
    for name, expect, line in (
            ('field_count', '0002 line 2: has 5 fields, expected 6',
             f'0 2001 2 {H} {b}'),
            ('not_integer', 'line 2: "frame track_id class_id img_height '
             'img_width" are not all integers', f'0 2001 car {H} {W} {b}'),
            ('unknown_class', 'frame 0 (line 2): "class_id" is 7',
             f'0 2001 7 {H} {W} {b}'),
            ('duplicate_track', 'frame 0 (line 2): "track_id" 1001 appears '
             'twice', f'0 1001 1 {H} {W} {b}'),
            ('wrong_size', '"img_height img_width" are 6 4, the frames are '
             '4 6', f'0 2001 2 {W} {H} {b}'),
            ('corrupt_rle', 'frame 0 (line 2): "rle.counts" does not '
             'decode', f'0 2001 2 {H} {W} {b[:-1]}'),
            ('frame_outside', 'frame 9 (line 2): "frame" 9 is outside the '
             'sequence', f'9 2001 2 {H} {W} {b}')):
        write(name, '\n'.join([lines[0], line, lines[2]]) + '\n')
    expect = 'sequence 0002: has neither 0002.txt nor a 0002/ PNG folder'
    write('missing_sequence', '\n'.join(lines) + '\n', seq='0003')
    # the PNG-folder variant (ids class * 1000 + instance, 16-bit grey)
    ids = np.zeros((H, W), np.uint16)
    ids[:2, :3] = 1001
    for name, data in (('png_good', None), ('png_truncated', 60)):
        buf = io.BytesIO()
        Image.fromarray(ids).save(buf, format='PNG')
        for t in range(2):
            write_bytes(buf.getvalue()[:data if t else None], 'mots', name,
                        '0002', f'{t:06d}.png')
    case('mots', 'png_good', 'mots/png_good', None, **kw)
    case('mots', 'png_truncated', 'mots/png_truncated', 'sequence 0002 file '
         '000001.png: is truncated', **kw)
    expect = 'sequence 0002: is not a text file'
    write_bytes(b'\x89PNG\xff\xfe' * 4, 'mots', 'binary', '0002.txt')
    case('mots', 'binary', 'mots/binary', expect, **kw)


# -------------------------------------------------------------------- BURST
def burst():
    paths = ['frame0000.jpg', 'frame0030.jpg']
    segs = [{'1': dict(rle=rle(box(0, 2, 0, 3))['counts'])},
            {'1': dict(rle=rle(box(1, 3, 0, 3))['counts'])}]
    seq = dict(id=1, dataset='YFCC100M', seq_name='s1', height=H, width=W,
               annotated_image_paths=paths, segmentations=segs,
               track_category_ids={'1': 805}, neg_category_ids=[],
               not_exhaustive_category_ids=[], fps=1)
    gt = dict(split='val', categories=[dict(id=805, name='person')],
              sequences=[seq])
    write_json(gt, 'gt', 'burst', 'all_classes.json')
    good = copy.deepcopy(gt)
    for frame in good['sequences'][0]['segmentations']:
        frame['1']['score'] = 0.8
    write_json(good, 'burst', 'good.json')
    kw = dict(metric='hota', gt='gt/burst/all_classes.json')
    case('burst', 'good', 'burst/good.json', None, **kw)

    def bad(name, expect, mutate, replace=False):
        pred = copy.deepcopy(good)
        out = mutate(pred)
        write_json(out if replace else pred, 'burst', f'{name}.json')
        case('burst', name, f'burst/{name}.json', expect, **kw)

    s0 = "sequences[0] (YFCC100M/s1)"
    write_bytes(b'', 'burst', 'empty.json')
    case('burst', 'empty', 'burst/empty.json', 'is empty', **kw)
    bad('no_sequences', '"sequences" is missing', lambda p: p.pop(
        'sequences'))
    bad('missing_key', 'sequences[0]: "segmentations" is missing',
        lambda p: p['sequences'][0].pop('segmentations'))
    bad('unknown_sequence', 'sequences[0] (YFCC100M/s9): "seq_name" is not '
        'a sequence of the ground truth', lambda p: p['sequences'][0].update(
            seq_name='s9'))
    bad('duplicate_sequence', 'sequences[1] (YFCC100M/s1): "seq_name" '
        'duplicates sequences[0]', lambda p: p['sequences'].append(
            p['sequences'][0]))
    bad('frame_count', f'{s0}: "segmentations" has 1 frames for 2 '
        'annotated_image_paths', lambda p: p['sequences'][0][
            'segmentations'].pop())
    bad('corrupt_rle', f'{s0} frame frame0030.jpg track 1: "rle.counts" '
        'does not decode', lambda p: p['sequences'][0]['segmentations'][1][
            '1'].update(rle='00'))
    bad('score_above_1', 'track 1: "score" must be a finite number in '
        '[0, 1], got 2.0', lambda p: p['sequences'][0]['segmentations'][0][
            '1'].update(score=2.0))
    bad('track_without_category', 'track 2: "track_category_ids" has no '
        'entry for track 2', lambda p: p['sequences'][0]['segmentations'][
            0].update({'2': dict(rle=segs[0]['1']['rle'])}))
    bad('track_id_not_int', 'track a: "track_id" is not an integer string',
        lambda p: p['sequences'][0]['segmentations'][0].update(
            {'a': dict(rle=segs[0]['1']['rle'])}))
    bad('null_mask', 'track 1: "rle" is missing', lambda p: p['sequences'][
        0]['segmentations'][0].update({'1': None}))


# ------------------------------------------------ A2D-Sentences (COCO list)
def a2d():
    m = box(1, 3, 1, 4)
    gt = dict(images=[dict(id='v_a_f_1_i_0', height=H, width=W)],
              annotations=[dict(id=1, image_id='v_a_f_1_i_0', category_id=1,
                                iscrowd=0, segmentation=rle(m), area=6.,
                                bbox=[1, 1, 3, 2])],
              categories=[dict(id=1, name='o')])
    write_json(gt, 'gt', 'a2d.json')
    good = [dict(image_id='v_a_f_1_i_0', category_id=1, segmentation=rle(m),
                 score=0.9)]
    write_json(good, 'a2d', 'good.json')
    kw = dict(metric='refer_a2d', gt='gt/a2d.json')
    case('a2d', 'good', 'a2d/good.json', None, **kw)

    def bad(name, expect, mutate, replace=False):
        pred = copy.deepcopy(good)
        out = mutate(pred)
        write_json(out if replace else pred, 'a2d', f'{name}.json')
        case('a2d', name, f'a2d/{name}.json', expect, **kw)

    bad('not_a_list', 'holds a dict, not a list', lambda p: p[0],
        replace=True)
    bad('missing_key', '[0]: "segmentation" is missing',
        lambda p: p[0].pop('segmentation'))
    bad('unknown_image', "[0] (image_id 'v_b_f_1_i_0'): \"image_id\" is "
        'not an image of the ground truth', lambda p: p[0].update(
            image_id='v_b_f_1_i_0'))
    bad('mask_size', '"segmentation.size" is [6, 4], the frame is [4, 6]',
        lambda p: p[0].update(segmentation=rle(np.ones((W, H)))))
    bad('score_nan', '"score" must be a finite number in [0, 1], got nan',
        lambda p: p[0].update(score=float('nan')))
    bad('corrupt_rle', '"segmentation.counts" does not decode',
        lambda p: p[0]['segmentation'].update(counts='3'))


# ------------------------------------------------------- Ref-YouTube-VOS
def refer():
    frames = ['00000', '00005']
    masks = [box(0, 2, 0, 3) * 255, box(1, 3, 1, 4) * 255]
    for sub in (('gt', 'rvos', 'Annotations'),
                ('rvos', 'good', 'Annotations')):
        for f, m in zip(frames, masks):
            write_bytes(png_bytes(m, 'L'), *sub, 'vid1', '0', f'{f}.png')
    write_json(dict(videos=dict(vid1=dict(expressions={'0': dict(
        exp='a cat')}, frames=frames))), 'gt', 'rvos',
        'meta_expressions.json')
    kw = dict(metric='refer_jf', gt='gt/rvos/Annotations')
    case('rvos', 'good', 'rvos/good', None, **kw)

    def bad(name, expect, mutate, **extra):
        copy_tree('rvos/good', f'rvos/{name}')
        mutate(path('rvos', name, 'Annotations', 'vid1', '0', '00005.png'))
        case('rvos', name, f'rvos/{name}', expect, **dict(kw, **extra))

    bad('missing_frame', 'video vid1 expression 0 frame 00005: Annotations/'
        'vid1/0/00005.png is missing', os.remove)
    bad('rgb_png', 'frame 00005: "mode" is RGB (bit depth 8), expected grey '
        'or palette', lambda p: write_bytes(png_bytes(np.zeros((H, W, 3)),
                                                      'RGB'), p))
    bad('truncated_png', 'frame 00005: is truncated', lambda p: write_bytes(
        png_bytes(masks[1], 'L')[:40], p))
    # the CodaLab zip, through the checker against meta_expressions.json
    kw = dict(via='checker', benchmark='ref_youtube_vos',
              split='gt/rvos/meta_expressions.json')
    zip_dir('rvos/good', 'rvos/good.zip')
    case('rvos', 'good_zip', 'rvos/good.zip', None, **kw)
    zip_dir('rvos/good/Annotations', 'rvos/no_annotations_dir.zip')
    case('rvos', 'zip_no_annotations_dir', 'rvos/no_annotations_dir.zip',
         '"Annotations/" is not at the archive root', **kw)
    zip_dir('rvos/good', 'rvos/nested.zip', prefix='submission/')
    case('rvos', 'zip_nested', 'rvos/nested.zip', "it is under "
         "'submission/'", **kw)
    bad('values_not_binary', 'frame 00005: "values" are [0, 7], not 0 / 255',
        lambda p: write_bytes(png_bytes(box(0, 1, 0, 1) * 7, 'L'), p), **kw)
    copy_tree('rvos/good', 'rvos/missing_video')
    os.rename(path('rvos', 'missing_video', 'Annotations', 'vid1'),
              path('rvos', 'missing_video', 'Annotations', 'vid2'))
    case('rvos', 'missing_video', 'rvos/missing_video',
         'video vid1: has no folder Annotations/vid1/', **kw)


# ----------------------------------------------------- COCO-Videos (TTT)
def coco_videos():
    m = box(0, 3, 2, 5)
    gt = dict(images=[dict(id=1, height=H, width=W, file_name='0.jpg')],
              annotations=[dict(id=1, image_id=1, category_id=3, iscrowd=0,
                                segmentation=rle(m), area=9.,
                                bbox=[2, 0, 3, 3])],
              categories=[dict(id=3, name='car')])
    write_json(gt, 'gt', 'coco_videos', 'tokyo.json')
    good = [dict(image_id=1, category_id=3, segmentation=rle(m), score=1.0)]
    kw = dict(metric='coco_videos', gt='gt/coco_videos')
    for name, expect, mutate in (
            ('good', None, lambda p: None),
            ('unknown_image', '[0] (image_id 7): "image_id" is not an image',
             lambda p: p[0].update(image_id=7)),
            ('missing_key', '[0]: "score" is missing',
             lambda p: p[0].pop('score')),
            ('score_negative', '"score" must be a finite number in [0, 1], '
             'got -0.1', lambda p: p[0].update(score=-0.1))):
        pred = copy.deepcopy(good)
        mutate(pred)
        write_json(pred, 'coco_videos', name, 'tokyo.json')
        case('coco_videos', name, f'coco_videos/{name}', expect, **kw)



def coco_videos_panoptic():
    seg = np.zeros((H, W), np.int64)
    seg[:2] = 5
    seg[2:, :3] = 9
    infos = [dict(id=5, category_id=1, iscrowd=0, area=12),
             dict(id=9, category_id=2, iscrowd=0, area=6)]
    cats = [dict(id=1, name='sky', isthing=0), dict(id=2, name='car',
                                                    isthing=1)]
    ann = dict(image_id=1, file_name='0.png', segments_info=infos)
    write_json(dict(images=[dict(id=1, height=H, width=W,
                                 file_name='0.jpg')], annotations=[ann],
                    categories=cats), 'gt', 'coco_videos_panoptic',
               'tokyo.json')
    write_bytes(png_bytes(id2rgb(seg), 'RGB'), 'gt', 'coco_videos_panoptic',
                'tokyo', '0.png')
    kw = dict(metric='coco_videos', gt='gt/coco_videos_panoptic',
              args=['--cv-task', 'panoptic'])
    for name, expect, mutate, png in (
            ('good', None, lambda p: None, id2rgb(seg)),
            ('missing_frame', "image_id 1: \"image_id\" has no prediction",
             lambda p: p['annotations'][0].update(image_id=2), id2rgb(seg)),
            ('duplicate_segment', '"segments_info.id" 5 is listed twice',
             lambda p: p['annotations'][0]['segments_info'].append(infos[0]),
             id2rgb(seg)),
            ('wrong_size', 'image_id 1: "size" is 4x5 (HxW), the frame is '
             '4x6', lambda p: None, np.zeros((H, 5, 3)))):
        pred = dict(annotations=[copy.deepcopy(ann)])
        mutate(pred)
        write_json(pred, 'coco_videos_panoptic', name, 'tokyo.json')
        write_bytes(png_bytes(png, 'RGB'), 'coco_videos_panoptic', name,
                    'tokyo', '0.png')
        case('coco_videos', f'panoptic_{name}', f'coco_videos_panoptic/{name}',
             expect, **kw)



def write_readme():
    """``README.md``: what the corpus is and the cases per format."""
    rows = {}
    for c in CASES:
        row = rows.setdefault(c['format'], [0, 0, []])
        row[0 if c['expect'] is None else 1] += 1
        if c['expect'] is not None:
            row[2].append(c['id'].split('/', 1)[1])
    lines = [
        '# Malformed prediction / submission files', '',
        'Written by `python tests/data/bad/make_corpus.py` (do not edit by '
        'hand); run by', '`tests/test_evaluation/test_bad_results.py`. '
        'Every malformed file is rejected', 'with a `ResultsFormatError` '
        'naming the file, the video / frame and the field', 'before any '
        'metric is computed; every valid file is scored.', '',
        '| format | malformed | valid | cases |', '|---|---|---|---|']
    for fmt, (good, bad, names) in rows.items():
        lines.append(f'| {fmt} | {bad} | {good} | {", ".join(names)} |')
    total_bad = sum(r[1] for r in rows.values())
    total_good = sum(r[0] for r in rows.values())
    lines.append(f'| **total** | **{total_bad}** | **{total_good}** | |')
    with open(osp.join(ROOT, 'README.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    for sub in sorted(os.listdir(ROOT)):
        if osp.isdir(osp.join(ROOT, sub)):
            shutil.rmtree(osp.join(ROOT, sub))
    for make in (ytvis, davis, kitti_step, vipseg, cityscapes_vps, mots,
                 burst, a2d, refer, coco_videos, coco_videos_panoptic):
        make()
    with open(osp.join(ROOT, 'manifest.json'), 'w') as f:
        f.write('{"cases": [\n' + ',\n'.join(
            json.dumps(c) for c in CASES) + '\n]}\n')
    write_readme()
    print(f'{len(CASES)} cases')
