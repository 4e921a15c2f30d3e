"""Reading a knowledge-base folder into a validated :class:`KnowledgeBase`.

The loader checks every field of every file, collects *all* problems (each with file, line,
column and a suggestion where one is close) and raises them together as
:class:`KnowledgeBaseErrors`. The folder layout::

    facts.yaml      the facts rules may use
    advice.yaml     the advice catalogue
    sources.yaml    the articles rules cite (optional; when present, citations are checked)
    rules/*.yaml    the rules, grouped by topic, read in file-name order

This module reads sources, facts and advice items, and lists the files of the folder; the
generic field checks are :class:`~.reader.YamlReader`'s, conditions and rules
:class:`~.ruleloader.RuleReader`'s, the load cache :mod:`.kbcache`'s. The other files of a
knowledge base have their readers beside what they configure: ``cases/*.yaml`` in :mod:`.cases`,
``checks.yaml`` in :mod:`.checks`, ``review.yaml`` in :mod:`.reviewconfig`. Every file is read
through :mod:`.files` (bounded, no links, devices or FIFOs inside the folder).
"""

from __future__ import annotations

import gc
import os
import stat
from pathlib import Path

from .errors import (
    DuplicateIdError,
    KnowledgeBaseErrors,
    RuleCycleError,
    SchemaError,
    UnreadableKnowledgeBaseFileError,
    ValueNotAllowedError,
    WrongTypeError,
)
from .facts import is_integer
from .files import MAX_FILE_BYTES, decode_text, read_file_bytes, read_text_file  # also this module's API
from .graph import RuleGraph, split_node
from .kbcache import cache_enabled, cache_key, read_cache, write_cache
from .location import Location, display_path
from .model import (
    Advice,
    AdviceKind,
    Choice,
    Deadline,
    Fact,
    FactType,
    KnowledgeBase,
    Rule,
    Source,
    SourceAuthority,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:  # a knowledge base read from the load cache needs no reader and no YAML parser
    from collections.abc import Callable, Mapping
    from typing import Any

    from .reader import YamlReader
    from .ruleloader import RuleReader
    from .yamlfile import Node

__all__ = [
    "ADVICE_FIELDS", "DEADLINE_FIELDS", "FACT_FIELDS", "SOURCE_FIELDS",
    "SOURCE_ID", "URL",  # noqa: F822 - compiled on first use (module __getattr__)
    "MAX_FILE_BYTES",
    "RESERVED_CHOICE_VALUES",
    "RESERVED_FACT_NAMES",
    "decode_text",
    "default_kb_path",
    "load_knowledge_base",
    "read_file_bytes",
    "read_text_file",
]

#: Names durable-rules gives a meaning of its own; a fact may not use them.
RESERVED_FACT_NAMES = frozenset({"id", "sid"})
#: Choice values `orderdoctor ask` reads as something else when typed, with what to do instead.
RESERVED_CHOICE_VALUES = {
    "unknown": "in 'ask' it means \"I don't know\"; name the choice for what it says (e.g. 'no_reason_given')",
    "idk": "in 'ask' it means \"I don't know\"; name the choice for what it says",
}


#: The fields of an item of each file (required, optional); :mod:`.schema` writes them into the
#: JSON Schemas editors use, so a field added here reaches the editors with `kb schema`.
SOURCE_FIELDS = (("id", "title"), ("file", "url", "authority"))
FACT_FIELDS = (("name", "type", "description"), ("values", "min", "max", "derived", "question", "help"))
ADVICE_FIELDS = (("id", "kind", "title", "text", "source"),
                 ("replaces", "deadline", "incompatible_with", "requires", "urgent_within"))
DEADLINE_FIELDS = (("days_from",), ("plus",))
#: A source id: lower-case words joined by '-' (or '_'); a source's web address.
#: (compiled on first use, from :data:`_PATTERNS`: a load from the cache never needs them)
_PATTERNS = {"SOURCE_ID": r"^[a-z0-9][a-z0-9_-]*$", "URL": r"^https?://[^\s]+$"}


def __getattr__(name: str) -> Any:
    if name in _PATTERNS:
        import re

        compiled = globals()[name] = re.compile(_PATTERNS[name])
        return compiled
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _pattern(name: str) -> Any:
    return globals().get(name) or __getattr__(name)


def default_kb_path() -> Path:
    """The knowledge base shipped with orderdoctor (``kb/`` beside the engine package)."""
    return Path(__file__).resolve().parent.parent / "kb"


def load_knowledge_base(path: Path | str | None = None, *, cache: bool | None = None) -> KnowledgeBase:
    """Load and validate the knowledge base in folder ``path`` (default: the shipped one).

    Raises :class:`KnowledgeBaseErrors` holding every problem found. Every file is read through
    :func:`read_file_bytes`: at most :data:`MAX_FILE_BYTES`, and a link, folder, device or FIFO
    inside the knowledge base is refused before anything reads it.

    A knowledge base that loaded without errors is kept in the load cache (a JSON snapshot, see
    :mod:`.snapshot` and :mod:`.kbcache`) and rebuilt from it while none of its files changed: the
    same hash (BLAKE2b) of every file the loader reads, the same list of rule files, and the same engine
    sources. The snapshot is signed with a secret only this user can read, so a cache file
    written by anyone else is never believed (see :func:`.kbcache.read_cache`). ``cache=False``
    (or ``ORDERDOCTOR_CACHE=off`` in the environment) always reads the files;
    ``ORDERDOCTOR_CACHE_DIR`` moves the cache (default ``$XDG_CACHE_HOME/orderdoctor``).
    """
    root = Path(path) if path is not None else default_kb_path()
    if cache is None:
        cache = cache_enabled()
    # The cyclic garbage collector is paused while the knowledge base is built: loading
    # allocates hundreds of thousands of objects and frees almost none, and each full collection
    # walks all of them (a 10,000-rule kb loaded twice as slowly, and the cost grew faster than
    # the kb). Nothing cyclic is lost: the collector, resumed, finds it at its next run.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(root, cache)
    finally:
        if collecting:
            gc.enable()


def _load(root: Path, cache: bool) -> KnowledgeBase:
    """:func:`load_knowledge_base` once the folder and the use of the cache are known."""
    contents: dict[Path, bytes] = {}
    key = cache_key(root, _kb_files, contents) if cache else None
    if key is not None:
        kb = read_cache(root, key)
        if kb is not None:
            return kb
    loader = _Loader(root, contents)
    kb = loader.load()
    if key is not None and not loader.reader.contents and not loader.reader.read_unkeyed:
        # only when the loader read exactly the files the key hashed: a file that vanished or
        # appeared in between (an editor's save, a checkout) must not be cached under this key
        write_cache(kb, key)
    return kb


# ------------------------------------------------------------------ the folder
_KB_FILES = ("sources.yaml", "facts.yaml", "advice.yaml")


def _rule_files(root: Path) -> list[Path] | None:
    """The rule files of ``root`` in reading order; None when there is no ``rules`` folder.

    A ``rules`` that is a link or not a folder is refused (nothing in it is listed).
    """
    rule_dir = root / "rules"
    try:
        info = os.lstat(rule_dir)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _kb_error(rule_dir, f"cannot read the folder 'rules': {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise _kb_error(
            rule_dir, "the folder 'rules' is a symbolic link; links inside a knowledge base are not followed"
        )
    if not stat.S_ISDIR(info.st_mode):
        raise _kb_error(rule_dir, "'rules' must be a folder of rule files")
    try:
        with os.scandir(rule_dir) as entries:  # what rule_dir.glob("*.yaml") lists, without a pattern
            return sorted(rule_dir / entry.name for entry in entries if entry.name.endswith(".yaml"))
    except OSError as exc:
        raise _kb_error(rule_dir, f"cannot read the folder 'rules': {exc.strerror}") from None


def _kb_error(path: Path, message: str) -> UnreadableKnowledgeBaseFileError:
    return UnreadableKnowledgeBaseFileError(Location(display_path(path)), message, name=str(path))


def _kb_files(root: Path) -> list[Path]:
    """Every file :class:`_Loader` reads for the knowledge base itself (those that exist)."""
    files = [root / name for name in _KB_FILES if os.path.lexists(root / name)]
    return files + (_rule_files(root) or [])


class _Loader:
    """Reads the files of one knowledge-base folder into a :class:`KnowledgeBase`."""

    def __init__(self, root: Path, contents: Mapping[Path, bytes] | None = None) -> None:
        from .reader import YamlReader
        from .ruleloader import RuleReader

        self.root = root
        self.reader: YamlReader = YamlReader(contents)
        self.errors = self.reader.errors
        #: the sources, facts and advice read so far, and the references to them
        self.refs: RuleReader = RuleReader(self.reader)
        #: where each id in an advice item's ``replaces`` / ``incompatible_with`` is written
        self.listed: dict[tuple[str, str, str], Location] = {}

    # ------------------------------------------------------------------ files
    def load(self) -> KnowledgeBase:
        self._check_folder()
        refs = self.refs
        refs.sources = self._load_list("sources.yaml", self._source, required=False)
        refs.facts = self._load_list("facts.yaml", self._fact, required=True)
        refs.advice = self._load_list("advice.yaml", self._advice, required=True)
        if refs.advice:
            refs.check_advice_references(refs.advice, self.listed)
        rules = self._rules()
        kb = KnowledgeBase.assemble(self.root, refs.facts or {}, refs.advice or {}, rules, refs.sources)
        if not self.errors:
            self._check_cycles(kb.graph, rules)
        self.reader.raise_errors()
        return kb

    def _check_folder(self) -> None:
        if not self.root.is_dir():
            if os.path.lexists(self.root):
                problem = "is a file, not a knowledge-base folder (give the folder that holds facts.yaml)"
            else:
                problem = f"knowledge base folder not found: {self.root}"
            where = Location(display_path(self.root))
            raise KnowledgeBaseErrors([SchemaError(where, problem, name=str(self.root))])

    def _parse(self, file: Path) -> Node | None:
        """Parse one file of the folder (links, devices and FIFOs refused; see :class:`YamlReader`)."""
        return self.reader.parse(file)

    def _rules(self) -> list[Rule]:
        rules: list[Rule] = []
        seen: dict[str, Location] = {}
        try:
            rule_files = _rule_files(self.root)
        except UnreadableKnowledgeBaseFileError as exc:
            self.errors.append(exc)
            rule_files = []
        if rule_files is None:
            where = Location(display_path(self.root))
            self.errors.append(SchemaError(where, "missing folder 'rules/' with the rule files"))
            return rules
        for file in rule_files:
            for node in self.reader.entries(self._parse(file), file, "rule"):
                rule = self.refs.rule(node, len(rules))
                if rule is not None and self.reader.first_definition(seen, "rule id", rule.id, rule.location):
                    rules.append(rule)
        return rules

    def _load_list(self, name: str, build: Callable[[Node], Any], *, required: bool) -> dict[str, Any] | None:
        file = self.root / name
        if not os.path.lexists(file):
            if required:
                self.errors.append(
                    SchemaError(Location(display_path(self.root)), f"missing file '{name}'")
                )
            return None
        before = len(self.errors)
        document = self._parse(file)
        if len(self.errors) > before and document is None:
            return None  # unreadable: checks against it would only add noise
        what = name.removesuffix(".yaml").rstrip("s") if name != "advice.yaml" else "advice item"
        items: dict[str, Any] = {}
        for node in self.reader.entries(document, file, what):
            item = build(node)
            if item is None:
                written = node.value.get("name" if name == "facts.yaml" else "id") if node.is_mapping else None
                if written is not None and isinstance(written.value, str):
                    self.refs.unbuilt[name].add(written.value)
                continue
            key = getattr(item, "name", None) or item.id
            if key in items:
                self.errors.append(
                    DuplicateIdError(
                        item.location,
                        f"duplicate {what} '{key}' (first defined at {items[key].location})",
                        name=key,
                    )
                )
                continue
            items[key] = item
        return items

    # ---------------------------------------------------------------- sources
    def _source(self, node: Node) -> Source | None:
        fields = self.reader.fields(node, "source", *SOURCE_FIELDS)
        if fields is None:
            return None
        source_id = self._identifier_like(fields["id"], "source id")
        title = self.reader.text(fields["title"], "title")
        file = self.reader.text(fields.get("file"), "file") if "file" in fields else None
        url = self.reader.text(fields.get("url"), "url") if "url" in fields else None
        if url is not None and not _pattern("URL").match(url):
            self.errors.append(
                SchemaError(fields["url"].location, f"url {url!r} must be a web address starting with https:// or http://")
            )
            return None
        authority = None
        if "authority" in fields:
            authority = self.reader.word(fields["authority"], SourceAuthority, "source authority")
            if authority is None:
                return None
        if source_id is None or title is None:
            return None
        return Source(source_id, title, node.location, file, url, authority)

    def _identifier_like(self, node: Node, what: str) -> str | None:
        value = node.value
        if not isinstance(value, str) or not _pattern("SOURCE_ID").match(value):
            self.errors.append(
                SchemaError(node.location, f"{what} {value!r} must be lower-case words joined by '-'")
            )
            return None
        return value

    # ------------------------------------------------------------------ facts
    def _fact(self, node: Node) -> Fact | None:
        fields = self.reader.fields(node, "fact", *FACT_FIELDS)
        if fields is None:
            return None
        name = self._fact_name(fields["name"])
        fact_type = self.reader.word(fields["type"], FactType, "fact type")
        if fact_type is None:
            return None
        description = self.reader.text(fields["description"], "description")
        derived = self.reader.boolean(fields.get("derived"), "derived")
        question = self.reader.text(fields.get("question"), "question")
        help_text = self.reader.text(fields.get("help"), "help")
        if derived and question is not None:
            self.errors.append(
                SchemaError(
                    fields["question"].location,
                    f"derived fact '{name}' is concluded by rules and cannot have a question",
                )
            )
        choices = self._fact_values(fields, node, fact_type, name)
        minimum, maximum = self._fact_bounds(fields, fact_type)
        if name is None or description is None:
            return None
        return Fact(
            name=name,
            type=fact_type,
            description=description,
            location=node.location,
            choices=choices,
            minimum=minimum,
            maximum=maximum,
            derived=bool(derived),
            question=question,
            help=help_text,
        )

    def _fact_name(self, node: Node) -> str | None:
        name = self.reader.identifier(node, "fact name")
        if name in RESERVED_FACT_NAMES:
            self.errors.append(
                SchemaError(
                    node.location,
                    f"fact name '{name}' is reserved by the rule engine; choose another",
                    name=name,
                )
            )
            return None
        return name

    def _fact_values(
        self, fields: dict[str, Node], node: Node, fact_type: FactType, name: str | None
    ) -> tuple[Choice, ...]:
        """The values of a choice fact (those refused noted: no cascade); other facts have none."""
        if fact_type is FactType.CHOICE:
            choices = self._choices(fields.get("values"), node)
            self.refs.note_refused_values(name, fields.get("values"), {c.value for c in choices})
            return choices
        if "values" in fields:
            self.errors.append(
                SchemaError(fields["values"].location, f"only choice facts have 'values'; this is {fact_type.value}")
            )
        return ()

    def _fact_bounds(self, fields: dict[str, Node], fact_type: FactType) -> tuple[int | None, int | None]:
        """``min`` and ``max`` of an integer fact; other facts have none."""
        if fact_type is not FactType.INTEGER:
            for key in ("min", "max"):
                if key in fields:
                    self.errors.append(
                        SchemaError(fields[key].location, f"only integer facts have '{key}'; this is {fact_type.value}")
                    )
            return None, None
        minimum = self.reader.whole_number(fields.get("min"), "min")
        maximum = self.reader.whole_number(fields.get("max"), "max")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.errors.append(
                ValueNotAllowedError(fields["min"].location, f"min {minimum} is larger than max {maximum}")
            )
        return minimum, maximum

    def _choices(self, node: Node | None, fact: Node) -> tuple[Choice, ...]:
        if node is None:
            self.errors.append(SchemaError(fact.location, "a choice fact needs 'values'"))
            return ()
        if node.is_list:
            pairs = [(item, None) for item in node.value]
        elif node.is_mapping:
            from .yamlfile import Node

            pairs = [(Node(key, node.key_locations[key]), value) for key, value in node.value.items()]
        else:
            self.errors.append(
                SchemaError(node.location, "'values' must be a list of values, or a mapping of value: help text")
            )
            return ()
        result: list[Choice] = []
        seen: set[str] = set()
        for value_node, help_node in pairs:
            value = self.reader.identifier(value_node, "choice value")
            help_text = self.reader.text(help_node, "help text") if help_node is not None else ""
            if value is None:
                continue
            if value in RESERVED_CHOICE_VALUES:
                message = f"choice value '{value}' is reserved: {RESERVED_CHOICE_VALUES[value]}"
                self.errors.append(SchemaError(value_node.location, message, name=value))
                continue
            if value in seen:
                message = f"duplicate choice value '{value}'"
                self.errors.append(DuplicateIdError(value_node.location, message, name=value))
                continue
            seen.add(value)
            result.append(Choice(value, help_text or ""))
        if not result and not [e for e in self.errors if e.location.file == node.location.file]:
            self.errors.append(SchemaError(node.location, "a choice fact needs at least one value"))
        return tuple(result)

    # ----------------------------------------------------------------- advice
    def _advice(self, node: Node) -> Advice | None:
        fields = self.reader.fields(node, "advice item", *ADVICE_FIELDS, misplaced=self.refs.misplaced("advice item"))
        if fields is None:
            return None
        advice_id = self.reader.identifier(fields["id"], "advice id")
        kind = self.reader.word(fields["kind"], AdviceKind, "advice kind")
        title = self.reader.text(fields["title"], "title")
        text = self.reader.text(fields["text"], "text")
        source = self.refs.source_ref(fields["source"])
        self._listed_at(advice_id, fields)
        replaces = self._advice_ids(fields, "replaces")
        deadline = self._deadline(fields["deadline"]) if "deadline" in fields else None
        incompatible = self._advice_ids(fields, "incompatible_with")
        requires = self.refs.condition(fields["requires"]) if "requires" in fields else None
        urgent_within = self._urgent_within(fields["urgent_within"]) if "urgent_within" in fields else None
        if ("urgent_within" in fields and urgent_within is None) or replaces is None or incompatible is None:
            return None
        if advice_id is None or kind is None or title is None or text is None or source is None:
            return None
        if ("deadline" in fields and deadline is None) or ("requires" in fields and requires is None):
            return None
        return Advice(
            advice_id,
            kind,
            title,
            text,
            source,
            node.location,
            tuple(replaces),
            deadline,
            tuple(incompatible),
            requires,
            urgent_within,
        )

    def _listed_at(self, advice_id: str | None, fields: dict[str, Node]) -> None:
        """Where each id of ``replaces``/``incompatible_with`` is written (an unknown one is reported there)."""
        for key in ("replaces", "incompatible_with"):
            if advice_id is not None and key in fields:
                items = fields[key].value if fields[key].is_list else [fields[key]]
                for item in items:
                    self.listed.setdefault((advice_id, key, str(item.value)), item.location)

    def _advice_ids(self, fields: dict[str, Node], key: str) -> list[str] | None:
        """The advice ids of the optional field ``key`` (none when it is absent)."""
        return self.reader.word_list(fields[key], key, "advice id") if key in fields else []

    def _urgent_within(self, node: Node) -> int | None:
        value = node.value
        if not is_integer(value) or not 0 <= value <= 365:
            self.errors.append(
                WrongTypeError(
                    node.location,
                    f"'urgent_within' must be a whole number of days from 0 to 365, not {value!r}",
                )
            )
            return None
        return int(value)

    def _deadline(self, node: Node) -> Deadline | None:
        """``deadline: {days_from: FACT, plus: N}`` with FACT an integer fact (a countdown)."""
        fields = self.reader.fields(node, "deadline", *DEADLINE_FIELDS, misplaced=self.refs.misplaced("deadline"))
        if fields is None:
            return None
        name_node = fields["days_from"]
        fact = self.refs.lookup_fact(str(name_node.value), name_node.location)
        if fact is None:
            return None
        if fact.type is not FactType.INTEGER:
            self.errors.append(
                WrongTypeError(
                    name_node.location,
                    f"a deadline counts days from an integer fact; '{fact.name}' is {fact.type.value}",
                )
            )
            return None
        offset = 0
        if "plus" in fields:
            if not is_integer(fields["plus"].value):
                self.errors.append(WrongTypeError(fields["plus"].location, "'plus' must be a whole number of days"))
                return None
            offset = fields["plus"].value
        return Deadline(fact.name, offset)

    # ----------------------------------------------------------------- cycles
    def _check_cycles(self, graph: RuleGraph, rules: list[Rule]) -> None:
        by_id = {rule.id: rule for rule in rules}
        for path in graph.cycles():
            words = " → ".join(split_node(n)[1] for n in path)
            first = by_id[split_node(path[0])[1]]
            self.errors.append(
                RuleCycleError(first.location, f"rules derive facts in a cycle: {words}", name=first.id)
            )
