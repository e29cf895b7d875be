"""six: moved modules, string helpers, metaclasses and reraise."""
# dists: six
import six
from six.moves import configparser, queue
from six.moves import range as srange
from six.moves.urllib.parse import urlencode, urlparse


class Meta(type):
    def __new__(mcs, name, bases, ns):
        ns["tag"] = name.lower()
        return super().__new__(mcs, name, bases, ns)


class C(six.with_metaclass(Meta, object)):
    pass


print(C.tag, six.PY3, six.ensure_str(b"bytes"), six.ensure_binary("é"))
print(urlparse("http://x/a?b=1").query, urlencode({"a": "b c"}), list(srange(3)))
q = queue.Queue()
q.put(1)
print(q.get(), configparser.ConfigParser().sections())
print(list(six.iteritems({"a": 1})), six.text_type is str)
