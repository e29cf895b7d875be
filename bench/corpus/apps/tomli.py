"""tomli: parses TOML, with errors."""
# dists: tomli
import tomli

doc = tomli.loads('title = "x"\n[owner]\nname = "Tom"\ndob = 1979-05-27T07:32:00-08:00\n'
                  '[[products]]\nname = "Hammer"\nsku = 738594937\n[[products]]\nname = "Nail"\n')
print(doc)
try:
    tomli.loads("a = ")
except tomli.TOMLDecodeError as e:
    print("TOMLDecodeError:", e)
