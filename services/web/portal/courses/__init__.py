"""Courses: the catalogue page, each course and step page, and a student's progress."""
