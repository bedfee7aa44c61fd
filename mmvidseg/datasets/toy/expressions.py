# Copyright (c) mmvidseg contributors. All rights reserved.
"""Referring expressions that identify one object of a toy video.

Attributes an expression may use: colour (unique within a video by
construction), class, and dominant motion direction. Each object gets

1. the full description, ``'the red square moving left'``, and
2. the shortest description that is still unique in its video, chosen in
   the order ``'the square'``, ``'the square moving left'``,
   ``'the red square'`` (skipped when equal to the full one).

Both are checked against every other object of the video.

:func:`unique_expressions` lists every description of this grammar that is
unique in its video, by kind (class / motion / colour / full): the toy
Ref-YouTube-VOS writer stores them as extra training expressions and as
per-kind evaluation files.
"""
from typing import Callable, List, Tuple

from .video import ToyObject, ToyVideo

_Template = Callable[[ToyObject], str]
_SHORT_TEMPLATES: List[_Template] = [
    lambda o: f'the {o.class_name}',
    lambda o: f'the {o.class_name} moving {o.direction}',
    lambda o: f'the {o.colour} {o.class_name}',
]


def _full(obj: ToyObject) -> str:
    return f'the {obj.colour} {obj.class_name} moving {obj.direction}'


def _matches(template: _Template, obj: ToyObject, other: ToyObject) -> bool:
    return template(obj) == template(other)


def add_expressions(video: ToyVideo) -> None:
    """Fill ``obj.expressions`` of every object of ``video`` (in place)."""
    for obj in video.objects:
        others = [o for o in video.objects if o is not obj]
        expressions = [_full(obj)]
        for template in _SHORT_TEMPLATES:
            if not any(_matches(template, obj, o) for o in others):
                short = template(obj)
                if short not in expressions:
                    expressions.append(short)
                break
        for expression in expressions:
            referents = [o for o in video.objects if _refers(expression, o)]
            if referents != [obj]:
                raise AssertionError(
                    f'expression {expression!r} of video {video.name} is '
                    f'ambiguous: {len(referents)} objects match')
        obj.expressions = expressions


def _refers(expression: str, obj: ToyObject) -> bool:
    """Whether ``obj`` fits ``expression`` (every word it states holds)."""
    words = expression.split()
    if obj.class_name not in words:
        return False
    if 'moving' in words and words[words.index('moving') + 1] != obj.direction:
        return False
    colour = words[1] if words[2:3] and words[2] == obj.class_name else None
    return colour is None or colour == obj.colour


#: expression kinds of :func:`unique_expressions`, each named by the word
#: that has to pick the object
EXPRESSION_KINDS = ('class', 'motion', 'colour', 'full')


def kind_expression(kind: str, obj: ToyObject) -> str:
    """The expression of ``kind`` (one of :data:`EXPRESSION_KINDS`) for
    ``obj``: ``'the square'``, ``'the square moving left'``,
    ``'the red square'`` or ``'the red square moving left'``."""
    if kind == 'full':
        return _full(obj)
    if kind not in EXPRESSION_KINDS:
        raise ValueError(f'unknown expression kind {kind!r}; choose from '
                         f'{EXPRESSION_KINDS}')
    return _SHORT_TEMPLATES[EXPRESSION_KINDS.index(kind)](obj)


def unique_expressions(objects: List[ToyObject]
                       ) -> List[Tuple[ToyObject, str, str, bool]]:
    """Every expression of every kind that refers to exactly one object.

    Unlike :func:`add_expressions` (full + shortest unique), a training
    set built from these states each attribute on its own, so the colour
    word is not always redundant with the motion words.

    Args:
        objects (list[ToyObject]): the objects of one video (duck-typed:
            ``colour``, ``class_name``, ``direction``).

    Returns:
        list[tuple]: ``(obj, kind, text, decisive)`` in object order, then
        kind order; ``decisive``: the kind's word has to choose — ``class``
        in a video with several objects, ``colour`` / ``motion`` / ``full``
        for an object whose class another object of the video shares.
    """
    out = []
    for obj in objects:
        shared_class = sum(o.class_name == obj.class_name
                           for o in objects) > 1
        for kind in EXPRESSION_KINDS:
            text = kind_expression(kind, obj)
            if [o for o in objects if _refers(text, o)] != [obj]:
                continue
            decisive = len(objects) > 1 if kind == 'class' else shared_class
            out.append((obj, kind, text, decisive))
    return out
