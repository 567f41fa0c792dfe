"""Courses: the content catalogue (loaded from files) and the pages that show it."""
