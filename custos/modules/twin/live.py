"""Twin data for Socket.IO (``request_data`` answers and ``dashboard_update``), registered with the events app."""
