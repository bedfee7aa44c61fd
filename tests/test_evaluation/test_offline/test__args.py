# Copyright (c) mmvidseg contributors. All rights reserved.
import argparse

from mmvidseg.evaluation.offline._args import add_once


def test_add_once_shares_an_option():
    parser = argparse.ArgumentParser()
    a = parser.add_argument_group('a')
    b = parser.add_argument_group('b')
    add_once(a, parser, '--gt-json', default='x.json')
    # a second evaluator registering the same option is a no-op (argparse
    # itself would raise on the conflicting option string)
    add_once(b, parser, '--gt-json', default='y.json')
    add_once(b, parser, '--ignore-label', type=int, default=255)
    args = parser.parse_args(['--ignore-label', '0'])
    assert args.gt_json == 'x.json' and args.ignore_label == 0
    assert [x.option_strings for x in a._group_actions] == [['--gt-json']]
    assert [x.option_strings for x in b._group_actions] == [
        ['--ignore-label']]
