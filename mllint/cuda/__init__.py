"""CUDA facts: where a Dockerfile's CUDA comes from (sources), what the tables say (knowledge),
and the host's driver and GPUs (host). Imported only when a CUDA check runs."""
