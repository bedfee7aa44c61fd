# Copyright (c) mmvidseg contributors. All rights reserved.
"""Readers and writers of the official video-panoptic / MOTS file formats.

Formats (see ``shared/reference/{datasets,metrics}.md``):

* COCO-panoptic RGB PNG (Cityscapes-VPS ``pan_pred/``, VIPSeg ``panomasksRGB``):
  ``segment_id = R + 256 * G + 256 ** 2 * B``, 0 = void, with the
  ``segments_info`` ({id, category_id, iscrowd, area}) in a JSON file.
* KITTI-STEP panoptic PNG: ``R = semantic id (255 = void)``,
  ``G * 256 + B = instance id``.
* KITTI-MOTS txt: one line per object and frame
  ``frame track_id class_id img_height img_width rle``.

Only numpy, Pillow and pycocotools are used (no mmengine import); RGB PNGs
are decoded with the fastest reader installed (:func:`png_backend`: pyspng,
then OpenCV, then Pillow; PNG decoding is lossless, so all give the same
array).
"""
import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np

from mmvidseg.structures.masks import to_json_rle


def _pil():
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - Pillow ships with mmcv
        raise ImportError('Reading / writing PNG files needs Pillow: '
                          '`pip install Pillow`.') from exc
    return Image


_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_PNG_BACKEND = None


def png_backend() -> str:
    """The RGB PNG decoder :func:`read_rgb_png` uses: ``'pyspng'`` (libspng,
    the fastest, if installed), else ``'cv2'`` (OpenCV), else ``'pil'``.

    ``MMVIDSEG_PNG_BACKEND`` (one of the three) overrides the choice.
    """
    global _PNG_BACKEND
    if _PNG_BACKEND is None:
        choice = os.environ.get('MMVIDSEG_PNG_BACKEND')
        for name in ((choice, ) if choice else ('pyspng', 'cv2', 'pil')):
            try:
                if name != 'pil':
                    __import__(name)
            except ImportError:
                continue
            _PNG_BACKEND = name
            break
        else:
            raise ImportError(f'MMVIDSEG_PNG_BACKEND={choice!r} is not '
                              'installed; use pyspng, cv2 or pil')
    return _PNG_BACKEND


def _decode_rgb_png(data: bytes, backend: str):
    """Decode 8-bit RGB / RGBA PNG bytes with ``backend`` (``(H, W, 3)``
    RGB), or None for other PNG types (palette, grey, 16-bit), which go to
    Pillow so that every backend behaves as Pillow does."""
    if not (data[:8] == _PNG_SIGNATURE and data[12:16] == b'IHDR'
            and data[24] == 8 and data[25] in (2, 6)):
        return None
    if backend == 'pyspng':
        import pyspng
        return pyspng.load(data)[..., :3]
    import cv2
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return None if image is None else image[..., 2::-1]  # BGR(A) -> RGB


def read_rgb_png(path: str, backend: str = None) -> np.ndarray:
    """Reads a PNG as an ``(H, W, 3)`` uint8 RGB array.

    Args:
        path (str): The PNG file.
        backend (str, optional): ``'pyspng'``, ``'cv2'`` or ``'pil'``;
            default :func:`png_backend`.

    Raises:
        FileNotFoundError: naming the missing file.
        ValueError: if the PNG is not a 3-channel image.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'PNG file not found: {path}')
    backend = backend or png_backend()
    if backend != 'pil':
        with open(path, 'rb') as f:
            image = _decode_rgb_png(f.read(), backend)
        if image is not None:
            return image
    image = np.asarray(_pil().open(path))
    if image.ndim != 3 or image.shape[2] < 3:
        raise ValueError(f'{path}: expected an RGB PNG (H, W, 3), got an '
                         f'array of shape {image.shape}; save the panoptic '
                         'map with 3 uint8 channels')
    return image[..., :3]


def rgb2id(rgb: np.ndarray) -> np.ndarray:
    """COCO-panoptic RGB ``(H, W, 3)`` -> segment ids ``(H, W)`` uint32."""
    rgb = rgb.astype(np.uint32)
    return rgb[..., 0] + (rgb[..., 1] << 8) + (rgb[..., 2] << 16)


def id2rgb(segment_ids: np.ndarray) -> np.ndarray:
    """Segment ids ``(H, W)`` -> COCO-panoptic RGB ``(H, W, 3)`` uint8."""
    ids = np.asarray(segment_ids).astype(np.uint32)
    if ids.size and int(ids.max()) >= 256**3:
        raise ValueError('segment ids must be < 256**3 to fit in an RGB PNG')
    rgb = np.stack([ids & 255, (ids >> 8) & 255, (ids >> 16) & 255], axis=-1)
    return rgb.astype(np.uint8)  # (H, W, 3)


def kitti_step_decode(rgb: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """KITTI-STEP RGB ``(H, W, 3)`` -> ``(semantic, instance)`` int64 maps."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0], rgb[..., 1] * 256 + rgb[..., 2]


