"""Compiling a knowledge base to durable-rules' JSON, and planning its shards: pure data.

What :mod:`.backend` registers with durable's C engine is made here, without importing durable
(see the backend's docstring for how the shards are matched):

* :func:`compile_condition` — a condition as durable's expression: each comparison is compiled by
  its operator (:meth:`.operators.Operator.to_durable`), ``$and``/``$or`` for ``all``/``any``, and
  ``not`` pushed inwards (De Morgan) so that a test on an unknown fact never holds;
* :func:`compile_ruleset` — rules as one durable ruleset, rule N of the kb being ``rN`` with its
  marker ``_fN`` last in the pattern;
* :func:`plan_atoms` — every rule's condition as a conjunction of atoms (:mod:`.atoms`), with the
  generated, hash-checked property names of the atoms and the rules' markers;
* :func:`plan_shards` — the rules split into shards of at most :data:`SHARD_SIZE` rules and
  :data:`.atoms.PROPERTY_BUDGET` properties (ordered by derivation depth, then entry key), each
  compiled over atom flags (:func:`compile_shard`) with what the backend's scheduling needs:
  entry keys, the facts its rules read, and each rule's *requirements*.

:func:`compile_condition` and :func:`compile_ruleset` (fact names and values as they are) remain
for the naive durable peer of the benchmarks; the backend uses atoms.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from .entrykeys import Requirements, entry, entry_keys, keys_of, requirements
from .atoms import PROPERTY_BUDGET, RESERVED, Atom, Literal, conjuncts, fnv1a32, make_atom, property_names
from .model import AllOf, AnyOf, Comparison, Condition, KnowledgeBase, Not, Rule, Value, never

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "GREETING",
    "SHARD_SIZE",
    "AtomTable",
    "CompiledKnowledgeBase",
    "CompiledRuleset",
    "Requirements",
    "compile_condition",
    "compile_ruleset",
    "flag",
    "marker",
    "plan_atoms",
    "plan_shards",
    "join_shards",
]

#: The rule of every shard that only the backend's greeting fact matches: a session in which no
#: action ever ran cannot be deleted safely (``delete_state`` corrupts durable's heap), so the
#: backend runs this one first in each session.
GREETING = "hello"

#: What one fact's value makes hold (:meth:`CompiledKnowledgeBase.holding`): per shard, the
#: text in a state fact of the atoms that hold (their :func:`flag`\ s) and how many they are.
Holding = tuple[tuple[tuple[int, str, int], ...], tuple[tuple[int, tuple[Literal, ...]], ...]]

#: Values of one fact whose holding atoms are remembered (:meth:`CompiledKnowledgeBase.holding`).
MEMO_SIZE = 4096

#: Shard position → the positions of some of its rules, lowest first (an entry-key index).
Entered = tuple[tuple[int, tuple[int, ...]], ...]

#: A position past every rule's (knowledge bases hold far fewer rules).
NONE = 1 << 62


def compile_condition(condition: Condition, *, holds: bool = True) -> dict[str, Any]:
    """durable's expression that matches when ``condition`` holds (or, with
    ``holds=False``, when it is known to fail). A test on a missing property
    never matches in durable, which gives unknown facts their meaning."""
    match condition:
        case Comparison():
            return condition.operator.to_durable(condition.fact, condition.value, holds)
        case Not():
            return compile_condition(condition.condition, holds=not holds)
        case AllOf() | AnyOf():
            parts = [compile_condition(part, holds=holds) for part in condition.conditions]
            conjunction = isinstance(condition, AllOf) == holds
            return {"$and" if conjunction else "$or": parts}
        case _:  # pragma: no cover
            never(condition)


@dataclass(frozen=True)
class CompiledRuleset:
    """A knowledge base turned into one durable ruleset definition (pure data)."""

    name: str
    definition: Mapping[str, Any]
    rules: Mapping[str, Rule]
    markers: Mapping[str, str]
    #: Fact → values: every rule of the shard requires one of these facts to be known and have
    #: one of its values (its *entry key*; None values: any value); None when some rule has no
    #: such requirement.
    entry: Mapping[str, frozenset[Value] | None] | None = None
    #: The facts the shard's rules read.
    reads: frozenset[str] = frozenset()
    #: Fact → the kb positions of the shard's rules that read it, lowest first.
    readers: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    #: The lowest kb position of the shard's rules.
    lowest: int = NONE
    #: Position → what the rule there requires of the facts to be able to fire.
    requires: Mapping[int, Requirements] = field(default_factory=dict)
    #: The atoms (:mod:`.atoms`) the shard's rules test, by number in the :class:`AtomTable`.
    atoms: tuple[int, ...] = ()
    #: Position → the property that marks the rule there as found ready.
    marks: Mapping[int, str] = field(default_factory=dict)
    #: The property of the fact that greets a new session (:data:`GREETING`).
    greeting: str = ""
    #: Rule key → its kb position and its marker's :func:`flag` text.
    flags: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    #: Position → the entry key of the rule there (when ``entry`` is not None).
    keys: Mapping[int, tuple[str, frozenset[Value] | None]] = field(default_factory=dict)

    def may_match(self, known: Mapping[str, Value]) -> bool:
        """False when no rule of the shard can fire on ``known``: each requires a fact to have a
        value it has not (or does not have yet — a test on an unknown fact never holds)."""
        entry = self.entry
        if entry is None:
            return True
        return any(fact in known and (values is None or known[fact] in values) for fact, values in entry.items())


#: Rules per durable ruleset. One fact may match at most 64 sibling tests in durable-rules
#: (error 303) and a ruleset holds at most 4,096 rules: larger knowledge bases are split into
#: shards of this many rules.
SHARD_SIZE = 64


@dataclass(frozen=True)
class CompiledKnowledgeBase:
    """A knowledge base compiled to one or more durable rulesets (shards)."""

    shards: tuple[CompiledRuleset, ...]
    #: Fact → the positions (in ``shards``) of the shards whose rules read it.
    shards_reading: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    #: The atoms the shards' rules test.
    table: AtomTable | None = None
    #: Atom number → the positions of the shards whose rules test it.
    atom_shards: tuple[tuple[int, ...], ...] = ()
    #: Fact → its value → what :meth:`holding` says of it (filled as values are seen).
    seen: dict[str, dict[Value, Holding]] = field(default_factory=dict)
    #: Fact → (the position of the first rule reading it, shard position) for each shard reading it.
    first_readers: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    #: Fact → value → (shard position, the positions of its rules whose entry key that value
    #: passes, lowest first); ``entered_by_any`` the same for entry keys on any value.
    entered_by: Mapping[str, Mapping[Value, Entered]] = field(default_factory=dict)
    entered_by_any: Mapping[str, Entered] = field(default_factory=dict)
    #: Shard position → its lowest rule, for the shards matched on any facts (no entry key).
    unkeyed: Mapping[int, int] = field(default_factory=dict)

    def candidates(self, known: Mapping[str, Value]) -> dict[int, int]:
        """Shard position → the position of its first rule that may fire on ``known`` (its entry
        key and every requirement hold: :func:`plan_shards`), for the shards that have one; a
        shard with no entry key at its first rule. Only a necessary condition: durable matches."""
        best = dict(self.unkeyed)
        shards, entered_by, entered_by_any = self.shards, self.entered_by, self.entered_by_any
        for fact, value in known.items():
            by_value = entered_by.get(fact)
            for group in (by_value.get(value, ()) if by_value else (), entered_by_any.get(fact, ())):
                for number, positions in group:
                    bound = best.get(number, NONE)
                    requires = shards[number].requires
                    for position in positions:
                        if position >= bound:
                            break
                        for name, test in requires[position]:
                            if name not in known or (test is not None and not test(known[name])):
                                break
                        else:
                            best[number] = position
                            break
        return best

    def holding(self, fact: str, value: Value) -> Holding:
        """What ``fact`` having ``value`` makes hold: for each shard position, the properties
        (with their :func:`flag` text) of the comparison atoms on the fact that hold; and the group atoms one of
        whose comparisons on the fact it makes hold (they may hold now). Worked out once per
        value (at most :data:`MEMO_SIZE` values kept per fact)."""
        values = self.seen.get(fact)
        if values is None:
            values = self.seen[fact] = {}
        found = values.get(value)
        if found is None:
            found = self._holding(fact, value)
            if len(values) < MEMO_SIZE:
                values[value] = found
        return found

    def _holding(self, fact: str, value: Value) -> Holding:
        table = self.table
        assert table is not None
        names, shards = table.names, self.atom_shards
        targets: dict[int, dict[str, str]] = {}
        later: list[tuple[int, tuple[Literal, ...]]] = []
        for number in table.reading.get(fact, ()):
            atom = table.atoms[number]
            if atom.passes is not None:
                holds = atom.passes(value) == atom.holds
            elif atom.dnf is None:  # a big group: tested whole once one of its literals holds
                holds = False
                if any(name == fact and passes(value) == must for name, passes, must in atom.literals):
                    later.append((number, atom.literals[:0]))
            else:  # holds if a disjunct does: those on other facts too are checked then
                holds = False
                for conjunction in atom.dnf:
                    if not all(passes(value) == must for name, passes, must in conjunction if name == fact):
                        continue
                    if any(name == fact for name, _, _ in conjunction):
                        rest = tuple(literal for literal in conjunction if literal[0] != fact)
                        if not rest:
                            holds = True
                            break
                        later.append((number, rest))
            if holds:
                for position in shards[number]:
                    targets.setdefault(position, {})[names[number]] = flag(names[number])
        texts = tuple((position, "".join(flags.values()), len(flags)) for position, flags in targets.items())
        return texts, tuple(later)

    @property
    def name(self) -> str:
        return self.shards[0].name

    @property
    def rules(self) -> Mapping[str, Rule]:
        return {key: rule for shard in self.shards for key, rule in shard.rules.items()}

    @property
    def definition(self) -> Mapping[str, Any]:
        return {key: rule for shard in self.shards for key, rule in shard.definition.items()}

    @property
    def markers(self) -> Mapping[str, str]:
        return {key: marker for shard in self.shards for key, marker in shard.markers.items()}


def flag(name: str) -> str:
    """The text of property ``name`` set (to ``1``) in a state fact's JSON, after the ``sid``:
    the backend writes a state fact by joining these (generated names need no escaping)."""
    return f',"{name}":1'


def marker(index: int) -> str:
    """The property that marks rule ``index`` as found ready in a state fact (rule N is ``rN``)."""
    return f"_f{index}"


def compile_ruleset(
    kb: KnowledgeBase, name: str, indices: range | None = None
) -> CompiledRuleset:
    """Compile the rules of ``kb`` (or those at ``indices`` in ``kb.rules``) to one durable
    ruleset definition; rule N of the kb is ``rN``, with priority N+1."""
    definition: dict[str, Any] = {}
    rules: dict[str, Rule] = {}
    markers: dict[str, str] = {}
    indices = indices if indices is not None else range(len(kb.rules))
    for index in indices:
        rule = kb.rules[index]
        key = f"r{index}"
        flag = marker(index)
        pattern = {"$and": [compile_condition(rule.when), {"$nex": {flag: 1}}]}
        definition[key] = {"all": [{"m": pattern}], "pri": index + 1}
        rules[key] = rule
        markers[key] = flag
    return CompiledRuleset(name, definition, rules, markers)


def _derivations(kb: KnowledgeBase) -> tuple[dict[str, list[int]], list[list[str]], dict[str, list[int]]]:
    """The rules deriving each fact, the derived facts each rule reads, the rules reading each."""
    deriving: dict[str, list[int]] = {}
    for index, rule in enumerate(kb.rules):
        for name in dict(rule.derive):
            deriving.setdefault(name, []).append(index)
    inputs = [[name for name in dict.fromkeys(rule.reads) if name in deriving] for rule in kb.rules]
    readers: dict[str, list[int]] = {}
    for index, names in enumerate(inputs):
        for name in names:
            readers.setdefault(name, []).append(index)
    return deriving, inputs, readers


def _rule_depths(kb: KnowledgeBase) -> list[int]:
    """Each rule's derivation depth: 0 when it reads no fact a rule derives, else one more than
    the deepest rule deriving a fact it reads. One pass in topological order (Kahn's algorithm
    over rules and the derived facts between them): linear in the size of the kb. Rules in a
    cycle (a load error; possible only in a kb built in memory) come last, in the kb's order,
    counting only the facts already worked out."""
    deriving, inputs, readers = _derivations(kb)
    waiting_rule = [len(names) for names in inputs]
    waiting_fact = {name: len(at) for name, at in deriving.items()}
    fact_depth: dict[str, int] = {}
    depths: list[int | None] = [None] * len(kb.rules)
    ready = [index for index, count in enumerate(waiting_rule) if count == 0]
    while ready:
        index = ready.pop()
        depths[index] = depth = 1 + max((fact_depth[name] for name in inputs[index]), default=-1)
        for name in dict(kb.rules[index].derive):
            fact_depth[name] = max(fact_depth.get(name, -1), depth)
            waiting_fact[name] -= 1
            if waiting_fact[name] == 0:
                for reader in readers.get(name, ()):
                    waiting_rule[reader] -= 1
                    if waiting_rule[reader] == 0:
                        ready.append(reader)
    for index, known in enumerate(depths):  # only rules in a cycle are left
        if known is None:
            depths[index] = depth = 1 + max((fact_depth.get(name, -1) for name in inputs[index]), default=-1)
            for name in dict(kb.rules[index].derive):
                fact_depth[name] = max(fact_depth.get(name, -1), depth)
    return depths  # type: ignore[return-value]


def _shard_order(kb: KnowledgeBase) -> list[int]:
    """Rule indices ordered by derivation depth, then by entry key, then the kb's order: the
    rules of a shard share their entry keys (more shards skipped) and read facts derived at
    about the same time (fewer matches)."""
    depths = _rule_depths(kb)

    def order_key(index: int) -> tuple[str, str]:
        key = keys_of(kb)[index]
        if key is None:
            return ("~", "")
        fact, values = key
        return (fact, "*" if values is None else ",".join(sorted(map(str, values))))

    return sorted(range(len(kb.rules)), key=lambda i: (depths[i], order_key(i), i))


@dataclass(frozen=True)
class AtomTable:
    """The atoms (:mod:`.atoms`) a knowledge base's rules test, and the property names durable
    knows them and the rules' markers by (no two with the same FNV-1a-32 hash, none that of
    ``sid`` or ``id``)."""

    atoms: tuple[Atom, ...]
    #: Atom number → its property name.
    names: tuple[str, ...]
    #: Rule position → the atoms its condition is the conjunction of.
    rule_atoms: tuple[tuple[int, ...], ...]
    #: Rule position → the property that marks it as found ready.
    markers: tuple[str, ...]
    #: Fact → the atoms that read it.
    reading: Mapping[str, tuple[int, ...]]
    #: The property of the fact that greets a new session (:data:`GREETING`).
    hello: str = "h0"


def plan_atoms(kb: KnowledgeBase) -> AtomTable:
    """Split every rule of ``kb`` into atoms (equal ones shared) and name atoms and markers."""
    numbers: dict[object, int] = {}
    atoms: list[Atom] = []
    rule_atoms: list[tuple[int, ...]] = []
    for rule in kb.rules:
        own: list[int] = []
        for conjunct in conjuncts(rule):
            atom = make_atom(conjunct)
            number = numbers.get(atom.key)
            if number is None:
                number = numbers[atom.key] = len(atoms)
                atoms.append(atom)
            own.append(number)
        rule_atoms.append(tuple(dict.fromkeys(own)))
    taken = {fnv1a32(name) for name in RESERVED}
    atom_names = property_names("a", taken)
    marker_names = property_names("m", taken)
    reading: dict[str, list[int]] = {}
    for number, atom in enumerate(atoms):
        for fact in atom.reads:
            reading.setdefault(fact, []).append(number)
    return AtomTable(
        tuple(atoms),
        tuple(next(atom_names) for _ in atoms),
        tuple(rule_atoms),
        tuple(next(marker_names) for _ in kb.rules),
        MappingProxyType({fact: tuple(at) for fact, at in reading.items()}),
        next(property_names("h", taken)),
    )


def compile_shard(kb: KnowledgeBase, name: str, indices: list[int], table: AtomTable) -> CompiledRuleset:
    """The rules of ``kb`` at ``indices`` as one durable ruleset over atom flags: rule N is
    ``rN``, priority N+1, a conjunction of its atoms' flags with its marker's absence last."""
    definition: dict[str, Any] = {}
    rules: dict[str, Rule] = {}
    markers: dict[str, str] = {}
    used: dict[int, None] = {}
    for index in indices:
        key = f"r{index}"
        tests: list[dict[str, Any]] = [{table.names[atom]: 1} for atom in table.rule_atoms[index]]
        tests.append({"$nex": {table.markers[index]: 1}})
        definition[key] = {"all": [{"m": {"$and": tests}}], "pri": index + 1}
        rules[key] = kb.rules[index]
        markers[key] = table.markers[index]
        used.update(dict.fromkeys(table.rule_atoms[index]))
    definition[GREETING] = {"all": [{"m": {table.hello: 1}}], "pri": 0}
    return CompiledRuleset(
        name, definition, rules, markers,
        atoms=tuple(used), marks=MappingProxyType({index: table.markers[index] for index in indices}),
        greeting=table.hello,
        flags={f"r{index}": (index, flag(table.markers[index])) for index in indices},
    )


def _groups(kb: KnowledgeBase, table: AtomTable) -> list[list[int]]:
    """The rules' positions cut into shards: at most :data:`SHARD_SIZE` rules, and at most
    :data:`.atoms.PROPERTY_BUDGET` atoms and markers (and ``sid``) in one state fact."""
    atoms_used = {atom for own in table.rule_atoms for atom in own}
    if len(kb.rules) <= SHARD_SIZE and len(atoms_used) + len(kb.rules) + 1 <= PROPERTY_BUDGET:
        return [list(range(len(kb.rules)))]
    groups: list[list[int]] = [[]]
    seen: set[int] = set()
    for index in _shard_order(kb):
        own = table.rule_atoms[index]
        group = groups[-1]
        if group and (
            len(group) >= SHARD_SIZE or len(seen.union(own)) + len(group) + 2 > PROPERTY_BUDGET
        ):
            groups.append(group := [])
            seen = set()
        group.append(index)
        seen.update(own)
    return groups


def plan_shards(
    kb: KnowledgeBase, names: Iterator[str], table: AtomTable | None = None
) -> Iterator[CompiledRuleset]:
    """The shards of ``kb`` (one when its rules fit in one), compiled over the atoms of
    ``table`` (:func:`plan_atoms`), each named by the next of ``names`` as it is made, with what
    the backend schedules by."""
    table = table if table is not None else plan_atoms(kb)
    groups = _groups(kb, table)
    sharded = len(groups) > 1
    for group in groups:
        indices = sorted(group)
        compiled = compile_shard(kb, next(names), indices, table)
        readers: dict[str, list[int]] = {}
        for index in indices:  # ascending
            for name in kb.rules[index].reads:
                readers.setdefault(name, []).append(index)
        yield replace(
            compiled,
            entry=entry(kb, indices) if sharded else None,
            keys=entry_keys(kb, indices) if sharded else {},
            reads=frozenset(readers),
            readers=MappingProxyType({name: tuple(at) for name, at in readers.items()}),
            lowest=indices[0] if indices else NONE,
            requires={index: _given_first(kb, requirements(kb.rules[index])) for index in indices},
        )


def _given_first(kb: KnowledgeBase, required: Requirements) -> Requirements:
    """``required`` with the requirements on facts the user gives first: a shard is looked at
    again when a fact is derived, and its rules' requirements on given facts fail most often."""
    return tuple(sorted(required, key=lambda requirement: kb.facts[requirement[0]].derived))


