"""hello: the smallest app; its start-up is the interpreter's and the bundler's own cost."""
print("Hello from a frozen app!")
