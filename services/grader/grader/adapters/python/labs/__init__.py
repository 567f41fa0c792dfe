"""Python's lab kinds (kinds.py declares them): each judges a lab from its driver's
measurements, quotes its numbers and works out what the portal shows."""
