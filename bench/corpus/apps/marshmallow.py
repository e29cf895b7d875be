"""marshmallow: schemas with nested fields, validation, load and dump."""
# dists: marshmallow
import datetime

from marshmallow import Schema, ValidationError, fields, validate


class Pet(Schema):
    name = fields.Str(required=True)


class Owner(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=2))
    email = fields.Email()
    born = fields.Date()
    pets = fields.List(fields.Nested(Pet))


s = Owner()
print(s.load({"name": "Ann", "email": "ann@example.org", "born": "1990-05-01", "pets": [{"name": "Rex"}]}))
print(s.dump({"name": "Bob", "born": datetime.date(2000, 1, 2), "pets": []}))
try:
    s.load({"name": "A", "email": "bad", "pets": [{}]})
except ValidationError as e:
    print(dict(sorted(e.messages.items())))
