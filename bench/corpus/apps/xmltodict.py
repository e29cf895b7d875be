"""xmltodict: XML to dicts and back, with attributes, namespaces and lists."""
# dists: xmltodict
import xmltodict

doc = xmltodict.parse('<r xmlns:a="urn:a"><a:i n="1">x</a:i><a:i n="2">y</a:i><e/></r>',
                      process_namespaces=True)
print(doc)
print(xmltodict.unparse({"root": {"@v": "1", "item": ["a", "b"], "t": {"#text": "z"}}}, pretty=True))
