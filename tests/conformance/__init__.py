"""Black-box conformance of every served route against a live ``custos serve`` (docs/verification.md)."""
