"""Facts about a JavaScript source, read from its syntax tree rather than its text.

Static checks must not be fooled by a keyword in a comment or a string, so the grader
parses the student's code with tree-sitter before any container starts. The parse runs
in the grader's process but executes nothing: it only reads the tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter_javascript
from tree_sitter import Language, Node, Parser

_LANGUAGE = Language(tree_sitter_javascript.language())


@dataclass(frozen=True)
class SourceFacts:
    """What the code imports, constructs, calls and reads, by name."""

    is_es_module: bool  # top-level import/export: must run as .mjs
    modules: frozenset[str] = field(default_factory=frozenset)  # require()d or imported
    constructed: frozenset[str] = field(default_factory=frozenset)  # `new X(...)`, by X's name
    called_methods: frozenset[str] = field(default_factory=frozenset)  # `a.m(...)`, by m
    read_names: frozenset[str] = field(default_factory=frozenset)  # names used as values
    has_syntax_error: bool = False  # tree-sitter found an error node

    def imports(self, module: str) -> bool:
        """Whether `module` (or its `node:` form) is required or imported."""
        return module in self.modules or f"node:{module}" in self.modules


def read_source_facts(source: str) -> SourceFacts:
    """Parse `source` and collect the facts the labs' static checks ask about."""
    tree = Parser(_LANGUAGE).parse(source.encode("utf-8"))
    root = tree.root_node
    modules: set[str] = set()
    constructed: set[str] = set()
    called: set[str] = set()
    read: set[str] = set()
    is_es_module = any(
        child.type in ("import_statement", "export_statement") for child in root.children
    )
    for node in _walk(root):
        if node.type == "import_statement":
            source_node = node.child_by_field_name("source")
            if source_node is not None:
                modules.add(_string_value(source_node))
        elif node.type == "call_expression":
            _collect_call(node, modules, called)
        elif node.type == "new_expression":
            name = _callee_name(node.child_by_field_name("constructor"))
            if name:
                constructed.add(name)
        elif node.type == "identifier" and not _inside(node, "import_statement"):
            read.add(_text(node))
        elif node.type == "member_expression":
            prop = node.child_by_field_name("property")
            if prop is not None:
                read.add(_text(prop))
    return SourceFacts(
        is_es_module=is_es_module,
        modules=frozenset(modules),
        constructed=frozenset(constructed),
        called_methods=frozenset(called),
        read_names=frozenset(read),
        has_syntax_error=root.has_error,
    )


def _collect_call(node: Node, modules: set[str], called: set[str]) -> None:
    function = node.child_by_field_name("function")
    if function is None:
        return
    arguments = node.child_by_field_name("arguments")
    first_argument = arguments.named_children[0] if arguments and arguments.named_children else None
    is_loader = function.type == "identifier" and _text(function) == "require"
    is_dynamic_import = function.type == "import"
    if (is_loader or is_dynamic_import) and first_argument is not None:
        if first_argument.type == "string":
            modules.add(_string_value(first_argument))
    if function.type == "member_expression":
        prop = function.child_by_field_name("property")
        if prop is not None:
            called.add(_text(prop))


def _callee_name(node: Node | None) -> str:
    """`Worker` for `new Worker()` and for `new threads.Worker()`."""
    if node is None:
        return ""
    if node.type == "identifier":
        return _text(node)
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return _text(prop) if prop is not None else ""
    return ""


def _string_value(node: Node) -> str:
    return "".join(_text(child) for child in node.named_children if child.type == "string_fragment")


def _inside(node: Node, ancestor_type: str) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type == ancestor_type:
            return True
        parent = parent.parent
    return False


def _walk(root: Node):
    # Iterative: a deeply nested submission must not hit Python's recursion limit.
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _text(node: Node) -> str:
    return node.text.decode("utf-8", errors="replace") if node.text is not None else ""
