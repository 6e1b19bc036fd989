"""``custos demo``: the twin's fleet (registered with ``custos.kernel.demo.register_demo``)."""
