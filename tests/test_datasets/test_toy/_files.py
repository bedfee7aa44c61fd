# Copyright (c) mmvidseg contributors. All rights reserved.
"""Readers shared by the toy format tests."""
import json

import numpy as np
from PIL import Image


def _load(path):
    with open(path) as f:
        return json.load(f)


def _png(path) -> np.ndarray:
    return np.array(Image.open(path))
