# Copyright (c) mmvidseg contributors. All rights reserved.
"""Evaluation: ``functional`` (pure metric math and official-format I/O, no
mmcv / mmdet / mmengine), ``offline`` (command-line evaluators on official
files, same rule) and ``metrics`` (mmengine ``BaseMetric`` adapters, the
registry location of ``METRICS``). Import the subpackage you need; this
package imports none of them.
"""
