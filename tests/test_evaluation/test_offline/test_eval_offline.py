# Copyright (c) mmvidseg contributors. All rights reserved.
"""The evaluator table of mmvidseg.evaluation.offline."""
import pytest

from mmvidseg.evaluation.offline import METRICS, load_evaluator


def test_every_metric_has_an_evaluator_module():
    for name in METRICS:
        module = load_evaluator(name)
        assert callable(module.add_arguments) and callable(module.evaluate)
    with pytest.raises(KeyError, match='unknown metric'):
        load_evaluator('nope')
