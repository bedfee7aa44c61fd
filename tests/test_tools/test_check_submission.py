# Copyright (c) mmvidseg contributors. All rights reserved.
"""tools/misc/check_submission.py: every problem of a submission, named by
video and frame, exit code 0 / 1 (issue 18)."""
import importlib.util
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import pytest

from mmvidseg.evaluation.validation import ResultsFormatError
from mmvidseg.evaluation.validation.splits import (split_from_davis,
                                                   split_from_video_list)
from mmvidseg.testing import REPO_ROOT

BAD = osp.join(REPO_ROOT, 'tests', 'data', 'bad')
TOOL = osp.join(REPO_ROOT, 'tools', 'misc', 'check_submission.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('check_submission', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check(tool, capsys, bench, sub, split, *extra):
    code = tool.main(['--benchmark', bench, osp.join(BAD, sub),
                      '--split-file', osp.join(BAD, split), *extra])
    return code, capsys.readouterr().out


@pytest.mark.parametrize('bench, sub, split, extra', [
    ('youtube_vis_2019', 'ytvis/good.zip', 'gt/ytvis.json', ()),
    ('youtube_vis_2021', 'ytvis/good.json', 'gt/ovis_videos.txt', ()),
    ('ref_youtube_vos', 'rvos/good.zip', 'gt/rvos/meta_expressions.json',
     ()),
    ('davis', 'davis/good.zip', 'gt/davis', ('--davis-set', 'val')),
    ('burst', 'burst/good.json', 'gt/burst/all_classes.json', ()),
    ('vipseg', 'vipseg/good', 'gt/vipseg/panoptic_gt_VIPSeg_val.json', ()),
    ('kitti_mots', 'mots/good', 'gt/mots.seqmap', ()),
    ('a2d_sentences', 'a2d/good.json', 'gt/a2d.json', ()),
])
def test_valid_submissions_pass(tool, capsys, bench, sub, split, extra):
    code, out = _check(tool, capsys, bench, sub, split, *extra)
    assert code == 0, out
    assert out.strip().splitlines()[-1].endswith('0 error(s), 0 warning(s)')
    assert ': OK: checked ' in out


def test_every_problem_is_listed_with_video_and_frame(tool, capsys,
                                                      tmp_path):
    with open(osp.join(BAD, 'ytvis', 'good.json')) as f:
        results = json.load(f)
    results[0]['segmentations'][1]['counts'] = 'zz'  # undecodable
    results[1]['score'] = 3.0
    results.append(dict(results[1], video_id=42, score=0.5))  # extra video
    with zipfile.ZipFile(tmp_path / 'sub.zip', 'w') as zf:
        zf.writestr('results.json', json.dumps(results))
    code = tool.main(['--benchmark', 'ovis', str(tmp_path / 'sub.zip'),
                      '--split-file', osp.join(BAD, 'gt', 'ytvis.json')])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 1
    errors = [line for line in lines if line.startswith('ERROR')]
    assert len(errors) == 3, lines
    assert '[0] (video_id 1), frame 1: "segmentations.counts" does not ' \
        'decode' in errors[2]
    assert '[1] (video_id 2): "score" must be a finite number in [0, 1], ' \
        'got 3.0' in errors[0]
    assert '[2] (video_id 42): "video_id" 42 is not in the ground truth' in \
        errors[1]
    assert lines[-1].endswith('INVALID: checked 1 tracks, 2 masks; 3 '
                              'error(s), 0 warning(s)')


def test_missing_videos_warn_or_fail(tool, capsys, tmp_path):
    with open(osp.join(BAD, 'ytvis', 'good.json')) as f:
        results = json.load(f)[:1]
    (tmp_path / 'results.json').write_text(json.dumps(results))
    args = ['--benchmark', 'youtube_vis_2022', str(tmp_path / 'results.json'),
            '--split-file', osp.join(BAD, 'gt', 'ytvis.json')]
    assert tool.main(args) == 0
    out = capsys.readouterr().out
    assert 'WARNING' in out and '1 video(s) of' in out and '[2]' in out
    assert tool.main(args + ['--all-videos']) == 1
    assert 'ERROR' in capsys.readouterr().out


def test_davis_video_list_split_and_frame_names(tool, capsys, tmp_path):
    (tmp_path / 'videos.txt').write_text('seqa 3\n')
    sub = tmp_path / 'res'
    shutil.copytree(osp.join(BAD, 'davis', 'good'), sub)
    os.remove(sub / 'seqa' / '00002.png')
    code = tool.main(['--benchmark', 'davis', str(sub), '--split-file',
                      str(tmp_path / 'videos.txt')])
    out = capsys.readouterr().out
    assert code == 1
    assert 'sequence seqa frame 00002: seqa/00002.png is missing' in out


def test_refer_problems_name_video_expression_frame(tool, capsys):
    code, out = _check(tool, capsys, 'ref_youtube_vos', 'rvos/missing_frame',
                       'gt/rvos/meta_expressions.json')
    assert code == 1
    assert 'video vid1 expression 0 frame 00005: Annotations/vid1/0/' \
        '00005.png is missing' in out


def test_split_file_problems(tool, capsys, tmp_path):
    code, out = _check(tool, capsys, 'ovis', 'ytvis/good.json',
                       'gt/does_not_exist.json')
    assert code == 1 and 'does_not_exist.json: does not exist' in out
    (tmp_path / 'videos.txt').write_text('1 3 4\n')
    code = tool.main(['--benchmark', 'ovis', osp.join(BAD, 'ytvis',
                                                       'good.json'),
                      '--split-file', str(tmp_path / 'videos.txt')])
    out = capsys.readouterr().out
    assert code == 1 and 'videos.txt:1: expected "<video> [<num_frames>' in \
        out
    with pytest.raises(SystemExit):
        tool.main(['--benchmark', 'nope', 'x', '--split-file', 'y'])


def test_split_loaders():
    split = split_from_video_list(osp.join(BAD, 'gt', 'ovis_videos.txt'),
                                  int_ids=True)
    assert split.videos[1].num_frames == 3 and split.videos[2].size == (4, 6)
    split = split_from_davis(osp.join(BAD, 'gt', 'davis'), 'val')
    spec = split.videos['seqa']
    assert (spec.frames, spec.size, spec.num_objects) == (
        ['00000', '00001', '00002'], (4, 6), 2)
    with pytest.raises(ResultsFormatError, match='ImageSets'):
        split_from_davis(osp.join(BAD, 'gt', 'davis'), 'test-dev')


def test_exit_code_from_the_command_line():
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    proc = subprocess.run(
        [sys.executable, TOOL, '--benchmark', 'burst',
         osp.join(BAD, 'burst', 'corrupt_rle.json'), '--split-file',
         osp.join(BAD, 'gt', 'burst', 'all_classes.json')],
        capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1, proc.stderr
    assert 'frame frame0030.jpg track 1: "rle.counts" does not decode' in \
        proc.stdout


def test_verify_submission_raises_with_every_problem():
    from mmvidseg.evaluation.validation.submission import verify_submission
    split = osp.join(BAD, 'gt', 'ytvis.json')
    ok = verify_submission('youtube_vis_2019',
                           osp.join(BAD, 'ytvis', 'good.zip'), split)
    assert ok.ok and ok.checked == dict(tracks=2, masks=4)
    with pytest.raises(ResultsFormatError, match=r'(?s)would be rejected.*'
                       r'"results.json" is not at the archive root.*'
                       r'INVALID'):
        verify_submission('youtube_vis_2019',
                          osp.join(BAD, 'ytvis', 'nested.zip'), split)
