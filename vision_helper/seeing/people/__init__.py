"""People stage: every person (detect), identities over time, roles, and the client's 33 landmarks."""
