"""``notifications`` knows no plan: it imports nothing from ``processes`` (its models name the domain's tables only
as foreign-key strings, "processes.Notice"); the domain hands it payloads and registers what it attaches."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

from notifications import attachments
from processes.services.attachments import message_attachments

PACKAGE = Path(settings.BASE_DIR) / "notifications"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, at any depth (functions, ``if TYPE_CHECKING:``), with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            found += [(node.lineno, arg.value) for arg in node.args if isinstance(arg, ast.Constant)]
    return found


def test_notifications_imports_nothing_from_processes() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert PACKAGE / "services.py" in files and PACKAGE / "models.py" in files
    offending = [
        f"{path.relative_to(settings.BASE_DIR)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(path)
        if module == "processes" or module.startswith("processes.")
    ]
    assert offending == []


def test_the_domain_registers_its_attachments_with_the_outbox() -> None:
    assert message_attachments in attachments._providers
