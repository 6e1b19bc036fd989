"""Users and the ways they prove who they are."""
