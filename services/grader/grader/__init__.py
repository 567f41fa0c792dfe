"""The Node.js sandbox grader: RQ worker, grading pipeline and the `grader` CLI."""
