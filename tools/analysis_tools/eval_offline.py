# Copyright (c) mmvidseg contributors. All rights reserved.
"""Score official-format predictions against official-format ground truth.

Example::

    python tools/analysis_tools/eval_offline.py --metric ytvis \\
        --gt data/youtube_vis_2019/valid_gt.json \\
        --pred work_dirs/x/results.json
    python tools/analysis_tools/eval_offline.py --metric davis \\
        --gt data/DAVIS --pred results/osvos --davis-task semi-supervised

Prints the metrics as JSON (and a table when stdout is a terminal);
``--out`` also writes the JSON. ``python eval_offline.py --metric NAME -h``
lists the options of one metric.
"""
import argparse
import json
import math
import os
import sys

from mmvidseg.evaluation.offline import METRICS, load_evaluator
from mmvidseg.evaluation.validation import ResultsFormatError


def _base_parser(add_help: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Offline evaluation of official-format results',
        add_help=add_help)
    parser.add_argument('--metric', required=True, choices=METRICS)
    parser.add_argument('--gt', required=True,
                        help='ground truth file or folder (official layout)')
    parser.add_argument('--pred', required=True,
                        help='prediction file or folder (official layout)')
    parser.add_argument('--out', default=None, help='also write JSON here')
    parser.add_argument('--force', '--overwrite', dest='force',
                        action='store_true',
                        help='replace an existing --out file')
    return parser


def _to_json(obj):
    if isinstance(obj, dict):
        return {str(k): _to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_json(v) for v in obj]
    if hasattr(obj, 'tolist'):
        return _to_json(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else str(obj)
    return obj


def _print_table(result: dict) -> None:
    from terminaltables import AsciiTable
    rows = [['metric', 'value']]
    for key, val in result.items():
        if isinstance(val, (int, float)) and not isinstance(val, bool):
            rows.append([key, f'{val:.4f}'])
    print(AsciiTable(rows).table, file=sys.stderr)


def main(argv=None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument('--metric', choices=METRICS)
    known, _ = pre.parse_known_args(argv)
    module = load_evaluator(known.metric) if known.metric else None
    parser = _base_parser(add_help=True)
    if module is not None:
        module.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.out and os.path.exists(args.out) and not args.force:
        # (not mmvidseg.utils.file_safety: this tool imports no mmengine)
        parser.error(f'{args.out} exists; pass --force to replace it')
    result = _to_json(module.evaluate(args.gt, args.pred, args))
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text)
    if sys.stdout.isatty():
        _print_table(result)
    return result


if __name__ == '__main__':
    try:
        main()
    except ResultsFormatError as exc:  # a bad file: the message, no trace
        sys.exit(f'ResultsFormatError: {exc}')
