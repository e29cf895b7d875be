"""pydantic-core: a schema validator and serializer used directly (the Rust core)."""
# dists: pydantic-core
from pydantic_core import SchemaSerializer, SchemaValidator, ValidationError, core_schema

schema = core_schema.typed_dict_schema({
    "name": core_schema.typed_dict_field(core_schema.str_schema(min_length=1)),
    "age": core_schema.typed_dict_field(core_schema.int_schema(ge=0)),
    "tags": core_schema.typed_dict_field(core_schema.list_schema(core_schema.str_schema()),
                                         required=False),
})
v = SchemaValidator(schema)
print(v.validate_python({"name": "Ann", "age": "36"}))
print(v.validate_json('{"name": "Bob", "age": 7, "tags": ["x"]}'))
try:
    v.validate_python({"name": "", "age": -1})
except ValidationError as e:
    print(e.error_count(), [x["type"] for x in e.errors()])
print(SchemaSerializer(schema).to_json({"name": "Cy", "age": 3, "tags": []}))
