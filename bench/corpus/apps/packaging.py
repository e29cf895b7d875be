"""packaging: versions, specifiers, requirements, markers and this interpreter's wheel tags."""
# dists: packaging
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import sys_tags
from packaging.version import Version

vs = sorted(Version(v) for v in ["1.0", "1.0rc1", "1.0.post1", "0.9", "1.0.dev2", "2!0.1"])
print([str(v) for v in vs])
print(list(SpecifierSet(">=1.0,<2,!=1.3").filter(["0.9", "1.0", "1.3", "1.9", "2.0"])))
r = Requirement('requests[socks]>=2.8; python_version >= "3"')
print(r.name, sorted(r.extras), r.specifier, r.marker.evaluate())
print(Marker('os_name == "posix" and platform_machine != "sparc"').evaluate())
tags = list(sys_tags())
print(tags[0].interpreter, tags[0].abi, len(tags) > 10)
