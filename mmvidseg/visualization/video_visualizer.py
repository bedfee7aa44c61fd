# Copyright (c) mmvidseg contributors. All rights reserved.
"""Draw video segmentation tracks on frames and write mp4 / gif files."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

import cv2
import numpy as np

from mmvidseg.registry import VISUALIZERS
from mmvidseg.structures.video_sample import to_numpy


def track_color(track_id: int) -> tuple:
    """A stable, saturated BGR colour for a track id (same id, same colour).

    Hues step by the golden ratio of the colour circle, so consecutive ids
    (the first objects of a video, the sentences of the referring demo) get
    clearly different colours: any two of ids 0-4 are at least 50 degrees
    of hue apart.
    """
    track_id = int(track_id)
    hue = int(((track_id * 0.6180339887498949) % 1.0) * 180)  # OpenCV: 0-179
    hsv = np.uint8([[[hue, 200 + (track_id * 37) % 56, 230]]])
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def _to_numpy(x):
    return None if x is None else to_numpy(x)


def _overlaps(box: tuple, placed: List[tuple]) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1
               for b in placed)


def _label_origin(mask: np.ndarray, size: tuple, base: int, shape: tuple,
                  placed: List[tuple]) -> tuple:
    """Text origin for a mask's label: above the mask's top-left, else
    inside its top, else below it, else stacked under the labels already
    placed; always inside the frame and not over another label."""
    h, w = shape
    tw, th = size
    ys, xs = np.nonzero(mask)
    x = int(min(max(xs.min(), 0), max(w - tw - 1, 0)))
    candidates = [int(ys.min()) - 3, int(ys.min()) + th + 2,
                  int(ys.max()) + th + 4]
    for y in candidates + list(range(th + 2, h, th + base + 2)):
        y = min(max(y, th + 1), h - base - 1)
        box = (x, y - th - 1, x + tw, y + base)
        if not _overlaps(box, placed):
            placed.append(box)
            return x, y
    y = min(max(candidates[0], th + 1), h - base - 1)
    placed.append((x, y - th - 1, x + tw, y + base))
    return x, y


def draw_frame(image: np.ndarray,
               masks: Optional[np.ndarray] = None,
               track_ids: Optional[Sequence[int]] = None,
               labels: Optional[Sequence[int]] = None,
               scores: Optional[Sequence[float]] = None,
               class_names: Optional[Sequence[str]] = None,
               alpha: float = 0.5,
               frame_text: Optional[str] = None,
               show_ids: bool = True) -> np.ndarray:
    """Overlay instance masks with their track id, class and score.

    Args:
        image (np.ndarray): ``(H, W, 3)`` BGR uint8 frame.
        masks (np.ndarray, optional): ``(K, H, W)`` bool masks.
        track_ids, labels, scores: per-instance values, length K.
        class_names: names indexed by label.
        alpha (float): Mask opacity.
        frame_text (str, optional): Text for the top-left corner.
        show_ids (bool): Write ``#id`` in the labels (off for class maps,
            whose "ids" only pick the colours).

    Returns:
        np.ndarray: A new ``(H, W, 3)`` BGR uint8 frame.
    """
    out = image.copy()
    masks = _to_numpy(masks)
    num = 0 if masks is None else len(masks)
    if num and masks.shape[1:] != image.shape[:2]:
        raise ValueError(f'mask size {masks.shape[1:]} differs from the '
                         f'frame size {image.shape[:2]}')
    track_ids = list(_to_numpy(track_ids)) if track_ids is not None \
        else list(range(num))
    labels = _to_numpy(labels)
    scores = _to_numpy(scores)
    scale = max(image.shape[:2]) / 480.0
    font_scale, thick = max(0.3, 0.45 * scale), max(1, int(round(scale)))
    placed: List[tuple] = []  # label boxes already drawn (x0, y0, x1, y1)
    labels_to_draw = []
    for k in range(num):
        mask = masks[k].astype(bool)
        if not mask.any():
            continue
        color = np.array(track_color(track_ids[k]), dtype=np.float32)
        out[mask] = (out[mask] * (1 - alpha) + color * alpha).astype(np.uint8)
        contours, _ = cv2.findContours(
            mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, tuple(int(c) for c in color),
                         thick)
        text = f'#{int(track_ids[k])}' if show_ids else ''
        if labels is not None:
            label = int(labels[k])
            name = class_names[label] if class_names and label < len(
                class_names) else str(label)
            text = f'{text} {name}'.strip()
        if scores is not None:
            text += f' {float(scores[k]):.2f}'
        labels_to_draw.append((text, mask))
    for text, mask in labels_to_draw:  # after every mask: labels stay on top
        size, base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX,
                                     font_scale, thick)
        if size[0] > out.shape[1] - 2:  # a small frame: drop the score
            text = text.rsplit(' ', 1)[0] if ' ' in text else text
            size, base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX,
                                         font_scale, thick)
        org = _label_origin(mask, size, base, out.shape[:2], placed)
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, font_scale,
                    (0, 0, 0), thick + 2, cv2.LINE_AA)
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, font_scale,
                    (255, 255, 255), thick, cv2.LINE_AA)
    if frame_text:
        cv2.putText(out, frame_text, (4, out.shape[0] - 6),
                    cv2.FONT_HERSHEY_SIMPLEX, font_scale, (255, 255, 255),
                    thick, cv2.LINE_AA)
    return out


def write_video(frames: List[np.ndarray],
                path: str,
                fps: float = 5.0,
                overwrite: bool = True,
                min_size: int = 0) -> str:
    """Write BGR frames to ``.mp4`` (OpenCV, mp4v) or ``.gif`` (Pillow).

    Args:
        frames: ``(H, W, 3)`` BGR uint8 frames, all of one size.
        path (str): Output file; the extension selects the format.
        fps (float): Frames per second.
        overwrite (bool): If False, refuse to replace an existing file.
        min_size (int): Upscale (nearest) so the short side is at least this.

    Returns:
        str: ``path``.
    """
    if not frames:
        raise ValueError(f'no frames to write to {path}')
    if osp.exists(path) and not overwrite:
        raise FileExistsError(f'{path} exists; pass overwrite=True to '
                              'replace it')
    h, w = frames[0].shape[:2]
    if min_size and min(h, w) < min_size:
        f = int(np.ceil(min_size / min(h, w)))
        frames = [
            cv2.resize(x, (w * f, h * f), interpolation=cv2.INTER_NEAREST)
            for x in frames
        ]
        h, w = h * f, w * f
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    ext = osp.splitext(path)[1].lower()
    if ext == '.gif':
        from PIL import Image
        imgs = [Image.fromarray(x[..., ::-1]) for x in frames]
        imgs[0].save(
            path,
            save_all=True,
            append_images=imgs[1:],
            duration=int(1000 / fps),
            loop=0)
    elif ext in ('.mp4', '.avi'):
        fourcc = cv2.VideoWriter_fourcc(*('mp4v' if ext == '.mp4' else
                                          'MJPG'))
        writer = cv2.VideoWriter(path, fourcc, fps, (w, h))
        if not writer.isOpened():
            raise RuntimeError(f'OpenCV cannot write {path}')
        for x in frames:
            if x.shape[:2] != (h, w):
                raise ValueError(f'all frames must be {h}x{w}, got '
                                 f'{x.shape[:2]}')
            writer.write(x)
        writer.release()
    else:
        raise ValueError(f'unknown video format {ext!r} for {path}; use '
                         '.mp4, .avi or .gif')
    return path


class VideoWriterStream:
    """Write frames one at a time (``.mp4`` / ``.avi`` through OpenCV;
    ``.gif`` frames are kept until :meth:`close`, use it for short clips).

    Args:
        path (str): Output file; the extension selects the format.
        fps (float): Frames per second.
        overwrite (bool): If False, refuse to replace an existing file.
    """

    def __init__(self, path: str, fps: float = 5.0,
                 overwrite: bool = False) -> None:
        if osp.exists(path) and not overwrite:
            raise FileExistsError(f'{path} exists; pass --force (overwrite='
                                  'True) to replace it')
        self.path, self.fps = path, fps
        self.ext = osp.splitext(path)[1].lower()
        if self.ext not in ('.mp4', '.avi', '.gif'):
            raise ValueError(f'unknown video format {self.ext!r} for {path}; '
                             'use .mp4, .avi or .gif')
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        self._writer, self._gif, self._size, self.count = None, [], None, 0

    def write(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        if self._size is None:
            self._size = (h, w)
            if self.ext != '.gif':
                fourcc = cv2.VideoWriter_fourcc(
                    *('mp4v' if self.ext == '.mp4' else 'MJPG'))
                self._writer = cv2.VideoWriter(self.path, fourcc, self.fps,
                                               (w, h))
                if not self._writer.isOpened():
                    raise RuntimeError(f'OpenCV cannot write {self.path}')
        elif (h, w) != self._size:
            raise ValueError(f'{self.path}: frame {self.count} is {h}x{w}, '
                             f'the video {self._size[0]}x{self._size[1]}')
        if self._writer is not None:
            self._writer.write(frame)
        else:
            from PIL import Image
            self._gif.append(Image.fromarray(frame[..., ::-1]))
        self.count += 1

    def close(self) -> str:
        if self.count == 0:
            raise ValueError(f'no frames were written to {self.path}')
        if self._writer is not None:
            self._writer.release()
        elif self._gif:
            self._gif[0].save(self.path, save_all=True,
                              append_images=self._gif[1:],
                              duration=int(1000 / self.fps), loop=0)
            self._gif = []
        return self.path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.close()
        elif self._writer is not None:
            self._writer.release()


@VISUALIZERS.register_module()
class VideoVisualizer:
    """Render a video's tracks: masks, track ids, class names and scores.

    Args:
        class_names (Sequence[str], optional): Names indexed by label.
        alpha (float): Mask opacity. Defaults to 0.5.
        score_thr (float): Instances below this score are not drawn.
    """

    def __init__(self,
                 class_names: Optional[Sequence[str]] = None,
                 alpha: float = 0.5,
                 score_thr: float = 0.0) -> None:
        self.class_names = list(class_names) if class_names else None
        self.alpha = alpha
        self.score_thr = score_thr

    def draw_video(self, frames: List[np.ndarray],
                   instances: List[Union[dict, object]]) -> List[np.ndarray]:
        """Draw one entry of ``instances`` (a dict or mmengine ``InstanceData``
        with ``masks`` (K, H, W), ``instances_id``, ``labels``, ``scores``) on
        each frame."""
        if len(frames) != len(instances):
            raise ValueError(f'{len(frames)} frames but {len(instances)} '
                             'per-frame instance sets')
        out = []
        for t, (img, inst) in enumerate(zip(frames, instances)):
            get = inst.get if isinstance(inst, dict) else \
                (lambda k, i=inst: getattr(i, k, None))
            masks = _to_numpy(get('masks'))
            scores = _to_numpy(get('scores'))
            ids = get('instances_id')
            labels = get('labels')
            if masks is not None and scores is not None:
                keep = scores >= self.score_thr
                masks, scores = masks[keep], scores[keep]
                ids = _to_numpy(ids)[keep] if ids is not None else None
                labels = _to_numpy(labels)[keep] if labels is not None \
                    else None
            out.append(
                draw_frame(
                    img,
                    masks,
                    ids,
                    labels,
                    scores,
                    self.class_names,
                    self.alpha,
                    frame_text=f'frame {t}'))
        return out
