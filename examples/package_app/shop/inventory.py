STOCK = {"apple": 10, "book": 2, "tea": 5}

# item: (price in cents, tax category)
PRICES = {"apple": (50, "food"), "book": (1200, "books"), "tea": (399, "food")}
