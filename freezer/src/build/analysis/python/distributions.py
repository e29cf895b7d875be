# The installed distributions: which one a module's file belongs to (its RECORD), and what
# each declares it depends on (its Requires-Dist, with the environment markers that hold
# here and the extras that are installed). The closure follows an optional import into
# another distribution only where that distribution is declared (see closure.py).

import ast
import email.parser
import os
import platform
import re
import sys

# A requirement's name, at the start of a Requires-Dist line (PEP 508).
REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
# The release part of a version, compared as numbers (`3.10` > `3.9`).
RELEASE = re.compile(r"\d+(?:\.\d+)*")


def distribution_key(name):
    """A distribution's name as PEP 503 normalizes it, which a *.dist-info directory's
    name (`python_dateutil-2.9.0.dist-info`) and a query (`Python-Dateutil`) share."""
    return re.sub(r"[-_.]+", "-", name).lower()


def marker_environment():
    """The values of PEP 508's marker variables for this interpreter."""
    implementation = sys.implementation
    info = implementation.version
    version = f"{info.major}.{info.minor}.{info.micro}"
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return {
        "implementation_name": implementation.name,
        "implementation_version": version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def release_numbers(value):
    match = RELEASE.match(value)
    return tuple(int(part) for part in match.group().split(".")) if match else None


def marker_compare(op, left, right):
    """A marker comparison: by release numbers where both sides are versions (`~=` read
    as `>=`, enough to tell whether a requirement applies), else as strings."""
    if isinstance(op, (ast.In, ast.NotIn)):
        return (left in right) == isinstance(op, ast.In)
    a, b = release_numbers(left), release_numbers(right)
    if a is None or b is None:
        a, b = left, right
    elif len(a) != len(b):
        width = max(len(a), len(b))
        a, b = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return {
        ast.Eq: a == b,
        ast.NotEq: a != b,
        ast.Lt: a < b,
        ast.LtE: a <= b,
        ast.Gt: a > b,
        ast.GtE: a >= b,
    }[type(op)]


def marker_evaluate(node, environment):
    if isinstance(node, ast.Expression):
        return marker_evaluate(node.body, environment)
    if isinstance(node, ast.BoolOp):
        values = (marker_evaluate(v, environment) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = (marker_value(n, environment) for n in (node.left, node.comparators[0]))
        return marker_compare(node.ops[0], left, right)
    raise ValueError("not a marker")


def marker_value(node, environment):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return environment[node.id]
    raise ValueError("not a marker value")


def marker_holds(marker, environment):
    """Whether a PEP 508 marker holds in `environment`; one this cannot read is taken to
    hold, which keeps what it guards."""
    text = marker.replace("===", "==").replace("~=", ">=")
    try:
        return bool(marker_evaluate(ast.parse(text.strip(), mode="eval"), environment))
    except (SyntaxError, ValueError, KeyError, TypeError):
        return True


def requires_dist(metadata):
    """(name key, marker or "") of each Requires-Dist of a METADATA file's text, read as
    importlib.metadata reads it (headers in the email format, folded lines included)."""
    found = []
    headers = email.parser.HeaderParser().parsestr(metadata)
    for text in headers.get_all("Requires-Dist") or ():
        requirement, _, marker = str(text).partition(";")
        match = REQUIREMENT_NAME.match(requirement)
        if match:
            found.append((distribution_key(match.group(1)), marker.strip()))
    return found


class Distributions:
    """The distributions of the search path's *.dist-info directories, read once needed."""

    def __init__(self, observations, infos):
        self.observations = observations
        self.infos = list(infos)  # (directory name, path) as closure.distribution_infos
        self.by_file = None  # absolute path of an installed file -> distribution key
        self.names = {}  # distribution key -> its name as METADATA spells it
        self.metadata = {}  # distribution key -> the path of its *.dist-info
        self.declared = {}  # distribution key -> the keys it depends on, once computed
        self.environment = marker_environment()

    def index(self):
        if self.by_file is not None:
            return
        self.by_file = {}
        for item, info in self.infos:
            key = distribution_key(item.partition("-")[0])
            if key in self.metadata:
                continue  # shadowed: the first on the search path is the one imported
            self.metadata[key] = info
            self.names[key] = item.partition("-")[0]
            site = os.path.dirname(info)
            try:
                record = self.observations.read_file(os.path.join(info, "RECORD"))
            except OSError:
                continue
            for line in record.decode("utf-8", "replace").splitlines():
                path = line.rpartition(",")[0].rpartition(",")[0]
                if path:
                    path = os.path.normpath(os.path.join(site, path))
                    self.by_file.setdefault(path, key)

    def of_file(self, path):
        """The key of the distribution that installed the file `path`, or None."""
        self.index()
        return self.by_file.get(os.path.normpath(path)) if path else None

    def known(self, key):
        self.index()
        return key in self.metadata

    def name(self, key):
        self.index()
        return self.names.get(key, key)

    def requires(self, key):
        """The keys of the distributions `key` depends on here: its requirements whose
        markers hold, with those of each extra whose requirements are all installed (no
        installer records which extras were asked for; all of them installed is what
        asking leaves)."""
        if key in self.declared:
            return self.declared[key]
        self.index()
        self.declared[key] = declared = set()
        info = self.metadata.get(key)
        try:
            text = self.observations.read_file(os.path.join(info, "METADATA")).decode(
                "utf-8", "replace"
            )
        except (OSError, TypeError):
            return declared
        extras = {}
        for name, marker in requires_dist(text):
            if not marker:
                declared.add(name)
                continue
            if marker_holds(marker, dict(self.environment, extra="")):
                declared.add(name)
                continue
            for extra in re.findall(r"""extra\s*==\s*['"]([^'"]+)['"]""", marker):
                environment = dict(self.environment, extra=extra)
                if marker_holds(marker, environment):
                    extras.setdefault(extra, set()).add(name)
        for names in extras.values():
            if all(self.known(name) for name in names):
                declared.update(names)
        return declared
