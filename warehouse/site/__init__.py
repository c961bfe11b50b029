"""The programme's pages: a static site (index, a page per country and per thematic area,
the CSV of every chart and table) built from a published warehouse only, written with
every publication into `<home>/site/` and by `spf site`. The contract is
../shared/specs/site.md."""
