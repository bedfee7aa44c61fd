# Copyright (c) mmvidseg contributors. All rights reserved.
"""The malformed results-file corpus ``tests/data/bad/`` (issue 17): every
case is rejected before any metric is computed, with a
:class:`ResultsFormatError` naming the file and the problem; every valid
prediction of the corpus passes.

Cases are listed in ``tests/data/bad/manifest.json`` (written by
``tests/data/bad/make_corpus.py``); ``offline`` cases run through
``tools/analysis_tools/eval_offline.py``, ``checker`` cases through
:func:`mmvidseg.evaluation.validation.submission.check_submission`.
"""
import collections
import importlib.util
import json
import os
import os.path as osp

import pytest

from mmvidseg.evaluation.validation import ResultsFormatError
from mmvidseg.evaluation.validation.submission import check_submission

ROOT = osp.join(osp.dirname(__file__), '..', 'data', 'bad')
with open(osp.join(ROOT, 'manifest.json')) as _f:
    CASES = json.load(_f)['cases']
TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'analysis_tools',
                'eval_offline.py')


@pytest.fixture(scope='module')
def eval_offline():
    spec = importlib.util.spec_from_file_location('eval_offline', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(case: dict, eval_offline):
    pred = osp.join(ROOT, case['pred'])
    if case['via'] == 'offline':
        argv = ['--metric', case['metric'], '--gt',
                osp.join(ROOT, case['gt']), '--pred', pred]
        argv += [osp.join(ROOT, a[5:]) if a.startswith('DATA:') else a
                 for a in case.get('args', [])]
        return eval_offline.main(argv)
    problems = check_submission(case['benchmark'], pred,
                                osp.join(ROOT, case['split']),
                                options=dict(case.get('args', [])))
    if not problems.ok:
        raise ResultsFormatError('\n'.join(problems.errors))
    return problems


@pytest.mark.parametrize('case', [
    pytest.param(c, marks=pytest.mark.slow) if c.get('slow') else c
    for c in CASES
], ids=[c['id'] for c in CASES])
def test_bad_results_case(case, eval_offline):
    if case['expect'] is None:
        _run(case, eval_offline)
        return
    with pytest.raises(ResultsFormatError) as info:
        _run(case, eval_offline)
    text = str(info.value)
    assert case['expect'] in text, text
    # the message names the submitted file (or a file inside it) and says
    # how to fix it
    name = osp.basename(case['pred'].rstrip('/'))
    assert name in text and 'Fix: ' in text, text


def test_valid_kitti_step_passes_validation():
    """The fast half of the slow ``kitti_step/good`` case."""
    from mmvidseg.evaluation.validation import validate_kitti_step_folder
    problems = validate_kitti_step_folder(
        osp.join(ROOT, 'kitti_step', 'good'), osp.join(ROOT, 'gt',
                                                         'kitti_step'))
    assert problems.ok and problems.checked == dict(frames=2, sequences=1)


def test_corpus_is_small_and_covers_every_format():
    total = 0
    for case in CASES:
        for key in ('pred', 'gt', 'split'):
            if case.get(key):
                p = osp.join(ROOT, case[key])
                assert osp.exists(p), p
    for d, _, files in os.walk(ROOT):
        total += sum(osp.getsize(osp.join(d, f)) for f in files)
    assert total < 200_000
    counts = collections.Counter(c['format'] for c in CASES
                                 if c['expect'] is not None)
    assert set(counts) == {
        'ytvis', 'ovis', 'davis', 'ref_davis', 'kitti_step', 'vipseg',
        'cityscapes_vps', 'mots', 'burst', 'a2d', 'rvos', 'coco_videos'}
    assert all(n >= 2 for n in counts.values()), counts


def test_command_line_prints_the_message_without_a_traceback():
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=osp.join(ROOT, '..', '..', '..'))
    proc = subprocess.run(
        [sys.executable, TOOL, '--metric', 'ytvis', '--gt',
         osp.join(ROOT, 'gt', 'ytvis.json'), '--pred',
         osp.join(ROOT, 'ytvis', 'mask_size.json')],
        capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr
    assert proc.stderr.startswith('ResultsFormatError: ') and \
        'mask_size.json: [0] (video_id 1), frame 0: "segmentations.size"' \
        in proc.stderr
