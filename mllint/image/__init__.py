"""`mllint image`: sources (sources.py, registry.py) → streaming layer walk (walk.py) → ImageFacts
(facts.py) → image rules ML7xx (checks.py), driven by lint.py. synth.py builds test images.
Nothing here is imported by `mllint Dockerfile`."""
