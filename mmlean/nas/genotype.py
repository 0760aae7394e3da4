"""DARTS genotypes <-> mmrazor ``fix_subnet`` dicts, with the released BNAS cell.

A genotype is the DARTS/BNAS cell format (DARTS ``cnn/genotypes.py``; BNAS
official code github.com/bczhangbczhang/BNAS, ``utils/genotypes_x.py``)::

    Genotype(normal=[(op, input), (op, input), ...],   # two edges per node
             normal_concat=[2, 3, 4, 5],
             reduce=[...], reduce_concat=[2, 3, 4, 5])

Inputs 0 and 1 are the cell inputs ``c_{k-2}`` and ``c_{k-1}``; node ``j``
(0-based) is state ``2 + j`` and takes inputs ``< 2 + j``. DARTS writes the
edges as one flat list (node ``j`` = entries ``2j, 2j + 1``); the BNAS code
nests them (one ``[(op, input), (op, input)]`` list per node); both are read,
flat is written.

An mmrazor ``fix_subnet`` (what ``export_fix_subnet`` dumps and
``sub_model``/``load_fix_subnet`` read for ``DartsBackbone``) keys the node
routes ``{cell}_n{d}`` (``d = 2 + j``) with the chosen input edges
``[f'{cell}_n{d}_p{i}', ...]`` and the edge ops ``{cell}_n{d}_p{i}`` with
``[op]``. Op names are the same except DARTS's ``none`` = mmrazor's ``zero``.
mmrazor's cell concatenates all intermediate nodes and holds one op per edge,
so the concat must be ``[2, ..., 1 + num_nodes]`` and the two edges of a node
must come from different inputs.
"""
import ast
import json
import os.path as osp
from collections import namedtuple
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

Genotype = namedtuple('Genotype', 'normal normal_concat reduce reduce_concat')

#: the BNAS operation space, in the official order (``utils/genotypes_x.py``)
PRIMITIVES = ('max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5',
              'dil_conv_3x3', 'dil_conv_5x5', 'none')
#: genotype op name -> mmrazor candidate name (the others are identical)
TO_MMRAZOR = {'none': 'zero'}
FROM_MMRAZOR = {v: k for k, v in TO_MMRAZOR.items()}
CELLS = ('normal', 'reduce')
EDGES_PER_NODE = 2

