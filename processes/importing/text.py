"""Text as cells hold it, made comparable: NFKC (full-width digits and brackets become ASCII), no whitespace,
no punctuation at either end."""

import re
import unicodedata

_EDGE_PUNCTUATION = re.compile(r"^[。.;,、\s]+|[。.;,、\s]+$")


def squeeze(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(text.split())
    return _EDGE_PUNCTUATION.sub("", text)
