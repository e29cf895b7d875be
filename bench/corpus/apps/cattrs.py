"""cattrs: structuring and unstructuring nested attrs classes, with errors."""
# dists: cattrs
from typing import Dict, List, Optional

import attrs
import cattrs


@attrs.define
class Pet:
    name: str
    age: int


@attrs.define
class Owner:
    name: str
    pets: List[Pet]
    meta: Dict[str, int]
    note: Optional[str] = None


raw = {"name": "Ann", "pets": [{"name": "Rex", "age": "3"}], "meta": {"a": 1}}
o = cattrs.structure(raw, Owner)
print(o, cattrs.unstructure(o))
try:
    cattrs.structure({"name": "x", "pets": [{"name": "y"}], "meta": {}}, Owner)
except cattrs.ClassValidationError as e:
    print(cattrs.transform_error(e))
from cattrs.preconf.json import make_converter

print(make_converter().dumps(o))
