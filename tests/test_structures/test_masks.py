import numpy as np
import pytest

from mmvidseg.structures import masks as M


def _square(h=6, w=7, box=(1, 2, 4, 5)):
    m = np.zeros((h, w), np.uint8)
    x1, y1, x2, y2 = box
    m[y1:y2, x1:x2] = 1
    return m


def test_encode_decode_round_trip_and_forms():
    m = _square()
    rle = M.encode_mask(m)
    assert isinstance(rle['counts'], str) and rle['size'] == [6, 7]
    assert isinstance(M.encode_mask(m, as_json=False)['counts'], bytes)
    # column-major runs: 2 columns of 6 zeros, then per column 2 zeros,
    # 3 ones, 1 zero, for 3 columns, then the rest
    coco = M.to_coco_rle(rle)
    assert isinstance(coco['counts'], bytes)
    np.testing.assert_array_equal(M.decode_rle(rle), m)
    np.testing.assert_array_equal(M.decode_rle(coco), m)
    np.testing.assert_array_equal(M.decode_rle(m.astype(bool)), m)
    # uncompressed RLE and polygons need / use the size
    runs = dict(size=[6, 7], counts=[6 + 2, 3, 3, 3, 3, 3, 1 + 6 * 3])
    np.testing.assert_array_equal(M.decode_rle(runs), m)
    assert M.to_json_rle(runs) == rle
    poly = [[1, 2, 3.99, 2, 3.99, 4.99, 1, 4.99]]
    assert M.rle_area(poly, 6, 7) > 0
    with pytest.raises(ValueError, match='frame size'):
        M.to_coco_rle(poly)


def test_encode_masks_batch_equals_single():
    ms = np.stack([_square(), _square(box=(0, 0, 7, 1)),
                   np.zeros((6, 7), np.uint8)])
    assert M.encode_masks(ms) == [M.encode_mask(m) for m in ms]
    assert M.encode_masks(np.zeros((0, 6, 7))) == []
    np.testing.assert_array_equal(M.decode_rles(M.encode_masks(ms)), ms)
    assert M.decode_rles([], 6, 7).shape == (0, 6, 7)
    with pytest.raises(ValueError, match='N, H, W'):
        M.encode_masks(np.zeros((6, 7)))


def test_areas_boxes():
    m = _square()  # x 1..3, y 2..4
    rle = M.encode_mask(m)
    assert M.rle_area(rle) == 9
    assert M.rle_bbox(rle) == [1.0, 2.0, 4.0, 5.0]
    assert M.rle_bbox(rle, fmt='xywh') == [1.0, 2.0, 3.0, 3.0]
    assert M.rle_bbox(M.encode_mask(np.zeros((6, 7)))) is None
    assert M.mask_bbox(m) == (1, 2, 4, 5)
    assert M.mask_bbox(np.zeros((6, 7))) is None
    np.testing.assert_array_equal(
        M.mask_boxes([m, np.zeros((6, 7))]), [[1, 2, 4, 5], [0, 0, 0, 0]])
    assert M.xyxy_to_xywh(M.mask_bbox(m)) == [1.0, 2.0, 3.0, 3.0]
    np.testing.assert_array_equal(M.rle_bboxes([rle, rle]),
                                  [[1, 2, 3, 3]] * 2)
    # pycocotools' area overflows a uint8 array past 255 masks: chunked
    many = [rle] * 300
    assert M.rle_areas(many).sum() == 9 * 300


def test_merge_and_empty():
    a, b = _square(), _square(box=(3, 0, 5, 3))
    merged = M.merge_rles([M.encode_mask(a), M.encode_mask(b)], 6, 7)
    np.testing.assert_array_equal(M.decode_rle(merged), a | b)
    empty = M.merge_rles([], 6, 7)
    assert empty == M.encode_mask(np.zeros((6, 7)))
    assert M.decode_rle(M.empty_rle(6, 7)).sum() == 0


def test_check_rle_counts():
    rle = M.encode_mask(_square())
    M.check_rle_counts(rle['counts'], 6, 7, 'here')
    with pytest.raises(ValueError, match='here: RLE counts cover 42'):
        M.check_rle_counts(rle['counts'], 6, 8, 'here')

    class MyError(ValueError):
        pass

    with pytest.raises(MyError, match='truncated'):
        M.check_rle_counts(rle['counts'] + '\\', 6, 7, 'here', MyError)


def test_rle_counts_valid_agrees_with_check_rle_counts():
    """The vectorised check gives the verdict of the one-string check on
    random masks and on their corruptions (cut, changed, extended)."""
    rng = np.random.default_rng(0)
    counts, pixels = [], []
    for _ in range(60):
        h, w = rng.integers(1, 30, 2)
        mask = rng.random((h, w)) < rng.random()
        counts.append(M.encode_mask(mask)['counts'])
        pixels.append(int(h * w))
    assert M.rle_counts_valid(counts, pixels).all()
    bad, bad_pixels, expected = [], [], []
    for c, n in zip(counts, pixels):
        pos = int(rng.integers(len(c)))
        for variant in (c[:-1], c[:pos] + chr(int(rng.integers(48, 112))) +
                        c[pos + 1:], c + chr(int(rng.integers(48, 112)))):
            try:
                M.check_rle_counts(variant, n, 1, 'x')
                expected.append(True)
            except ValueError:
                expected.append(False)
            bad.append(variant)
            bad_pixels.append(n)
    got = M.rle_counts_valid(bad, bad_pixels)
    assert got.tolist() == expected and not all(expected)
    # empty strings, one size for all, characters outside the alphabet
    assert M.rle_counts_valid(['', '0'], 0).tolist() == [True, True]
    assert M.rle_counts_valid(['', 'a'], 1).tolist() == [False, False]
    assert M.rle_counts_valid([counts[0] + ' '], pixels[0]).tolist() == [
        False]
    assert M.rle_counts_valid([], 4).shape == (0, )


def test_tensor_input():
    torch = pytest.importorskip('torch')
    m = torch.from_numpy(_square()).bool()
    assert M.encode_mask(m) == M.encode_mask(_square())
