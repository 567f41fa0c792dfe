"""In-app notifications: what happened that a user should know about."""
