import pytest

from mllint.imageref import parse_image_ref


@pytest.mark.parametrize("text,registry,repo,tag,digest", [
    ("python", None, "python", None, None),
    ("python:3.11-slim", None, "python", "3.11-slim", None),
    ("nvcr.io/nvidia/pytorch:24.05-py3", "nvcr.io", "nvidia/pytorch", "24.05-py3", None),
    ("localhost:5000/team/img", "localhost:5000", "team/img", None, None),
    ("localhost:5000/team/img:1.0@sha256:abc", "localhost:5000", "team/img", "1.0", "sha256:abc"),
    ("pytorch/pytorch@sha256:abc", None, "pytorch/pytorch", None, "sha256:abc"),
])
def test_parse(text, registry, repo, tag, digest):
    ref = parse_image_ref(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repo, tag, digest)


def test_scratch():
    assert parse_image_ref("scratch").is_scratch
    assert not parse_image_ref("example.com/scratch").is_scratch
