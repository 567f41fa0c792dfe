"""The gradebook: a course's students by steps and labs, in four queries whatever its size.

One row per student of the school: the steps they completed (and when), and for every lab
their best score, whether they passed it and the attempts that counted (graded, and not
our fault). Filters narrow the students (a group, name or email) and the activity (a date
range: only step completions and submissions inside it count); any column sorts the table.

The page and its CSV export read the same rows, so a spreadsheet shows what the page
showed. Four statements whatever the number of students (students; steps completed and
submissions, each grouped in SQL; the step-by-step dates of the rows shown), each through
the request's session, which `portal.scoping` limits to the school; the explicit
`tenant_id` filters say so too. The group filter is a subquery of the students' statement,
not a statement of its own (the page's list of groups, for its filter, is one more).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from portal import paging
from portal.catalogue.catalogue import Course
from portal.models import (
    GroupMember,
    Role,
    School,
    StepCompletion,
    Submission,
    SubmissionStatus,
    User,
)
from portal.paging import Page

SORT_KEYS = ("name", "email", "steps", "last")  # and "lab:<lab id>"
# Students per page, as the dashboard's other lists: a page costs about the same whatever
# the school's size (the whole table is sorted, then one page rendered; the CSV has all).
PER_PAGE = paging.PER_PAGE


@dataclass(frozen=True)
class Filters:
    """What the staff asked for; built from the query string by `filters_from`."""

    course_id: str
    group_id: int | None = None  # only the students of this group of the school
    query: str = ""
    since: date | None = None
    until: date | None = None  # inclusive
    sort: str = "name"
    descending: bool = False

    def as_args(self, **changes: object) -> dict[str, str]:
        """The query string that asks for these filters (with `changes`), for links."""
        values = {
            "course": self.course_id,
            "group": str(self.group_id) if self.group_id is not None else "",
            "q": self.query,
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
            "sort": self.sort,
            "dir": "desc" if self.descending else "asc",
        }
        values.update({key: str(value) for key, value in changes.items()})
        return {key: value for key, value in values.items() if value}


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _group_id(text: str | None, group_ids: Collection[int]) -> int | None:
    try:
        group_id = int(text) if text else None
    except ValueError:
        return None
    return group_id if group_id in group_ids else None


def filters_from(
    args: Mapping[str, str], courses: Mapping[str, Course], group_ids: Collection[int] = ()
) -> Filters:
    """Filters from a request's arguments; unknown or malformed values fall back (a group
    that is not one of `group_ids`, the school's, to every student)."""
    course_id = args.get("course", "")
    if course_id not in courses:
        course_id = next(iter(courses), "")
    course = courses.get(course_id)
    sort = args.get("sort", "name")
    lab_ids = {f"lab:{lab.id}" for lab in course.labs} if course else set()
    if sort not in SORT_KEYS and sort not in lab_ids:
        sort = "name"
    return Filters(
        course_id=course_id,
        group_id=_group_id(args.get("group"), group_ids),
        query=args.get("q", "").strip()[:254],
        since=_date(args.get("from")),
        until=_date(args.get("to")),
        sort=sort,
        descending=args.get("dir") == "desc",
    )


@dataclass(frozen=True)
class Student:
    """What the gradebook shows of a student (their account's columns, not the account)."""

    id: int
    display_name: str
    email: str
    is_active: bool


@dataclass
class LabCell:
    """One student's record at one lab: best score, passed, counted attempts."""

    best_score: float | None = None
    passed: bool = False
    attempts: int = 0


@dataclass
class GradebookRow:
    """One student's line of the gradebook."""

    user: Student
    steps_done: int = 0  # steps of the course completed (in the date range)
    completed: dict[str, datetime] = field(default_factory=dict)  # step id -> when (shown rows)
    labs: dict[str, LabCell] = field(default_factory=dict)  # lab id -> cell
    last_activity: datetime | None = None

    def seen(self, moment: datetime | None) -> None:
        if moment is not None and (self.last_activity is None or moment > self.last_activity):
            self.last_activity = moment

    def lab(self, lab_id: str) -> LabCell:
        """The student's cell for `lab_id` (empty when they never submitted to it)."""
        return self.labs.get(lab_id) or LabCell()


@dataclass(frozen=True)
class Gradebook:
    """The rows of one course, filtered and sorted, and the page of them that is shown
    (every row when the whole table was asked for: the CSV)."""

    course: Course
    filters: Filters
    rows: list[GradebookRow]
    page: Page


