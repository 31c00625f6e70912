"""The URLs an HTML page makes the browser load with it, for tests that fetch everything a page links."""

from html.parser import HTMLParser


class Links(HTMLParser):
    """The URLs a page loads with it: src of any element, href of <link> (styles, icons)."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if attributes.get("src"):
            self.urls.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"])
