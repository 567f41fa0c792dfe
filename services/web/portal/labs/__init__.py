"""Code labs: submitting code, following its grading, recording the grader's answer."""
