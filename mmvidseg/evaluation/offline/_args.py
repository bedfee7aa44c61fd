# Copyright (c) mmvidseg contributors. All rights reserved.
"""Helpers shared by the offline evaluators' argument parsers."""
import argparse


def add_once(group, parser: argparse.ArgumentParser, *names: str,
             **kwargs) -> None:
    """Adds an option unless another evaluator already registered it.

    All evaluators may add their options to one parser; options with the
    same meaning (``--gt-json``, ``--ignore-label``) are shared.
    """
    existing = {s for a in parser._actions for s in a.option_strings}
    if existing.intersection(names):
        return
    group.add_argument(*names, **kwargs)
