"""lxml: XML parsing, XPath, XSLT, HTML parsing and serialisation."""
# dists: lxml
from lxml import etree, html

doc = etree.fromstring(b"<lib><book id='1'><t>Dune</t><y>1965</y></book>"
                       b"<book id='2'><t>Emma</t><y>1815</y></book></lib>")
print(doc.xpath("//book[y > 1900]/t/text()"), doc.xpath("count(//book)"))
xslt = etree.XSLT(etree.fromstring(
    b"<xsl:stylesheet version='1.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform'>"
    b"<xsl:template match='/'><ul><xsl:for-each select='//book'><li><xsl:value-of select='t'/>"
    b"</li></xsl:for-each></ul></xsl:template></xsl:stylesheet>"))
print(str(xslt(doc)).strip())
page = html.fromstring("<html><body><p class=x>Hello <b>world</b><a href='/a'>link</a></p></body></html>")
print(page.text_content(), [a.get("href") for a in page.iter("a")])
page.make_links_absolute("https://example.org/")
print(html.tostring(page, encoding="unicode"))
root = etree.Element("root", nsmap={"c": "urn:corpus"})
etree.SubElement(root, "{urn:corpus}child", n="1").text = "é"
print(etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode())
try:
    etree.fromstring(b"<a><b></a>")
except etree.XMLSyntaxError as e:
    print("XMLSyntaxError:", e)