#: the released BNAS XNOR cell (official ``utils/genotypes_x.py``, ``BNAS_XNOR_1``; both
#: released checkpoints, C=36 and the "larger" C=44, use it)
BNAS_XNOR_1 = Genotype(
    normal=[('skip_connect', 1), ('dil_conv_3x3', 0),
            ('skip_connect', 0), ('dil_conv_5x5', 2),
            ('max_pool_3x3', 1), ('max_pool_3x3', 0),
            ('dil_conv_5x5', 4), ('sep_conv_3x3', 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[('sep_conv_3x3', 1), ('dil_conv_5x5', 0),
            ('skip_connect', 1), ('max_pool_3x3', 2),
            ('dil_conv_5x5', 0), ('avg_pool_3x3', 3),
            ('skip_connect', 2), ('dil_conv_3x3', 4)],
    reduce_concat=[2, 3, 4, 5])

GENOTYPES = {'BNAS_XNOR_1': BNAS_XNOR_1}
#: where each genotype comes from (written into the YAML headers)
GENOTYPE_SOURCES = {
    'BNAS_XNOR_1': 'the released BNAS XNOR cell: BNAS (AAAI 2020, arXiv 1911.10862), official '
                   'code github.com/bczhangbczhang/BNAS, utils/genotypes_x.py',
}


class GenotypeError(ValueError):
    """A genotype or fix_subnet is malformed; the message names the field."""


# --- validation ---------------------------------------------------------------------------
def _edges(cell: str, value: Any) -> List[Tuple[str, int]]:
    """Flatten nested edges, check pairs and the count; returns ``[(op, input), ...]``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise GenotypeError(f'{cell}: expected a list of (op, input) edges, got {value!r}')
    nested = bool(value) and all(
        isinstance(v, Sequence) and not isinstance(v, str) and len(v) > 0
        and all(isinstance(e, Sequence) and not isinstance(e, str) for e in v) for v in value)
    if nested:
        for j, node in enumerate(value):
            if len(node) != EDGES_PER_NODE:
                raise GenotypeError(f'{cell}: node {j} has {len(node)} edges; each node takes '
                                    f'exactly {EDGES_PER_NODE}')
        value = [e for node in value for e in node]
    edges = []
    for k, edge in enumerate(value):
        if (isinstance(edge, (str, bytes)) or not isinstance(edge, Sequence)
                or len(edge) != 2):
            raise GenotypeError(f'{cell}[{k}]: an edge is (op, input), got {edge!r}')
        edges.append((edge[0], edge[1]))
    if not edges or len(edges) % EDGES_PER_NODE:
        raise GenotypeError(f'{cell}: {len(edges)} edges; each node takes exactly '
                            f'{EDGES_PER_NODE} (flat lists have 2 entries per node)')
    return edges


def validate_genotype(genotype: Any,
                      primitives: Optional[Iterable[str]] = PRIMITIVES) -> Genotype:
    """Check a genotype and return it normalized (flat edges, concat lists).

    Accepts a :class:`Genotype` (or any object with its four fields) or a dict
    with the four keys; edges flat or nested per node, concat a list or range.

    Raises:
        GenotypeError: unknown op, a node without exactly two edges, an input
            index that is not an earlier state, two edges of one node from
            the same input, or a concat other than all intermediate nodes.
    """
    primitives = None if primitives is None else tuple(primitives)
    if isinstance(genotype, dict):
        missing = [k for k in Genotype._fields if k not in genotype]
        if missing:
            raise GenotypeError(f'genotype: missing keys {missing} (needs {Genotype._fields})')
        get = genotype.__getitem__
    else:
        if not all(hasattr(genotype, k) for k in Genotype._fields):
            raise GenotypeError(f'genotype: expected a Genotype or a dict with keys '
                                f'{Genotype._fields}, got {type(genotype).__name__}')
        get = lambda k: getattr(genotype, k)  # noqa: E731
    fields = {}
    num_nodes = None
    for cell in CELLS:
        edges = _edges(cell, get(cell))
        n = len(edges) // EDGES_PER_NODE
        if num_nodes is not None and n != num_nodes:
            raise GenotypeError(f'reduce: {n} nodes but normal has {num_nodes}')
        num_nodes = n
        for k, (op, index) in enumerate(edges):
            node = k // EDGES_PER_NODE
            if not isinstance(op, str) or (primitives is not None and op not in primitives):
                hint = (f" (the genotype name of mmrazor's {op!r} is "
                        f"{FROM_MMRAZOR[op]!r})" if op in FROM_MMRAZOR else '')
                known = 'a string' if primitives is None else list(primitives)
                raise GenotypeError(f'{cell}: node {node}: unknown op {op!r}{hint}; '
                                    f'known: {known}')
            if isinstance(index, bool) or not isinstance(index, int):
                raise GenotypeError(f'{cell}: node {node}: input index must be an int, '
                                    f'got {index!r}')
            if not 0 <= index < 2 + node:
                raise GenotypeError(f'{cell}: node {node} (state {2 + node}): input index '
                                    f'{index} out of range; inputs are 0, 1 (cell inputs) '
                                    f'and earlier nodes 2..{1 + node}')
        for node in range(n):
            pair = edges[EDGES_PER_NODE * node:EDGES_PER_NODE * (node + 1)]
            if len({i for _, i in pair}) != len(pair):
                raise GenotypeError(f'{cell}: node {node}: both edges come from input '
                                    f'{pair[0][1]}; a DARTS cell has one op per edge')
        concat = get(f'{cell}_concat')
        try:
            concat = [int(i) for i in concat]
        except (TypeError, ValueError):
            raise GenotypeError(f'{cell}_concat: expected a list of ints, got '
                                f'{concat!r}') from None
        if concat != list(range(2, 2 + n)):
            raise GenotypeError(f'{cell}_concat: {concat}; mmrazor cells concatenate all '
                                f'intermediate nodes, {list(range(2, 2 + n))}')
        fields[cell], fields[f'{cell}_concat'] = edges, concat
    return Genotype(**fields)


# --- genotype <-> fix_subnet --------------------------------------------------------------
def genotype_to_subnet(genotype: Any, primitives: Iterable[str] = PRIMITIVES) -> Dict:
    """The mmrazor ``fix_subnet`` dict (``{alias: {'chosen': [...]}}``) of a genotype.

    Only the kept edges get an op entry (``load_fix_subnet`` drops the other
    edges with their route before it reaches them).
    """
    genotype = validate_genotype(genotype, primitives)
    subnet = {}
    for cell in CELLS:
        edges = getattr(genotype, cell)
        for node in range(len(edges) // EDGES_PER_NODE):
            route = f'{cell}_n{node + 2}'
            chosen = []
            for op, index in edges[EDGES_PER_NODE * node:EDGES_PER_NODE * (node + 1)]:
                alias = f'{route}_p{index}'
                chosen.append(alias)
                subnet[alias] = dict(chosen=[TO_MMRAZOR.get(op, op)])
            subnet[route] = dict(chosen=chosen)
    return dict(sorted(subnet.items()))


def _chosen(subnet: Dict, key: str) -> List[str]:
    if key not in subnet:
        raise GenotypeError(f'fix_subnet: no entry {key!r}')
    value = subnet[key]
    chosen = value.get('chosen') if isinstance(value, dict) else getattr(value, 'chosen', None)
    if isinstance(chosen, str):
        chosen = [chosen]
    if not isinstance(chosen, (list, tuple)) or not all(isinstance(c, str) for c in chosen):
        raise GenotypeError(f'fix_subnet[{key!r}]: expected {{chosen: [names]}}, got {value!r}')
    return list(chosen)


def subnet_to_genotype(subnet: Dict, primitives: Iterable[str] = PRIMITIVES) -> Genotype:
    """The genotype of an mmrazor ``fix_subnet`` dict (inverse of :func:`genotype_to_subnet`).

    Entries of edges that no route keeps (``export_fix_subnet`` dumps all
    edges) are ignored.
    """
    if not isinstance(subnet, dict):
        raise GenotypeError(f'fix_subnet: expected a dict, got {type(subnet).__name__}')
    fields = {}
    for cell in CELLS:
        routes = sorted((int(k[len(cell) + 2:]), k) for k in subnet
                        if k.startswith(f'{cell}_n') and k[len(cell) + 2:].isdigit())
        if not routes:
            raise GenotypeError(f'fix_subnet: no {cell} node routes ({cell}_n2, {cell}_n3, ...)')
        depths = [d for d, _ in routes]
        if depths != list(range(2, 2 + len(routes))):
            raise GenotypeError(f'fix_subnet: {cell} node routes {[k for _, k in routes]}; '
                                f'expected {cell}_n2..{cell}_n{1 + len(routes)}')
        edges = []
        for depth, route in routes:
            chosen = _chosen(subnet, route)
            if len(chosen) != EDGES_PER_NODE:
                raise GenotypeError(f'fix_subnet[{route!r}]: {len(chosen)} chosen edges; each '
                                    f'node takes exactly {EDGES_PER_NODE}')
            for alias in chosen:
                prefix = f'{route}_p'
                if not (alias.startswith(prefix) and alias[len(prefix):].isdigit()):
                    raise GenotypeError(f'fix_subnet[{route!r}]: chosen edge {alias!r} is not '
                                        f'{prefix}<input>')
                ops = _chosen(subnet, alias)
                if len(ops) != 1:
                    raise GenotypeError(f'fix_subnet[{alias!r}]: {len(ops)} ops chosen; an '
                                        f'edge keeps exactly one')
                op = FROM_MMRAZOR.get(ops[0], ops[0])
                if ops[0] in TO_MMRAZOR:  # a genotype name where mmrazor has its own
                    raise GenotypeError(f'fix_subnet[{alias!r}]: op {ops[0]!r} is written '
                                        f'{TO_MMRAZOR[ops[0]]!r} in mmrazor')
                edges.append((op, int(alias[len(prefix):])))
        fields[cell] = edges
        fields[f'{cell}_concat'] = list(range(2, 2 + len(routes)))
    return validate_genotype(Genotype(**fields), primitives)


# --- text formats -------------------------------------------------------------------------
def _literal(node: ast.AST) -> Any:
    """``ast.literal_eval`` plus ``range(a, b)`` (the DARTS concat); nothing is executed."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'range' and not node.keywords):
        return list(range(*[_literal(a) for a in node.args]))
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e) for e in node.elts]
    return ast.literal_eval(node)


