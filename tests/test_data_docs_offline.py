"""Data Docs pages pointed at the scripts and styles of the docs folder, without a browser
(tests/test_data_docs_browser.py opens them in Chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest

from expectations import data_docs

# What GX 1.24's templates write (lines as they are: long).
GX_HEAD = """<html><head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" integrity="sha384-JjSmVgyd0p3pXB1rRibZUAYoIIy6OrQ6VrjIEaFf/nJGzIxFDsf4x0xIM+B07jRM" crossorigin="anonymous"></script>
<link rel="shortcut icon" href="../../../static/images/favicon.ico" type="image/x-icon"/>
</head><body><img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1&dataContextId=x">
<footer>
  <p>Stay current on everything GX with our newsletter <a href="https://greatexpectations.io/newsletter?a=b">Subscribe</a></p>
</footer></body></html>"""  # noqa: E501


def test_every_cdn_file_is_vendored_with_a_licence():
    for file in data_docs.CDN.values():
        assert (data_docs.VENDOR / file).is_file(), file
        folder = data_docs.VENDOR / file.split("/")[0]
        assert list(folder.glob("LICENSE*")), f"{folder} has no licence"


def test_an_earlier_validation_page_is_pointed_at_the_docs_folder_once(tmp_path: Path):
    docs = tmp_path / "docs"
    page = docs / "validations" / "ssi__context" / "run" / "time" / "spf-ssi__context.html"
    page.parent.mkdir(parents=True)
    page.write_text(GX_HEAD)
    data_docs.localise_earlier(docs)
    text = page.read_text()
    assert "https://" not in text and "vega" not in text and "integrity" not in text
    vendor = "../../../../static/vendor"
    assert f'href="{vendor}/bootstrap-4.3.1/bootstrap.min.css"' in text
    assert f'src="{vendor}/jquery-3.7.1/jquery.min.js"' in text
    assert 'href="../../../../static/images/favicon.ico"' in text  # GX's is one level short
    assert 'src="../../../../static/images/logo-long.png"' in text
    for link in ("jquery-3.7.1/jquery.min.js", "bootstrap-4.3.1/bootstrap.min.css"):
        assert (docs / "static" / "vendor" / link).is_file()
    # Done once per docs folder: a page written later is GX's again, and left to the gates.
    page.write_text(GX_HEAD)
    data_docs.localise_earlier(docs)
    assert "https://code.jquery.com" in page.read_text()


def test_a_page_that_still_loads_something_from_outside_is_refused(tmp_path: Path):
    page = tmp_path / "index.html"
    page.write_text('<script src="https://cdn.example.org/new-library.js"></script>')
    with pytest.raises(data_docs.DataDocsError, match="new-library.js"):
        data_docs.localise(page, tmp_path)
