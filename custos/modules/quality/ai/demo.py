"""``custos demo``: a trained, active quality model (registered with ``register_demo``)."""
