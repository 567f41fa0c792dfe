"""Quick questions (multiple choice, ordering, fill-in-the-blanks): graded in the portal,
at once, by pure functions; attempts and first successes are recorded for students."""
