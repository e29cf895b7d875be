"""attrs: classes with validators, converters, slots, frozen instances, asdict and evolve."""
# dists: attrs
import attr
import attrs


@attrs.define
class Point:
    x: int = attrs.field(converter=int)
    y: int = attrs.field(default=0, validator=attrs.validators.ge(0))


@attrs.frozen
class Box:
    lo: Point
    hi: Point
    tags: tuple = ()


b = Box(Point("1", 2), Point(3, 4), ("a",))
print(b, attrs.asdict(b))
print(attrs.evolve(b, tags=("b",)), attrs.fields(Point).y.default)
try:
    Point(1, -1)
except ValueError as e:
    print("ValueError:", e.args[0])
try:
    b.tags = ()
except attr.exceptions.FrozenInstanceError:
    print("frozen")
print(Point(1) == Point(1), Point.__hash__ is None, attrs.has(Box))
