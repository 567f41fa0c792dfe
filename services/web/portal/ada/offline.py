"""The offline engine: an answer assembled from the course's passages and the submission's facts.

It never writes anything the course or the grader did not say: an opening in A.D.A.'s
voice, the submission's facts and the causes the rules found (when the question is about
it, or it failed), brief quotes of the best passages, and the steps they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.ada.context import Context, citation, citations, guide_step
from portal.ada.excerpts import best_excerpt

ENGINE = "offline"


@dataclass(frozen=True)
class Answer:
    """An answer as stored and shown: text, the steps cited, who answered, any note."""

    text: str
    citations: list[dict] = field(default_factory=list)  # [{step_id, title, number, url}]
    engine: str = ENGINE  # "offline" or "endpoint"
    note: str = ""  # why the school's endpoint was not used although it is on
    submission_id: int | None = None


def offline_answer(context: Context, note: str = "") -> Answer:
    """A.D.A.'s answer from the course material alone."""
    paragraphs = [_opening(context)]
    if context.about_submission and context.facts is not None:
        paragraphs.append(" ".join(context.facts.sentences()))
        if context.facts.causes:
            causes = "\n".join(f"- {cause}" for cause in context.facts.causes)
            paragraphs.append(f"What the numbers point to:\n{causes}")
    for passage in context.cited_passages:
        excerpt = best_excerpt(passage.text, context.question)
        if excerpt:
            where = f'Step {passage.step_number}, "{passage.step_title}"'
            if passage.heading:
                where += f" ({passage.heading})"
            paragraphs.append(f"{where}: {excerpt}")
    cited = citations(context)
    if not context.hits:
        pointer, cited = _guide_pointer(context)
        paragraphs.append(pointer)
    if cited:
        sources = "; ".join(f'step {c["number"]} "{c["title"]}"' for c in cited)
        paragraphs.append(f"Sources: {sources}.")
    return Answer("\n\n".join(paragraphs), cited, ENGINE, note, context.submission_id)


def _opening(context: Context) -> str:
    facts = context.facts
    if context.about_submission and facts is not None:
        if facts.verdict is None:
            opening = f"I looked for your latest work on {facts.lab_title}: it is not graded yet."
        elif facts.failed:
            opening = f"Let's look at your latest {facts.lab_title} submission together."
        else:
            opening = f"Your latest {facts.lab_title} submission passed; here is what it shows."
        if not context.hits:
            return opening
        return f"{opening} Then, what the course says about it."
    if context.hits:
        return "A.D.A. here. This is what the course says about your question."
    return (
        "A.D.A. here. I found nothing about that in this course's material, and I will not guess."
    )


def _guide_pointer(context: Context) -> tuple[str, list[dict]]:
    course = context.course
    step = guide_step(course)
    if course.guide is None or step is None:
        return "Try naming the part of the course you are asking about.", []
    text = (
        f'The course\'s guide, "{course.guide.title}", gives an overview of every subject: '
        f'it is in step {step.number}, "{step.title}". Try asking with the words it uses.'
    )
    return text, [citation(course, step.id, step.title, step.number, "guide-title")]