def _page_of(rows: list[GradebookRow], number: int | None) -> Page:
    if number is None:
        return Page(rows, 1, len(rows), max(1, len(rows)))
    pages = max(1, -(-len(rows) // PER_PAGE))
    number = min(max(1, number), pages)
    start = (number - 1) * PER_PAGE
    return Page(rows[start : start + PER_PAGE], number, len(rows), PER_PAGE)


def _window(column, filters: Filters) -> list:
    conditions = []
    if filters.since is not None:
        conditions.append(column >= datetime.combine(filters.since, time(), UTC))
    if filters.until is not None:
        end = datetime.combine(filters.until + timedelta(days=1), time(), UTC)
        conditions.append(column < end)
    return conditions


def gradebook(
    session: Session,
    school: School,
    course: Course,
    filters: Filters,
    page: int | None = None,
) -> Gradebook:
    """The gradebook of `course` at `school` under `filters`, showing page `page` (every
    row when None): four SQL statements. Every student's counts are read, for sorting;
    the step-by-step dates only for the rows shown."""
    # Only the columns shown: 500 light rows rather than 500 ORM objects to build.
    students = select(User.id, User.display_name, User.email, User.is_active).where(
        User.tenant_id == school.id, User.role == Role.STUDENT.value
    )
    if filters.group_id is not None:
        students = students.where(
            User.id.in_(
                select(GroupMember.user_id).where(
                    GroupMember.tenant_id == school.id, GroupMember.group_id == filters.group_id
                )
            )
        )
    needle = filters.query.lower()
    if needle:
        students = students.where(
            or_(
                func.lower(User.email).contains(needle, autoescape=True),
                func.lower(User.display_name).contains(needle, autoescape=True),
            )
        )
    rows = {
        found.id: GradebookRow(Student(found.id, found.display_name, found.email, found.is_active))
        for found in session.execute(students.order_by(User.id))
    }

    of_course = (
        StepCompletion.tenant_id == school.id,
        StepCompletion.course_id == course.id,
        StepCompletion.step_id.in_([step.id for step in course.steps]),
        *_window(StepCompletion.completed_at, filters),
    )
    steps_done = (
        select(StepCompletion.user_id, func.count(), func.max(StepCompletion.completed_at))
        .where(*of_course)
        .group_by(StepCompletion.user_id)
    )
    for user_id, count, last in session.execute(steps_done):
        row = rows.get(user_id)
        if row is not None:
            row.steps_done = int(count)
            row.seen(last)

    counted = (Submission.status == SubmissionStatus.GRADED.value) & Submission.gradable.is_(True)
    passed = counted & (Submission.verdict == "passed")
    per_lab = (
        select(
            Submission.user_id,
            Submission.lab_id,
            func.count(case((counted, 1))),
            func.max(case((counted, Submission.score))),
            func.max(case((passed, Submission.score))),
            func.count(case((passed, 1))),
            func.max(Submission.created_at),
        )
        .where(
            Submission.tenant_id == school.id,
            Submission.course_id == course.id,
            *_window(Submission.created_at, filters),
        )
        .group_by(Submission.user_id, Submission.lab_id)
    )
    for user_id, lab_id, attempts, best, best_passed, passes, last in session.execute(per_lab):
        row = rows.get(user_id)
        if row is None:
            continue
        # A pass beats any score: the best of a student who passed is their best pass.
        score = best_passed if passes else best
        row.labs[lab_id] = LabCell(
            None if score is None else float(score), bool(passes), int(attempts)
        )
        row.seen(last)

    ordered = _ordered(list(rows.values()), filters.sort, filters.descending)
    shown = _page_of(ordered, page)
    if shown.rows:
        completions = select(
            StepCompletion.user_id, StepCompletion.step_id, StepCompletion.completed_at
        ).where(*of_course)
        if page is not None:
            completions = completions.where(
                StepCompletion.user_id.in_([row.user.id for row in shown.rows])
            )
        for user_id, step_id, completed_at in session.execute(completions):
            row = rows.get(user_id)
            if row is not None:
                row.completed[step_id] = completed_at
    return Gradebook(course, filters, ordered, shown)


def _by_name(row: GradebookRow) -> tuple[str, str]:
    return (row.user.display_name.casefold(), row.user.email)


def _column_key(sort: str):
    if sort == "email":
        return lambda row: row.user.email
    if sort == "steps":
        return lambda row: row.steps_done
    if sort == "last":
        # No activity sorts first ascending; the sentinel keeps the key comparable.
        earliest = datetime.min.replace(tzinfo=UTC)
        return lambda row: _aware(row.last_activity) or earliest
    lab_id = sort.removeprefix("lab:")

    def by_lab(row: GradebookRow) -> tuple[bool, float, int]:
        cell = row.lab(lab_id)
        return (cell.passed, -1.0 if cell.best_score is None else cell.best_score, cell.attempts)

    return by_lab


def _ordered(rows: list[GradebookRow], sort: str, descending: bool) -> list[GradebookRow]:
    """Sorted by the column; equal values stay in name order either way (a stable sort)."""
    by_name = sorted(rows, key=_by_name, reverse=descending and sort == "name")
    if sort == "name":
        return by_name
    return sorted(by_name, key=_column_key(sort), reverse=descending)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes from grouped columns; they are UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def csv_rows(book: Gradebook) -> tuple[list[str], list[list[object]]]:
    """The same table as the page, as a header and rows for `exports.to_csv`."""
    course = book.course
    header = ["name", "email", "steps_completed"]
    header += [f"step:{step.id}" for step in course.steps]
    for lab in course.labs:
        header += [f"{lab.id}:best_score", f"{lab.id}:passed", f"{lab.id}:attempts"]
    header.append("last_activity")
    rows = []
    for row in book.rows:
        line: list[object] = [
            row.user.display_name,
            row.user.email,
            f"{row.steps_done} of {len(course.steps)}",
        ]
        for step in course.steps:
            done = row.completed.get(step.id)
            line.append(_aware(done).strftime("%Y-%m-%d") if done else "")
        for lab in course.labs:
            cell = row.lab(lab.id)
            line += [
                "" if cell.best_score is None else f"{cell.best_score:g}",
                "yes" if cell.passed else "no",
                cell.attempts,
            ]
        last = _aware(row.last_activity)
        line.append(last.strftime("%Y-%m-%d %H:%M:%S UTC") if last else "")
        rows.append(line)
    return header, rows
