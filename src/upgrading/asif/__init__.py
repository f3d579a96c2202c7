"""asif stage."""
