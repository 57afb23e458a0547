"""Provider quarterly monitoring returns: template layout, writing and reading."""
