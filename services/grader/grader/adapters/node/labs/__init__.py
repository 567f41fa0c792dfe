"""Node's lab kinds (kinds.py declares them): each judges a lab from the JavaScript source's
facts and the harness's report, quotes its numbers and works out what the portal shows."""
