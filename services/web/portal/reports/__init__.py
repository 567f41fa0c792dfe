""" "Found an error?": reports about the course content, from learners to the school's staff."""
