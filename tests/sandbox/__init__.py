"""Tests of the sandbox image and its in-container harness (real Docker, real image)."""
