"""The engine boundary: what the runner asks of a deployment engine (see `base`)."""
