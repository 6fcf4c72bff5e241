"""The new words of a customer's email: the HTML turned into text, and the quoted history,
signatures and "sent from my phone" lines cut off, in Spanish and English.

Kept small and tested (tests/support/test_email_text.py) rather than taken from a library: the
ones on PyPI that work offline either read only English or, in Spanish, take "Gracias, pero…" at
the start of a line for a signature and cut the complaint that follows.
"""

import re
from html.parser import HTMLParser

# "On Tue, 3 Jun 2025 at 10:15, Tienda <…> wrote:" / "El mar, 3 jun 2025 a las 10:15, Tienda (<…>) escribió:"
# (mail programs may wrap it over two lines, so it is also tried on a line joined with the next)
_QUOTE_HEADER = re.compile(r"^\s*(?:on|el)\s.{4,300}?\s(?:wrote|escribió|escribio)\s*:\s*$", re.IGNORECASE)
_FORWARD_MARK = re.compile(
    r"^\s*-{2,}\s*(?:original message|mensaje original|forwarded message|mensaje reenviado)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_RULE = re.compile(r"^\s*_{10,}\s*$")
_OUTLOOK_FROM = re.compile(r"^\s*\*?(?:from|de)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_FIELDS = re.compile(r"^\s*\*?(?:sent|date|enviado|fecha|to|para|subject|asunto)\s*:", re.IGNORECASE)
_SIGNATURE_MARK = re.compile(r"^--\s?$")
_SENT_FROM = re.compile(
    r"^\s*(?:enviado desde mi|sent from my|enviado desde outlook|sent from outlook|get outlook for|"
    r"obtener outlook para|descargar outlook para)\b",
    re.IGNORECASE,
)


def _starts_history(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _FORWARD_MARK.match(line) or _OUTLOOK_RULE.match(line) or _SIGNATURE_MARK.match(line):
        return True
    if _SENT_FROM.match(line):
        return True
    if _QUOTE_HEADER.match(line):
        return True
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if line.strip() and following.strip() and _QUOTE_HEADER.match(f"{line.rstrip()} {following.strip()}"):
        return True
    if _OUTLOOK_FROM.match(line):
        # an Outlook header block: From/De followed by Sent/Date/To/Subject lines
        return sum(1 for nearby in lines[index + 1 : index + 5] if _OUTLOOK_FIELDS.match(nearby)) >= 2
    return False


def reply_text_strip(text: str) -> str:
    """The part of an email the sender wrote now: everything from the first quote header, forward
    mark, Outlook header block, signature delimiter ("-- ") or "Sent from my …" line on is dropped,
    and so is any line quoted with ">"."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _starts_history(lines, index):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}
    SKIPPED = {"script", "style", "head", "title", "blockquote"}
    # the quoted history of Gmail, Thunderbird, Yahoo and Outlook on the web
    QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted")
    QUOTE_IDS = ("divrplyfwdmsg", "appendonsend")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # open elements and whether each one hides its content

    def _hidden(self) -> bool:
        return any(hides for _tag, hides in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = {name: (value or "") for name, value in attrs}
        classes = attributes.get("class", "").lower()
        hides = (
            tag in self.SKIPPED
            or any(name in classes for name in self.QUOTE_CLASSES)
            or attributes.get("id", "").lower() in self.QUOTE_IDS
        )
        if tag in self.BLOCKS and not self._hidden():
            self.parts.append("\n")
        if tag not in ("br", "img", "hr", "meta", "link", "input", "wbr"):
            self.stack.append((tag, hides))

    def handle_endtag(self, tag):
        for position in range(len(self.stack) - 1, -1, -1):
            if self.stack[position][0] == tag:
                del self.stack[position:]
                break
        if tag in self.BLOCKS and not self._hidden():
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._hidden():
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """Readable text of an HTML email, without its quoted history."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [line.strip() for line in "".join(extractor.parts).replace("\xa0", " ").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
