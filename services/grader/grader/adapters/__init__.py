"""The language adapters this grader ships, one package each (grader.adapter says what one
holds). The runner imports none of them: it loads the one GRADER_ADAPTER names."""
