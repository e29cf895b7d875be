"""typing-extensions: TypedDict, Protocol checks, Literal and Annotated introspection."""
# dists: typing-extensions
from typing_extensions import (
    Annotated,
    Literal,
    NotRequired,
    Protocol,
    TypedDict,
    get_args,
    get_type_hints,
    runtime_checkable,
)


class Movie(TypedDict):
    title: str
    year: NotRequired[int]


@runtime_checkable
class Closable(Protocol):
    def close(self) -> None: ...


class F:
    def close(self):
        pass


print(Movie.__required_keys__, Movie.__optional_keys__, isinstance(F(), Closable))
print(get_args(Literal["a", "b"]), get_args(Annotated[int, "meta"]))
print(get_type_hints(Movie))
