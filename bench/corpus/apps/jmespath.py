"""jmespath: queries with projections, filters, functions and multiselects."""
# dists: jmespath
import jmespath

data = {"people": [{"name": "a", "age": 30, "tags": ["x"]}, {"name": "b", "age": 20, "tags": []},
                   {"name": "c", "age": 40, "tags": ["y", "z"]}]}
for q in ["people[?age > `25`].name", "sort_by(people, &age)[].name", "max_by(people, &age).name",
          "people[*].{n: name, t: length(tags)}", "sum(people[].age)"]:
    print(q, "->", jmespath.search(q, data))
print(jmespath.compile("a.b").search({"a": {"b": 1}}))
