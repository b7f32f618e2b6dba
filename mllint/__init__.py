"""mllint: a linter for the container images that ship machine-learning code."""

__version__ = "0.1.0"
