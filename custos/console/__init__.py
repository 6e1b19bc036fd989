"""The operator console: server-rendered pages at ``/console/`` over the same services and selectors as
the APIs (``docs/console.md``)."""
