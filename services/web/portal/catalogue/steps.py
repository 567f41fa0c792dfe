"""Build a step's blocks from its checked YAML, and check what a schema cannot say.

The schema has already vouched for every field's shape; what remains are the rules
between fields: a choice's answer is one of its options, an ordering's starting order is
a real shuffle of its items, a template's `[[blank]]` markers match its blanks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.catalogue.content import (
    BLANK_MARKER,
    Blank,
    BlanksQuestion,
    Block,
    Callout,
    ChoiceQuestion,
    CodeSample,
    CourseSection,
    LabBlock,
    Option,
    OrderingItem,
    OrderingQuestion,
    Prose,
    Step,
)
from portal.catalogue.located_yaml import LocatedDocument, Where

if TYPE_CHECKING:
    from portal.catalogue.loader import CourseReader

DEFAULT_QUESTION_EXP = 25


def build_step(reader: CourseReader, document: LocatedDocument, number: int) -> Step:
    """The step in `document` (already schema-checked); problems go to `reader`."""
    data = document.data
    blocks: list[Block] = []
    for index, item in enumerate(data["blocks"]):
        block = _block(reader, document, ("blocks", index), item)
        if block is not None:
            blocks.append(block)
    return Step(
        id=data["id"],
        number=number,
        title=data["title"],
        public=data.get("access", "members") == "public",
        blocks=tuple(blocks),
        premium=data.get("premium", False),
    )


def _block(
    reader: CourseReader, document: LocatedDocument, where: Where, item: dict[str, Any]
) -> Block | None:
    kind = item["type"]
    if kind == "prose":
        if "file" in item:
            text = reader.file_text(document, (*where, "file"), item["file"])
            return Prose(text) if text is not None else None
        return Prose(item["markdown"])
    if kind == "code":
        return CodeSample(
            language=item["language"],
            code=item["code"],
            caption=item.get("caption", ""),
            runnable=item.get("runnable", False),
            output=item.get("output", ""),
        )
    if kind == "callout":
        return Callout(item["tone"], item["title"], item["markdown"])
    if kind == "lab":
        return LabBlock(item["lab"], item.get("required", True))
    if kind in ("glossary", "guide", "achievements"):
        return CourseSection(kind)
    builders = {"choice": _choice, "ordering": _ordering, "blanks": _blanks}
    return builders[kind](reader, document, where, item)


def _unique(reader, document, where: Where, ids: list[str], what: str) -> bool:
    seen: set[str] = set()
    ok = True
    for index, item_id in enumerate(ids):
        if item_id in seen:
            reader.problem(document, (*where, index, "id"), f"{what} {item_id!r} is twice")
            ok = False
        seen.add(item_id)
    return ok


def _choice(reader, document, where: Where, item: dict[str, Any]) -> ChoiceQuestion:
    options = tuple(Option(o["id"], o["text"], o.get("hint", "")) for o in item["options"])
    ids = [option.id for option in options]
    _unique(reader, document, (*where, "options"), ids, "option")
    if item["answer"] not in ids:
        reader.problem(document, (*where, "answer"), f"{item['answer']!r} is not an option id")
    return ChoiceQuestion(
        id=item["id"],
        prompt=item["prompt"],
        options=options,
        answer=item["answer"],
        hint=item["hint"],
        success=item["success"],
        exp=item.get("exp", DEFAULT_QUESTION_EXP),
        title=item.get("title", ""),
    )


def _ordering(reader, document, where: Where, item: dict[str, Any]) -> OrderingQuestion:
    items = tuple(OrderingItem(i["id"], i["text"]) for i in item["items"])
    ids = [entry.id for entry in items]
    if _unique(reader, document, (*where, "items"), ids, "item"):
        shuffled = item["shuffled"]
        if sorted(shuffled) != sorted(ids):
            reader.problem(document, (*where, "shuffled"), "must list every item id exactly once")
        elif shuffled == ids:
            reader.problem(document, (*where, "shuffled"), "starts in the right order: shuffle it")
    return OrderingQuestion(
        id=item["id"],
        prompt=item["prompt"],
        items=items,
        shuffled=tuple(item["shuffled"]),
        hint=item["hint"],
        success=item["success"],
        exp=item.get("exp", DEFAULT_QUESTION_EXP),
        title=item.get("title", ""),
    )


def _blanks(reader, document, where: Where, item: dict[str, Any]) -> BlanksQuestion:
    blanks = tuple(
        Blank(
            id=b["id"],
            label=b["label"],
            answers=tuple(b["answers"]),
            hint=b.get("hint", ""),
            case_sensitive=b.get("case_sensitive", True),
        )
        for b in item["blanks"]
    )
    ids = [blank.id for blank in blanks]
    _unique(reader, document, (*where, "blanks"), ids, "blank")
    markers = BLANK_MARKER.findall(item["template"])
    for marker in sorted(set(markers)):
        if markers.count(marker) > 1:
            reader.problem(document, (*where, "template"), f"[[{marker}]] appears twice")
        if marker not in ids:
            reader.problem(document, (*where, "template"), f"[[{marker}]] is not a blank id")
    for index, blank_id in enumerate(ids):
        if blank_id not in markers:
            reader.problem(
                document, (*where, "blanks", index, "id"), f"no [[{blank_id}]] in the template"
            )
    return BlanksQuestion(
        id=item["id"],
        prompt=item["prompt"],
        language=item.get("language", "text"),
        template=item["template"],
        blanks=blanks,
        hint=item["hint"],
        success=item["success"],
        exp=item.get("exp", DEFAULT_QUESTION_EXP),
        title=item.get("title", ""),
    )
