"""What the greeter says."""

GREETINGS = {"en": "Hello", "fr": "Bonjour", "de": "Hallo"}


def greeting(name, language="en"):
    return "{}, {}!".format(GREETINGS[language], name)