def join_shards(shards: tuple[CompiledRuleset, ...], table: AtomTable | None = None) -> CompiledKnowledgeBase:
    """The compiled knowledge base of ``shards``, with which shards read each fact and test
    each atom of ``table``."""
    reading: dict[str, list[int]] = {}
    testing: list[list[int]] = [[] for _ in table.atoms] if table is not None else []
    entered_by: dict[str, dict[Value, dict[int, list[int]]]] = {}
    entered_by_any: dict[str, dict[int, list[int]]] = {}
    unkeyed: dict[int, int] = {}
    for position, shard in enumerate(shards):
        for name in shard.reads:
            reading.setdefault(name, []).append(position)
        for atom in shard.atoms:
            testing[atom].append(position)
        if shard.entry is None:
            unkeyed[position] = shard.lowest
            continue
        for rule, (name, values) in shard.keys.items():
            if values is None:
                entered_by_any.setdefault(name, {}).setdefault(position, []).append(rule)
            else:
                for value in values:
                    entered_by.setdefault(name, {}).setdefault(value, {}).setdefault(position, []).append(rule)
    return CompiledKnowledgeBase(
        shards,
        MappingProxyType({name: tuple(at) for name, at in reading.items()}),
        table,
        tuple(tuple(at) for at in testing),
        first_readers=MappingProxyType({
            name: tuple((shards[position].readers[name][0], position) for position in at)
            for name, at in reading.items()
        }),
        entered_by=MappingProxyType({
            name: {value: _entered(at) for value, at in by_value.items()} for name, by_value in entered_by.items()
        }),
        entered_by_any=MappingProxyType({name: _entered(at) for name, at in entered_by_any.items()}),
        unkeyed=MappingProxyType(unkeyed),
    )


def _entered(rules: dict[int, list[int]]) -> Entered:
    return tuple((shard, tuple(sorted(positions))) for shard, positions in rules.items())
