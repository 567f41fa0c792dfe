"""Consult A.D.A.: a premium student's questions about a course, answered from its content.

`passages` cuts the course into passages, `ranking` finds the best ones (BM25), `facts`
turns the student's last submission into plain sentences, `offline` assembles an answer
from both, and `endpoint` asks a school's own OpenAI-compatible chat endpoint instead,
when the school turned it on. `service` decides, stores and counts; `views` are thin.
"""