def genotype_from_string(text: str, primitives: Iterable[str] = PRIMITIVES) -> Genotype:
    """Parse ``"Genotype(normal=[...], normal_concat=range(2, 6), ...)"`` (no ``eval``).

    Also accepts a JSON object with the four keys and the name of a
    genotype in :data:`GENOTYPES`.
    """
    text = text.strip()
    if text in GENOTYPES:
        return validate_genotype(GENOTYPES[text], primitives)
    if text.startswith('{'):
        try:
            return validate_genotype(json.loads(text), primitives)
        except json.JSONDecodeError as err:
            raise GenotypeError(f'genotype JSON: {err}') from None
    try:
        node = ast.parse(text, mode='eval').body
    except SyntaxError as err:
        raise GenotypeError(f'cannot parse the genotype: {err.msg} (line {err.lineno}); '
                            f'expected Genotype(normal=..., normal_concat=..., reduce=..., '
                            f'reduce_concat=...), a JSON object or one of '
                            f'{sorted(GENOTYPES)}') from None
    if not (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
            and getattr(node.func, 'id', getattr(node.func, 'attr', None)) == 'Genotype'):
        raise GenotypeError('cannot parse the genotype: expected a Genotype(...) call, a JSON '
                            f'object or one of {sorted(GENOTYPES)}')
    if len(node.args) > len(Genotype._fields):
        raise GenotypeError(f'Genotype(...): {len(node.args)} positional arguments; it has '
                            f'{len(Genotype._fields)} fields')
    fields = dict(zip(Genotype._fields, node.args))
    fields.update({kw.arg: kw.value for kw in node.keywords})
    try:
        values = {k: _literal(v) for k, v in fields.items()}
    except (ValueError, TypeError, SyntaxError):
        raise GenotypeError('Genotype(...): the fields must be literals (lists, tuples, '
                            'strings, ints, range(a, b))') from None
    return validate_genotype(values, primitives)


