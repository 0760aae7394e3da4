import pytest

pytest.importorskip('mmdet')
pytest.importorskip('pycocotools')


def make_gt(images, anns):
    """A TinyPerson dict from ``images`` [(id, w, h)] and ``anns`` [(img, [x,y,w,h], flags)]."""
    out = dict(images=[dict(id=i, file_name=f'labeled_images/{i}.jpg', width=w, height=h)
                       for i, w, h in images],
               annotations=[],
               categories=[dict(id=1, name='sea_person'), dict(id=2, name='earth_person')])
    for k, (img, box, flags) in enumerate(anns):
        out['annotations'].append(dict(id=k + 1, image_id=img, category_id=flags.pop('cat', 1),
                                       bbox=list(map(float, box)), area=float(box[2] * box[3]),
                                       iscrowd=0, ignore=flags.get('ignore', False),
                                       uncertain=flags.get('uncertain', False), logo=False,
                                       in_dense_image=False))
    return out


@pytest.fixture
def gt_factory():
    return make_gt
