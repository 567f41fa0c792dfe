"""The offline engine: an answer assembled from the course's passages and the submission's facts.

It never writes anything the course, the grader or the diagnoses did not say: an opening
in A.D.A.'s voice; when the question is about the submission (or it failed), the verdict,
each diagnosed cause with its numbers, its advice and the step to read; whole sentences
quoted from the best passages; and the steps they came from. The text is Markdown (inline
code in backticks, quotes as block quotes), rendered and sanitised on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.ada.context import Context, citation, citations, guide_step
from portal.ada.excerpts import best_excerpt
from portal.ada.passages import Passage

ENGINE = "offline"


@dataclass(frozen=True)
class Answer:
    """An answer as stored and shown: text, the steps cited, who answered, any note."""

    text: str
    citations: list[dict] = field(default_factory=list)  # [{step_id, title, number, url}]
    engine: str = ENGINE  # "offline" or "endpoint"
    note: str = ""  # why the school's endpoint was not used although it is on
    submission_id: int | None = None


NOT_UNDERSTOOD = (
    "I did not understand the question: it has no words I can look up. Ask it in a "
    "sentence that names what you want to know, for example “Why did my workers not speed "
    "things up?” or “When should I use spawn instead of exec?”"
)


def not_understood_answer(note: str = "") -> Answer:
    """The answer to a question with no content (only punctuation, spaces or stopwords)."""
    return Answer(NOT_UNDERSTOOD, [], ENGINE, note, None)


def offline_answer(context: Context, note: str = "") -> Answer:
    """A.D.A.'s answer from the course material and the submission's diagnoses."""
    paragraphs = [_opening(context)]
    quoted: set[Passage] = set()
    if context.asked_about_submission and context.facts is not None:
        facts = context.facts
        paragraphs.append(" ".join([facts.verdict_sentence(), *facts.checks_sentences()]))
        if facts.measured:
            paragraphs.append(" ".join(facts.measured))
        for diagnosis in facts.diagnoses:
            paragraphs.append(
                " ".join(
                    part
                    for part in (f"**{diagnosis.summary}**", diagnosis.evidence, diagnosis.advice)
                    if part
                )
            )
            passage = context.readings.get(diagnosis.cause)
            if passage is not None and passage not in quoted:
                quoted.add(passage)
                paragraphs.append(_quote(passage, diagnosis.topic, "explains it"))
    for passage in context.cited_passages:
        if passage not in quoted:
            quoted.add(passage)
            paragraphs.append(_quote(passage, context.question, "says"))
    if context.about_submission and not context.asked_about_submission and context.facts:
        paragraphs.append(_in_passing(context.facts))
    cited = citations(context)
    if not context.hits and not quoted:
        pointer, guide = _guide_pointer(context)
        paragraphs.append(pointer)
        cited = cited or guide
    if cited:
        paragraphs.append(sources_sentence(cited))
    text = "\n\n".join(paragraph for paragraph in paragraphs if paragraph)
    return Answer(text, cited, ENGINE, note, context.submission_id)


def sources_sentence(cited: list[dict]) -> str:
    """The steps an answer drew on, as one sentence."""
    steps = [f'step {c["number"]}, "{c["title"]}"' for c in cited]
    listed = steps[0] if len(steps) == 1 else "; ".join(steps[:-1]) + f"; and {steps[-1]}"
    return f"Sources: {listed}."


def _in_passing(facts) -> str:
    """The failed submission in brief, when the question was about something else."""
    summaries = [diagnosis.summary for diagnosis in facts.diagnoses]
    causes = f" What its numbers point to: {' '.join(summaries)}" if summaries else ""
    return (
        f"{facts.verdict_sentence()}{causes} Ask me “Why did my submission fail?” for its "
        "numbers and what to do about them."
    )


def _quote(passage: Passage, question: str, verb: str) -> str:
    """Whole sentences of `passage`, as a block quote after where they come from."""
    excerpt = best_excerpt(passage.text, question)
    if not excerpt:
        return ""
    where = f'Step {passage.step_number}, "{passage.step_title}"'
    if passage.heading:
        where += f" ({passage.heading})"
    return f"{where}, {verb}:\n\n> {excerpt}"


def _opening(context: Context) -> str:
    facts = context.facts
    if context.asked_about_submission and facts is not None:
        if facts.verdict is None:
            opening = f"I looked for your latest work on {facts.lab_title}: it is not graded yet."
        elif facts.failed:
            opening = f"Let's look at your latest {facts.lab_title} submission together."
        else:
            opening = f"Your latest {facts.lab_title} submission passed; here is what it shows."
        if not context.hits:
            return opening
        return f"{opening} After the numbers comes what the course says about them."
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
