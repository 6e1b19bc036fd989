"""Publish-after-commit events; Channels groups and the Socket.IO server."""