def kitti_step_encode(semantic: np.ndarray,
                      instance: np.ndarray) -> np.ndarray:
    """``(semantic, instance)`` maps ``(H, W)`` -> KITTI-STEP RGB uint8."""
    semantic = np.asarray(semantic).astype(np.int64)
    instance = np.asarray(instance).astype(np.int64)
    if semantic.shape != instance.shape:
        raise ValueError(f'semantic {semantic.shape} and instance '
                         f'{instance.shape} maps differ in shape')
    if semantic.size and (semantic.min() < 0 or semantic.max() > 255):
        raise ValueError('KITTI-STEP semantic ids must be in [0, 255]')
    if instance.size and (instance.min() < 0 or instance.max() >= 65536):
        raise ValueError('KITTI-STEP instance ids must be in [0, 65535]')
    rgb = np.stack([semantic, instance // 256, instance % 256], axis=-1)
    return rgb.astype(np.uint8)  # (H, W, 3)


def write_png(path: str, rgb: np.ndarray) -> None:
    """Writes an ``(H, W, 3)`` uint8 array as an RGB PNG (makes folders)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    _pil().fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(path)


def load_json(path: str) -> dict:
    """Loads a JSON file with an error naming the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'JSON file not found: {path}')
    with open(path, 'r') as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as exc:
            raise ValueError(f'{path} is not valid JSON: {exc}') from exc


def write_panoptic_frame(out_dir: str, file_name: str,
                         segment_ids: np.ndarray,
                         categories_by_id: Dict[int, int]) -> dict:
    """Writes one COCO-panoptic frame and returns its ``segments_info`` entry.

    Args:
        out_dir: folder of the PNG (e.g. ``<submit>/pan_pred/<video_id>``).
        file_name: PNG file name (e.g. ``00001.png``).
        segment_ids: ``(H, W)`` segment ids, 0 = void. Ids must be stable
            over the frames of a video (tube identity).
        categories_by_id: segment id -> dataset category id.

    Returns:
        dict: ``{'file_name', 'segments_info': [{id, category_id, iscrowd,
        area}]}`` with one entry per id present in the PNG.
    """
    ids, areas = np.unique(segment_ids, return_counts=True)
    segments_info = []
    for seg_id, area in zip(ids.tolist(), areas.tolist()):
        if seg_id == 0:
            continue
        if seg_id not in categories_by_id:
            raise KeyError(f'segment id {seg_id} of {file_name} has no '
                           'category in categories_by_id')
        segments_info.append(
            dict(id=int(seg_id), category_id=int(categories_by_id[seg_id]),
                 iscrowd=0, area=int(area)))
    write_png(osp.join(out_dir, file_name), id2rgb(segment_ids))
    return dict(file_name=file_name, segments_info=segments_info)


# ----------------------------------------------------------------- MOTS txt
def read_mots_txt(path: str) -> Dict[int, List[dict]]:
    """Reads a KITTI-MOTS txt file into ``{frame: [objects]}``.

    Each object is ``{'track_id', 'class_id', 'rle': {'size', 'counts'}}``.
    Lines with class 10 are ignore regions, kept as ordinary objects.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'MOTS txt file not found: {path}')
    frames: Dict[int, List[dict]] = {}
    with open(path, 'r') as f:
        for line_no, line in enumerate(f, 1):
            fields = line.strip().split(' ')
            if fields == ['']:
                continue
            if len(fields) != 6:
                raise ValueError(
                    f'{path}:{line_no}: expected 6 space-separated fields '
                    '"frame track_id class_id img_height img_width rle", '
                    f'got {len(fields)}')
            try:
                frame, track_id, class_id, height, width = map(
                    int, fields[:5])
            except ValueError as exc:
                raise ValueError(f'{path}:{line_no}: the first 5 fields must '
                                 'be integers') from exc
            frames.setdefault(frame, []).append(
                dict(track_id=track_id, class_id=class_id,
                     rle=dict(size=[height, width], counts=fields[5])))
    return frames


def write_mots_txt(path: str, frames: Dict[int, Sequence[dict]]) -> None:
    """Writes ``{frame: [{'track_id', 'class_id', 'rle'}]}`` as MOTS txt.

    ``rle`` may be a COCO RLE dict or a binary ``(H, W)`` mask. Masks of one
    frame must not overlap (the official tool aborts otherwise).
    """
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    lines = []
    for frame in sorted(frames):
        for obj in frames[frame]:
            rle = to_json_rle(obj['rle'])
            counts = rle['counts']
            h, w = rle['size']
            lines.append(f"{frame} {obj['track_id']} {obj['class_id']} "
                         f'{h} {w} {counts}')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + ('\n' if lines else ''))


# ------------------------------------------------- official VPS file layouts
def vipseg_layout(gt_dir: str, gt_json: str,
                  pred_dir: str) -> List[Tuple[str, List[tuple]]]:
    """Pairs GT and prediction frames of the VIPSeg evaluation layout.

    Mirrors ``VIPSeg-Dataset: ClipPanoFCN/eval_{vpq,stq}_vspw.py``: videos in
    the order of ``gt_json['videos']``; frames in the order of each video's
    ``images``; GT PNG ``<gt_dir>/<video_id>/<file_name>``; prediction PNG
    ``<pred_dir>/pan_pred/<video_id>/<file_name>``; ``segments_info`` of
    ``<pred_dir>/pred.json`` matched by ``video_id`` then by order.

    Returns:
        list: ``(video_id, [(gt_png, pred_png, gt_segments_info,
        pred_segments_info), ...])`` per video.
    """
    gt = load_json(gt_json)
    pred_json = osp.join(pred_dir, 'pred.json')
    pred = load_json(pred_json)
    for key, data, path in (('annotations', pred, pred_json),
                            ('videos', gt, gt_json),
                            ('annotations', gt, gt_json)):
        if key not in data:
            raise KeyError(f'{path} has no "{key}" list')
    pred_by_video = {}
    for entry in pred['annotations']:
        if 'video_id' not in entry or 'annotations' not in entry:
            raise KeyError(f'{pred_json}: every entry of "annotations" needs '
                           '"video_id" and "annotations" (list per frame)')
        pred_by_video[entry['video_id']] = entry['annotations']
    gt_by_video = {e['video_id']: e['annotations'] for e in gt['annotations']}
    videos = []
    for video in gt['videos']:
        vid = video['video_id']
        if vid not in pred_by_video:
            raise KeyError(f'{pred_json}: video_id {vid!r} of the ground '
                           'truth has no prediction entry')
        gt_frames, pred_frames = gt_by_video[vid], pred_by_video[vid]
        if len(gt_frames) != len(pred_frames):
            raise ValueError(
                f'{pred_json}: video {vid!r} has {len(pred_frames)} frames, '
                f'the ground truth ({gt_json}) has {len(gt_frames)}')
        frames = []
        for img, g, p in zip(video['images'], gt_frames, pred_frames):
            name = img['file_name']
            frames.append((osp.join(gt_dir, vid, name),
                           osp.join(pred_dir, 'pan_pred', vid, name),
                           g['segments_info'], p.get('segments_info', [])))
        videos.append((vid, frames))
    return videos


def cityscapes_vps_layout(gt_dir: str, gt_json: str, pred_dir: str,
                          frames_per_video: int = 6
                          ) -> List[Tuple[str, List[tuple]]]:
    """Pairs GT and prediction frames of the Cityscapes-VPS layout.

    Mirrors ``mcahny/vps: tools/eval_vpq.py``: GT PNGs are the
    ``images[].file_name`` with ``_newImg8bit.png`` -> ``_final_mask.png``
    (``_leftImg8bit.png`` -> ``_gtFine_color.png``) **sorted**; prediction
    PNGs are ``<pred_dir>/pan_pred/<image id>.png`` in ``images`` order;
    GT and predicted ``annotations`` are taken in list order; the frames are
    split into ``len // frames_per_video`` consecutive videos
    (``np.array_split`` semantics).
    """
    gt = load_json(gt_json)
    pred_json = osp.join(pred_dir, 'pred.json')
    pred = load_json(pred_json)
    images, gt_anns = gt['images'], gt['annotations']
    pred_anns = pred.get('annotations')
    if pred_anns is None:
        raise KeyError(f'{pred_json} has no "annotations" list')
    if len(pred_anns) != len(gt_anns):
        raise ValueError(f'{pred_json} has {len(pred_anns)} frame '
                         f'annotations, the ground truth ({gt_json}) has '
                         f'{len(gt_anns)}; keep one entry per GT frame, in '
                         'GT order')
    gt_pngs = sorted(
        img['file_name'].replace('_newImg8bit.png', '_final_mask.png')
        .replace('_leftImg8bit.png', '_gtFine_color.png') for img in images)
    pred_pngs = [str(img['id']) + '.png' for img in images]
    items = [(osp.join(gt_dir, g), osp.join(pred_dir, 'pan_pred', p),
              ga['segments_info'], pa.get('segments_info', []))
             for g, p, ga, pa in zip(gt_pngs, pred_pngs, gt_anns, pred_anns)]
    num_videos = max(len(items) // frames_per_video, 1)
    sizes = [len(items) // num_videos + (1 if i < len(items) % num_videos
                                         else 0) for i in range(num_videos)]
    videos, start = [], 0
    for i, size in enumerate(sizes):
        videos.append((str(i), items[start:start + size]))
        start += size
    return videos
