"""Which base the image is built on: PYTHON_IMAGE, else the Dockerfile's default where it can be had."""

from __future__ import annotations

import pytest

from ecslocal import image


@pytest.mark.parametrize(
    ("environ", "present", "expected"),
    [
        ({"PYTHON_IMAGE": "registry.example/python:3.11"}, set(), "registry.example/python:3.11"),
        ({}, {"python:3.11-slim-bookworm", image.BOOTSTRAPPED_BASE}, ""),
        ({}, {image.BOOTSTRAPPED_BASE}, image.BOOTSTRAPPED_BASE),
        ({}, set(), ""),  # neither: the default, which a registry may still serve
    ],
    ids=["named", "default-here", "only-bootstrapped", "nothing-here"],
)
def test_base_follows_what_the_machine_has(monkeypatch, environ, present, expected) -> None:
    monkeypatch.delenv("PYTHON_IMAGE", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(image, "image_present", lambda name: name in present)
    assert image.base_image() == expected


def test_default_base_is_read_from_the_dockerfile() -> None:
    assert image.dockerfile_default_base() == "python:3.11-slim-bookworm"
