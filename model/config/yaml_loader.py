"""Safe YAML loading for scenario and experiment files.

PyYAML's ``SafeLoader`` constructs only plain data, but it accepts input that can still
exhaust memory or end in a traceback. :func:`load_yaml` reads a file with these checks, each
a :class:`~regroup.config.errors.ConfigError` naming the file (and line where known):

- at most :data:`MAX_YAML_BYTES` bytes, UTF-8 text without NUL bytes;
- nesting at most :data:`MAX_YAML_DEPTH` levels deep (20,000 brackets would otherwise end in
  a RecursionError);
- at most :data:`MAX_YAML_NODES` values once every alias is expanded, counted on the composed
  nodes *before* any Python object is built (nested aliases grow exponentially);
- no anchor that refers to itself;
- no key set twice in one mapping (PyYAML keeps the last value without a word).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from regroup.config.errors import ConfigError
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

MAX_YAML_BYTES = 131_072
"""Largest scenario or experiment file read, in bytes (128 KiB; the shipped ones are about
1 KiB). Pure-Python PyYAML parses about 50 KiB a second on a busy core."""
MAX_YAML_DEPTH = 32
"""Deepest nesting of mappings and lists (the schema needs 5)."""
MAX_YAML_NODES = 100_000
"""Most values in a document once its aliases are expanded."""

_MERGE = "tag:yaml.org,2002:merge"


class YamlLimitError(Exception):
    """A document breaks one of the loader's limits; ``mark`` is where (or None)."""

    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def _where(mark: Any) -> str:
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""


class _DepthComposer(Composer):
    """PyYAML's composer, refusing nesting beyond :data:`MAX_YAML_DEPTH` levels.

    The scanner and parser are iterative; only the composer (and the constructor) recurse,
    so the depth is checked here, before Python's recursion limit is reached.
    """

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise YamlLimitError(
                    f"nested more than {MAX_YAML_DEPTH} levels deep", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class PyLoader(_DepthComposer, Reader, Scanner, Parser, SafeConstructor, Resolver):
    """PyYAML's pure-Python SafeLoader with the depth check."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _DepthComposer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


Loader: type = PyLoader
"""The loader :func:`parse` uses: :class:`CLoader` where PyYAML has libyaml."""

if getattr(yaml, "__with_libyaml__", False):
    from yaml.cyaml import CParser

    class CLoader(_DepthComposer, CParser, SafeConstructor, Resolver):
        """libyaml's scanner and parser (in C, several times faster), PyYAML's composer with
        the depth check (libyaml's own composer would recurse in C), the safe constructor."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _DepthComposer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    Loader = CLoader


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def measure(root: Node) -> None:
    """Refuse a composed document that refers to itself, or that expands (aliases followed)
    to more than :data:`MAX_YAML_NODES` values or :data:`MAX_YAML_DEPTH` levels.

    Iterative and memoised: each node is visited once, whatever its aliases expand to.
    """
    entered = object()  # on the current path: met again means a cycle
    sizes: dict[int, Any] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        kids = _children(node)
        if done:
            size = 1 + sum(sizes[id(k)][0] for k in kids)
            depth = 1 + max((sizes[id(k)][1] for k in kids), default=0)
            if size > MAX_YAML_NODES:
                raise YamlLimitError(
                    f"aliases expand to more than {MAX_YAML_NODES:,} values", node.start_mark
                )
            if depth > MAX_YAML_DEPTH:
                raise YamlLimitError(
                    f"aliases expand to more than {MAX_YAML_DEPTH} levels of nesting",
                    node.start_mark,
                )
            sizes[key] = (size, depth)
            continue
        state = sizes.get(key)
        if state is entered:
            raise YamlLimitError("an anchor refers to itself", node.start_mark)
        if state is not None:
            continue
        sizes[key] = entered
        stack.append((node, True))
        for kid in kids:
            if sizes.get(id(kid)) is entered:
                raise YamlLimitError("an anchor refers to itself", kid.start_mark)
            if id(kid) not in sizes:
                stack.append((kid, False))


def _key(loader: Any, node: Node) -> Any:
    if isinstance(node, ScalarNode):
        value = loader.construct_object(node, deep=True)
        try:
            hash(value)
        except TypeError:
            return None
        return value
    return None


def check_duplicates(loader: Any, root: Node) -> None:
    """Refuse a mapping that sets a key twice, naming the dotted path and both lines."""
    seen_nodes: set[int] = set()
    stack: list[tuple[Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((kid, (*path, str(i))) for i, kid in enumerate(node.value))
        elif isinstance(node, MappingNode):
            first: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE:
                    stack.append((value_node, path))
                    continue
                key = _key(loader, key_node)
                line = key_node.start_mark.line + 1
                if key is not None and key in first:
                    dotted = ".".join((*path, str(key)))
                    raise YamlLimitError(
                        f"{dotted}: set twice (lines {first[key]} and {line}); keep one",
                        None,
                    )
                if key is not None:
                    first[key] = line
                stack.append((value_node, (*path, str(key))))


def read_text(path: Path) -> str:
    """The file's text: at most :data:`MAX_YAML_BYTES` bytes of UTF-8 without NUL bytes.

    Raises :class:`YamlLimitError` (message without the file name) otherwise.
    """
    with path.open("rb") as f:
        raw = f.read(MAX_YAML_BYTES + 1)
    if len(raw) > MAX_YAML_BYTES:
        raise YamlLimitError(f"file larger than the limit of {MAX_YAML_BYTES:,} bytes")
    if b"\0" in raw:
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise YamlLimitError(f"not a text file (a NUL byte on line {line}; binary or UTF-16?)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start]
        raise YamlLimitError(f"not UTF-8 text (byte 0x{byte:02x} on line {line})") from None


def parse(text: str, loader_class: type | None = None) -> Any:
    """Parse one YAML document with the checks above (with :data:`Loader` unless told);
    YAML errors pass through."""
    loader = (loader_class or Loader)(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        measure(root)
        check_duplicates(loader, root)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _describe(exc: BaseException) -> str:
    """A one-line description of a loading error, with its line and column where known."""
    if isinstance(exc, YamlLimitError):
        return f"{exc.message}{_where(exc.mark)}"
    if isinstance(exc, yaml.reader.ReaderError):
        return f"malformed YAML: {' '.join(str(exc).split())}"
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        return f"malformed YAML{_where(mark)}: {problem}"
    return f"malformed YAML: {exc}"


def load_yaml(path: Path) -> Any:
    """The YAML document in ``path`` (None if empty), read and parsed with the checks above.

    Every problem is a :class:`ConfigError` naming the file, and the line where known.
    """
    try:
        if not path.is_file():
            raise ConfigError(f"{path}: file not found")
        return parse(read_text(path))
    except ConfigError:
        raise
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (YamlLimitError, yaml.YAMLError, ValueError, RecursionError) as exc:
        # ValueError: an integer of more than 4,300 digits; RecursionError should not happen
        raise ConfigError(f"{path}: {_describe(exc)}") from None
