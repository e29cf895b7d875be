"""RapidFuzz: string similarity scores and best-match extraction."""
# dists: rapidfuzz
from rapidfuzz import distance, fuzz, process

print(fuzz.ratio("this is a test", "this is a test!"), fuzz.token_sort_ratio("fuzzy wuzzy", "wuzzy fuzzy"))
print(process.extract("new york", ["New York", "Newark", "York", "Boston"], scorer=fuzz.WRatio, limit=3))
print(distance.Levenshtein.distance("kitten", "sitting"), distance.JaroWinkler.similarity("abc", "abd"))
