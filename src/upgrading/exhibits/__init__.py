"""exhibits stage."""
