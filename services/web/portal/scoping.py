"""Automatic tenant scoping of a session: a forgotten filter cannot leak another school.

A session that carries a tenant (`scope_session`, done when a request's school is
resolved) gets `tenant_id == <its tenant>` added to every ORM SELECT, bulk UPDATE and
bulk DELETE of a tenant-owned model, joins and aliases included, and every tenant-owned
row it writes is stamped with, or checked against, that tenant.

A session without a tenant is unscoped on purpose: the results worker records results
for any school, and the CLI and migrations work across schools. Such code asks for its
session by name (`portal.db.get_unscoped_db`), so an unscoped session is never an
accident.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from portal.models.base import TenantOwned

TENANT_KEY = "tenant_id"


class CrossTenantWrite(Exception):
    """A scoped session was asked to write a row belonging to another school."""


def install(factory: sessionmaker) -> None:
    """Make every session of `factory` honour the tenant it carries, if any."""
    event.listen(factory, "do_orm_execute", _add_tenant_criteria)
    event.listen(factory, "before_flush", _check_written_rows)


def scope_session(session: Session, tenant_id: int) -> None:
    """Scope `session` to one school from now on; a session is never re-scoped."""
    current = session.info.get(TENANT_KEY)
    if current is not None and current != tenant_id:
        raise CrossTenantWrite(f"session is scoped to tenant {current}, not {tenant_id}")
    session.info[TENANT_KEY] = tenant_id


def session_tenant(session: Session) -> int | None:
    """The tenant `session` is scoped to, or None when it is unscoped."""
    return session.info.get(TENANT_KEY)


def _add_tenant_criteria(state: ORMExecuteState) -> None:
    tenant_id = session_tenant(state.session)
    if tenant_id is None:
        return
    # Lazy loads and deferred columns inherit the criteria of the query that loaded the
    # parent (the option propagates), so only top-level statements need it.
    top_level_select = (
        state.is_select and not state.is_column_load and not state.is_relationship_load
    )
    if top_level_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
            )
        )


def _check_written_rows(session: Session, _flush_context, _instances) -> None:
    tenant_id = session_tenant(session)
    if tenant_id is None:
        return
    for row in session.new:
        if isinstance(row, TenantOwned) and row.tenant_id is None:
            row.tenant_id = tenant_id
    for row in (*session.new, *session.dirty):
        if isinstance(row, TenantOwned) and row.tenant_id != tenant_id:
            raise CrossTenantWrite(
                f"{type(row).__name__} of tenant {row.tenant_id} written in a session "
                f"scoped to tenant {tenant_id}"
            )
