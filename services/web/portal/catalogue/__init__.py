"""The content model: courses, their steps and labs, loaded and checked from `content/`.

A base package: the features (courses, labs, questions, gamification, premium, admin,
reports, ada, feed...) import it, and it imports none of them.
"""
