"""The sandbox grader: a language-neutral runner (RQ worker, grading pipeline, `grader` CLI)
and the language adapters it grades with (grader.adapter, grader.adapters)."""
