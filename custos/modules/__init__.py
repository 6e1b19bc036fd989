"""Domain modules, one per spec domain. They depend on the core apps, never on each other."""
