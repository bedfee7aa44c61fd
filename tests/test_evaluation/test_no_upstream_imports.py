"""The pure metric code runs without mmcv / mmdet / mmengine / mmseg."""
import subprocess
import sys
import textwrap

BLOCKER = textwrap.dedent('''
    import importlib.abc
    import sys

    BLOCKED = ('mmcv', 'mmdet', 'mmengine', 'mmseg')

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split('.')[0] in BLOCKED:
                raise ImportError(f'{name} is blocked in this test')
            return None

    sys.meta_path.insert(0, Block())
''')


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, '-c', BLOCKER + code],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_blocker_blocks():
    out = subprocess.run(
        [sys.executable, '-c', BLOCKER + 'import mmvidseg.registry'],
        capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and 'blocked' in out.stderr


def test_functional_and_offline_import_and_score():
    out = _run(textwrap.dedent('''
        import importlib
        import numpy as np
        import mmvidseg.evaluation.functional as F
        from mmvidseg.evaluation.offline import METRICS, load_evaluator
        from mmvidseg.structures.masks import encode_masks
        from mmvidseg.structures import video_sample, refer_sample
        from mmvidseg.evaluation.validation import submission
        for name in METRICS:
            load_evaluator(name)
        masks = np.zeros((2, 8, 8), bool)
        masks[0, 1:4, 1:4] = masks[1, 2:6, 3:7] = True
        rles = encode_masks(masks)
        gt = dict(categories=[dict(id=1, name='a')],
                  videos=[dict(id=1, height=8, width=8, length=2)],
                  annotations=[dict(id=1, video_id=1, category_id=1,
                                    iscrowd=0, segmentations=rles,
                                    areas=[9, 16])])
        preds = [dict(video_id=1, category_id=1, score=0.9,
                      segmentations=rles)]
        stats = F.ytvis_ap(F.YTVISGroundTruth(gt), preds)
        ids = masks.astype(np.uint8)  # (T, H, W): one object, id 1
        j, f = F.evaluate_davis_sequence(ids, ids, 'unsupervised', name='v')
        print(round(stats['AP'], 4), float(j.mean()), float(f.mean()))
    '''))
    assert out.split() == ['1.0', '1.0', '1.0']
