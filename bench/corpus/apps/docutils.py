"""docutils: reStructuredText to HTML and to a pseudo-XML document tree."""
# dists: docutils
from docutils.core import publish_parts, publish_string

rst = """
Title
=====

Some *emphasis*, ``code`` and a list:

- one
- two

.. note:: A note.

=====  =====
a      b
=====  =====
1      2
=====  =====
"""
parts = publish_parts(rst, writer_name="html5", settings_overrides={"report_level": 5})
print(parts["title"])
print(parts["body"])
print(publish_string(rst, writer_name="pseudoxml", settings_overrides={"report_level": 5}).decode()[:400])
