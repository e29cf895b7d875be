"""FastAPI: a typed API with pydantic models, validation errors and the OpenAPI schema."""
# dists: fastapi, starlette, pydantic
from typing import List

from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from pydantic import BaseModel

app = FastAPI(title="corpus")


class Item(BaseModel):
    name: str
    qty: int = 1


DB = {}


@app.post("/items/{key}")
def put(key: str, item: Item) -> Item:
    DB[key] = item
    return item


@app.get("/items")
def all_items(limit: int = 10) -> List[Item]:
    return [DB[k] for k in sorted(DB)][:limit]


@app.get("/items/{key}")
def get(key: str) -> Item:
    if key not in DB:
        raise HTTPException(404, "no such item")
    return DB[key]


with TestClient(app) as c:
    print(c.post("/items/b", json={"name": "bolt", "qty": 3}).json())
    print(c.post("/items/a", json={"name": "axe"}).json())
    print(c.get("/items", params={"limit": 5}).json())
    print(c.get("/items/z").json())
    r = c.post("/items/c", json={"qty": "many"})
    print(r.status_code, [e["type"] for e in r.json()["detail"]])
    print(sorted(c.get("/openapi.json").json()["paths"]))
