"""``custos demo``: a firmware version and a finished OTA campaign (registered with ``register_demo``)."""
