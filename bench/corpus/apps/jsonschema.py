"""jsonschema: validation with Draft 2020-12, format checks, error paths, $ref resolution."""
# dists: jsonschema, jsonschema-specifications, referencing, rpds-py, attrs
import jsonschema
from jsonschema import Draft202012Validator

schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {"pos": {"type": "integer", "minimum": 1}},
    "type": "object",
    "properties": {"name": {"type": "string", "minLength": 2}, "age": {"$ref": "#/$defs/pos"},
                   "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True}},
    "required": ["name"],
}
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
print(v.is_valid({"name": "Ann", "age": 3, "tags": ["a"]}))
for e in sorted(v.iter_errors({"name": "A", "age": 0, "tags": ["a", "a"]}), key=lambda e: list(e.path)):
    print(list(e.absolute_path), e.validator, e.message)
try:
    jsonschema.validate(5, {"type": "string"})
except jsonschema.ValidationError as e:
    print("ValidationError:", e.message)
print(jsonschema.validators.validator_for({"$schema": "http://json-schema.org/draft-07/schema#"}).__name__)
