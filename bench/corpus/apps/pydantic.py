"""pydantic: models with validation, coercion, errors, serialisation and JSON schema."""
# dists: pydantic, annotated-types, typing-inspection
import datetime
import json
from typing import List, Optional

from pydantic import BaseModel, Field, ValidationError, field_validator


class Item(BaseModel):
    name: str
    price: float = Field(gt=0)
    tags: List[str] = []


class Order(BaseModel):
    id: int
    when: datetime.date
    items: List[Item]
    note: Optional[str] = None

    @field_validator("note")
    @classmethod
    def strip(cls, v):
        return v.strip() if v else v


o = Order.model_validate({"id": "42", "when": "2024-02-29", "items": [{"name": "pen", "price": "1.5"}],
                          "note": "  fragile "})
print(repr(o))
print(o.model_dump_json())
try:
    Order(id="x", when="2024-13-01", items=[{"name": "n", "price": -1}])
except ValidationError as e:
    for err in e.errors():
        print(err["loc"], err["type"])
print(json.dumps(Order.model_json_schema(), sort_keys=True)[:300])