def genotype_to_string(genotype: Any) -> str:
    """The DARTS text form, one node per line (parsable by :func:`genotype_from_string`)."""
    genotype = validate_genotype(genotype, primitives=None)
    lines = ['Genotype(']
    for cell in CELLS:
        edges = getattr(genotype, cell)
        nodes = [', '.join(repr(e) for e in edges[k:k + EDGES_PER_NODE])
                 for k in range(0, len(edges), EDGES_PER_NODE)]
        indent = ' ' * (len(cell) + 6)
        lines.append(f'    {cell}=[' + f',\n{indent}'.join(nodes) + '],')
        lines.append(f'    {cell}_concat={list(getattr(genotype, cell + "_concat"))},')
    lines.append(')')
    return '\n'.join(lines)


def genotype_to_dict(genotype: Any) -> Dict:
    """A JSON-ready dict (edges as ``[op, input]`` lists)."""
    genotype = validate_genotype(genotype, primitives=None)
    return {k: ([list(e) for e in v] if k in CELLS else list(v))
            for k, v in genotype._asdict().items()}


# --- files --------------------------------------------------------------------------------
YAML_SUFFIXES = ('.yaml', '.yml')


def load_genotype(source: Union[str, Any], primitives: Iterable[str] = PRIMITIVES) -> Genotype:
    """A genotype from a name in :data:`GENOTYPES`, a fix_subnet YAML, a JSON file,
    a text/Python file holding ``Genotype(...)``, a genotype string or object."""
    if not isinstance(source, str):
        return validate_genotype(source, primitives)
    if source in GENOTYPES:
        return validate_genotype(GENOTYPES[source], primitives)
    if not osp.isfile(source):
        if source.lower().endswith(YAML_SUFFIXES + ('.json', '.py', '.txt')):
            raise GenotypeError(f'genotype file not found: {source}')
        return genotype_from_string(source, primitives)
    if source.lower().endswith(YAML_SUFFIXES):
        import yaml
        with open(source) as f:
            try:
                subnet = yaml.safe_load(f)
            except yaml.YAMLError as err:
                raise GenotypeError(f'{source}: not valid YAML: {err}') from None
        try:
            return subnet_to_genotype(subnet, primitives)
        except GenotypeError as err:
            raise GenotypeError(f'{source}: {err}') from None
    with open(source) as f:
        text = f.read()
    if source.lower().endswith('.py'):
        # a python file: the first Genotype(...) call in it (the file is not executed)
        start = text.find('Genotype(')
        if start < 0:
            raise GenotypeError(f'{source}: no Genotype(...) in the file')
        text = _balanced_call(text, start, source)
    try:
        return genotype_from_string(text, primitives)
    except GenotypeError as err:
        raise GenotypeError(f'{source}: {err}') from None


def _balanced_call(text: str, start: int, source: str) -> str:
    depth = 0
    for k in range(text.index('(', start), len(text)):
        depth += {'(': 1, ')': -1}.get(text[k], 0)
        if depth == 0:
            return text[start:k + 1]
    raise GenotypeError(f'{source}: unbalanced parentheses in Genotype(...)')


def subnet_yaml(genotype: Any, header: str = '',
                primitives: Optional[Iterable[str]] = PRIMITIVES) -> str:
    """The fix_subnet YAML text of a genotype, after optional ``# header`` lines."""
    import yaml
    subnet = genotype_to_subnet(genotype, primitives)
    text = yaml.safe_dump(subnet, default_flow_style=False, sort_keys=True)
    return ''.join(f'# {line}\n' if line else '#\n' for line in header.splitlines()) + text


def dump_subnet_yaml(genotype: Any, path: str, header: str = '',
                     primitives: Optional[Iterable[str]] = PRIMITIVES) -> None:
    """Write :func:`subnet_yaml` to ``path``."""
    text = subnet_yaml(genotype, header, primitives)
    with open(path, 'w') as f:
        f.write(text)
