# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest

from mmvidseg.datasets.transforms import FlipReferringText, swap_left_right


def test_swap_left_right_both_words():
    assert swap_left_right('the man on the left of the dog on the right') \
        == 'the man on the right of the dog on the left'
    assert swap_left_right('a cat') == 'a cat'
    # plain substring replacement, as the official transform
    assert swap_left_right('leftmost') == 'rightmost'


@pytest.mark.parametrize('flip,direction,expected', [
    ([True, True], 'horizontal', 'moving right'),
    ([False, False], None, 'moving left'),
    ([True, True], 'vertical', 'moving left'),
])
def test_flip_referring_text(flip, direction, expected):
    results = dict(text=['moving left'] * 2, flip=flip,
                   flip_direction=[direction] * 2)
    out = FlipReferringText()(results)
    assert out['text'] == [expected] * 2


def test_flip_must_be_shared():
    with pytest.raises(ValueError, match='share_random_params=True'):
        FlipReferringText()(dict(text=['left'] * 2, flip=[True, False],
                                 flip_direction=['horizontal'] * 2))
