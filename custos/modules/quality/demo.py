"""``custos demo``: two stations' worth of graded samples (registered with ``register_demo``)."""
