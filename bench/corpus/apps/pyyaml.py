"""PyYAML: safe load and dump, with the C (libyaml) loader and dumper when present."""
# dists: pyyaml
import yaml

text = """
name: corpus
version: 1.2
items: [a, b, {c: 3}]
nested:
  when: 2024-02-29
  empty: ~
  multi: |
    line one
    line two
"""
data = yaml.safe_load(text)
print(data)
print(yaml.safe_dump(data, sort_keys=True, default_flow_style=False))
print("libyaml:", yaml.__with_libyaml__)
if yaml.__with_libyaml__:
    print(yaml.load(text, Loader=yaml.CSafeLoader) == data)
    print(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=True))
print(list(yaml.safe_load_all("---\na: 1\n---\nb: 2\n")))
try:
    yaml.safe_load("a: [1, 2")
except yaml.YAMLError as e:
    print(type(e).__name__, e.problem)
