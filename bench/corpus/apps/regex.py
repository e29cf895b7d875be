"""regex: fuzzy matching, Unicode properties, variable lookbehind, named lists, overlaps."""
# dists: regex
import regex

print(regex.findall(r"(?:colour){e<=1}", "color colour kolour"))
print(regex.findall(r"\p{Greek}+", "alpha αβγ beta δε"))
print(regex.search(r"(?<=\d+ )apples", "12 apples").group())
print(regex.findall(r"\L<words>", "cat dog bird", words=["dog", "bird"]))
print(regex.findall(r"..", "abcd", overlapped=True))
print(regex.sub(r"(?i)ß", "ss", "Straße STRASSE"), regex.fullmatch(r"(?r)\w+", "back").group())
print(regex.split(r"\b", "a b", flags=regex.V1))
