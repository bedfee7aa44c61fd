# Copyright (c) mmvidseg contributors. All rights reserved.
"""Offline evaluators: official-format predictions against official-format
ground truth, for results produced by any method.

Each metric is a module ``mmvidseg.evaluation.offline.<name>`` exposing

* ``add_arguments(parser: argparse.ArgumentParser) -> None`` and
* ``evaluate(gt: str, pred: str, args: argparse.Namespace) -> dict`` (flat
  metric name -> float, plus optional nested per-sequence dicts),

imported lazily by ``tools/analysis_tools/eval_offline.py`` (no mmengine
needed).
"""
import importlib
from types import ModuleType

METRICS = ('ytvis', 'stq', 'vpq', 'davis', 'hota', 'mots', 'refer_a2d',
           'refer_jf', 'coco_videos')


def load_evaluator(name: str) -> ModuleType:
    """Import the offline evaluator ``name`` with a clear error."""
    if name not in METRICS:
        raise KeyError(f'unknown metric {name!r}; choose one of {METRICS}')
    module_name = f'{__name__}.{name}'
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name == module_name:
            raise ModuleNotFoundError(
                f'the offline evaluator {module_name} is not available in '
                'this checkout (mmvidseg/evaluation/offline/'
                f'{name}.py is missing).') from None
        raise
    for attr in ('add_arguments', 'evaluate'):
        if not hasattr(module, attr):
            raise AttributeError(f'{module_name} must define {attr}()')
    return module
