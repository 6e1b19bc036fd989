"""Console views, by area: ``auth`` (login, logout, organization switcher), ``admin``, ``twin``,
``domains`` (quality, designs, pipelines). Views parse, call a service or selector, and render."""
