"""productivity stage."""
