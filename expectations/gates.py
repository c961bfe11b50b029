"""Quality gates: run the Great Expectations suites of expectations/suites/ as checkpoints.

Suites are JSON files in the repository, one per table (`ssi__beneficiaries`,
`marts__coverage_sdg131`, ...). Each expectation carries a severity: `critical`
blocks (an error), `warning` and `info` are reported only. Each expectation
says in `meta.why` why it exists. Results go to a file-backed GX project in the
pipeline's home, and every checkpoint updates the Data Docs site statisticians
open in a browser.

GX has no DuckDB datasource on this stack, so tables are validated as pandas
frames (see ../shared/stack-notes.md). Data Docs work offline (`data_docs.py`), name the data
each validation read (a submission, a fetch, a build's mart), and show an expectation that
failed below `critical` as a warning, as the run summary says it.
"""

from __future__ import annotations

import functools
import json
import logging
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from expectations import data_docs
from ingest.paths import EXPECTATIONS_DIR

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a night with nothing new needs none of it

SUITES_DIR = EXPECTATIONS_DIR / "suites"
DOCS_STYLES = EXPECTATIONS_DIR / "data_docs.css"
SITE = "spf"
BLOCKING = "critical"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    """One failed expectation: what it checks, why it exists, and where it failed."""

    suite: str
    expectation: str
    column: str | None
    severity: str
    why: str
    unexpected_count: int
    examples: list
    rows: list[dict] = field(default_factory=list)  # index columns of the failing rows

    @property
    def blocking(self) -> bool:
        return self.severity == BLOCKING

    def describe(self) -> str:
        what = f"{self.expectation}({self.column})" if self.column else self.expectation
        shown = ", ".join(_rounded(v) for v in self.examples[:5])
        where = f" on {self.unexpected_count} row(s), e.g. {shown}" if self.unexpected_count \
            else ""
        return f"{self.suite}: {what} failed{where} [{self.severity}] - {self.why}"


@dataclass
class GateResult:
    suite: str
    failures: list[Failure]
    docs_page: str | None
    evaluated: int = 0
    identifier: object = None  # GX ValidationResultIdentifier, for its Data Docs page
    data: str | None = None  # what it validated ("SSI submission KHM-2019-r1")
    by_unit: dict[str, list[str]] = field(default_factory=dict)  # a source gate's failures
    # per unit they name rows of (a submission, a fetch), blocking or not

    @property
    def passed(self) -> bool:
        return not any(f.blocking for f in self.failures)

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if not f.blocking]


class GateFailed(RuntimeError):
    """A blocking expectation failed: nothing downstream may be published."""

    def __init__(self, results: list[GateResult]):
        self.results = results
        blocking = [f for r in results for f in r.failures if f.blocking]
        super().__init__("quality gate failed: " + "; ".join(f.describe() for f in blocking))


class SuiteError(RuntimeError):
    """A suite file that Great Expectations cannot run as written."""


def suite_names(prefix: str = "") -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob(f"{prefix}*.json"))


def load_suite(name: str) -> dict:
    return json.loads((SUITES_DIR / f"{name}.json").read_text())


class Gates:
    """A Great Expectations project in `gx_root` writing Data Docs to `docs_dir`."""

    def __init__(self, gx_root: Path, docs_dir: Path):
        self.gx_root = gx_root
        self.docs_dir = docs_dir
        self._checkpoints: dict[str, object] = {}

    @cached_property
    def context(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import great_expectations as gx  # ~2 s to import: only when a gate runs
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        context = gx.get_context(mode="file", project_root_dir=str(self.gx_root))
        styles = Path(context.root_directory) / "plugins" / "custom_data_docs" / "styles"
        styles.mkdir(parents=True, exist_ok=True)
        (styles / "data_docs_custom_styles.css").write_bytes(DOCS_STYLES.read_bytes())
        context.variables.progress_bars = {"globally": False}
        context.variables.save()
        sites = context.get_config().data_docs_sites or {}
        if "local_site" in sites:
            context.delete_data_docs_site("local_site")
        # No walkthrough or newsletter footer: they link to GX's web site, unreachable offline.
        site = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder",
                                   "show_cta_footer": False},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(self.docs_dir)},
        }
        if SITE in sites:
            context.update_data_docs_site(SITE, site)
        else:
            context.add_data_docs_site(SITE, site)
        # Recreated once per process: a source read back from the project's YAML has no
        # context attached and cannot build batches; later suites only add assets to it.
        self._source = context.data_sources.add_or_update_pandas(name="spf")
        _show_warnings_as_warnings()
        return context

    def _checkpoint(self, name: str, index_columns: list[str]):
        if name in self._checkpoints:
            return self._checkpoints[name]
        import great_expectations as gx

        context = self.context
        source = self._source
        asset = next((a for a in source.assets if a.name == name), None) or \
            source.add_dataframe_asset(name=name)
        batch = next((b for b in asset.batch_definitions if b.name == "all"), None) or \
            asset.add_batch_definition_whole_dataframe("all")
        spec = load_suite(name)
        suite = context.suites.add_or_update(gx.ExpectationSuite(
            name=name, expectations=spec["expectations"], meta=spec.get("meta", {})))
        if len(suite.expectations) != len(spec["expectations"]):
            # GX logs and drops an expectation it cannot build; a gate must not shrink silently.
            raise SuiteError(f"suite {name}: only {len(suite.expectations)} of "
                             f"{len(spec['expectations'])} expectations could be built")
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch, suite=suite))
        checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
            name=name, validation_definitions=[definition],
            result_format={"result_format": "COMPLETE",
                           "unexpected_index_column_names": index_columns},
        ))
        self._checkpoints[name] = checkpoint
        return checkpoint

    def validate(self, name: str, frame: pd.DataFrame, index_columns: list[str],
                 run_name: str | None = None, data: str | None = None) -> GateResult:
        """Run suite `name` on `frame`; failing rows are identified by `index_columns`;
        `data` names what the frame holds, for Data Docs."""
        return self.validate_all([(name, frame, index_columns, data)], run_name)[0]

    def validate_all(self, batches: list[tuple], run_name: str | None = None
                     ) -> list[GateResult]:
        """Run each (suite, frame, index columns[, data]) as its checkpoint, then update Data
        Docs once; `data` names what the frame holds ("SSI submission KHM-2019-r1"), which
        each Data Docs page shows as its data asset.

        Rendering Data Docs costs more than validating small frames, so pages are built
        for the whole batch of results in one pass rather than by each checkpoint.
        """
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )

        results, identifiers = [], []
        for name, frame, index_columns, *data in batches:
            checkpoint = self._checkpoint(name, [c for c in index_columns if c in frame.columns])
            outcome = checkpoint.run(batch_parameters={"dataframe": frame},
                                     run_id=RunIdentifier(run_name=run_name))
            for identifier, run in outcome.run_results.items():
                identifiers.append(identifier)
                results.append(self._result(name, identifier, run))
                results[-1].data = data[0] if data and data[0] else name
                self._name_data(identifier, run, results[-1].data)
        if identifiers:
            suites = [ExpectationSuiteIdentifier(name) for name in dict.fromkeys(
                r.suite for r in results)]
            self.context.build_data_docs(site_names=[SITE],
                                         resource_identifiers=identifiers + suites)
            data_docs.localise_earlier(self.docs_dir)
            data_docs.install(self.docs_dir)
            pages = [self.docs_dir / "index.html",
                     *(self.docs_dir / "expectations" / f"{s.name}.html" for s in suites)]
            for result in results:
                result.docs_page = self._docs_page(result.identifier)
                if result.docs_page:
                    pages.append(Path(result.docs_page.removeprefix("file://")))
            for page in pages:
                try:
                    data_docs.localise(page, self.docs_dir)
                except (OSError, data_docs.DataDocsError):  # never fails a gate
                    log.warning("Data Docs page %s may not open offline", page, exc_info=True)
        return results

    def _name_data(self, identifier, run, data: str) -> None:
        """Record what the validation read as its data asset, which its page shows ("Data
        asset: None" otherwise: a dataframe batch has no name), and count it as passed when
        only expectations below `critical` failed, as the gate does."""
        run.meta.setdefault("batch_spec", {})["data_asset_name"] = data
        run.success = all(item.success or _severity(item.expectation_config) != BLOCKING
                          for item in run.results)
        self.context.validation_results_store.set(identifier, run)

    def _result(self, name: str, identifier, run) -> GateResult:
        failures = []
        for item in run.results:
            if item.success:
                continue
            config = item.expectation_config
            details = item.result or {}
            rows = [{k: _plain(v) for k, v in row.items()}
                    for row in details.get("unexpected_index_list") or []
                    if isinstance(row, dict)]
            failures.append(Failure(
                suite=name, expectation=config.type, column=config.kwargs.get("column"),
                severity=_severity(config),
                why=(config.meta or {}).get("why", ""),
                unexpected_count=int(details.get("unexpected_count") or 0),
                examples=[_plain(v) for v in (details.get("partial_unexpected_list")
                                              or [details.get("observed_value")])],
                rows=rows,
            ))
        return GateResult(name, failures, None, len(run.results), identifier)

    def _docs_page(self, identifier) -> str | None:
        try:
            urls = self.context.get_docs_sites_urls(resource_identifier=identifier,
                                                    site_name=SITE)
            return urls[0]["site_url"] if urls else None
        except Exception:  # a missing docs page must never fail a gate
            log.warning("no Data Docs page for %s", identifier, exc_info=True)
            return None


@functools.lru_cache(maxsize=4)
def gates_for(gx_root: Path, docs_dir: Path) -> Gates:
    """One Great Expectations context per installation and process (it takes seconds)."""
    return Gates(gx_root, docs_dir)


def _rounded(value) -> str:
    """A value a check found, as people read it: 104.35657800143781 as 104.36."""
    if isinstance(value, float) and value == value and abs(value) < 1e15:
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:g}"
    return repr(value)


def _severity(config) -> str:
    """An expectation's severity as its suite file writes it (critical, warning, info)."""
    return str(getattr(config.severity, "value", config.severity))


def _show_warnings_as_warnings() -> None:
    """Make Data Docs mark a failed expectation below `critical` with a warning sign and the
    word "warning", not GX's red cross: it never blocks, and the run summary calls it a
    warning. GX picks a validation row's icon from its renderer registry, per expectation
    type; each type's renderer is wrapped once."""
    from great_expectations.expectations.registry import _registered_renderers, register_renderer
    from great_expectations.render import (
        LegacyDiagnosticRendererType,
        RenderedStringTemplateContent,
    )

    kind = LegacyDiagnosticRendererType.STATUS_ICON
    for expectation, renderers in list(_registered_renderers.items()):
        parent, original = renderers.get(kind, (None, None))
        if original is None or getattr(original, "spf_severity", False):
            continue

        def icon(result=None, _original=original, **kwargs):
            if result is None or result.success or \
                    _severity(result.expectation_config) == BLOCKING:
                return _original(result=result, **kwargs)
            return RenderedStringTemplateContent(
                content_block_type="string_template",
                string_template={
                    "template": "$icon warning",
                    "params": {"icon": "", "markdown_status_icon": "⚠"},
                    "styling": {"classes": ["spf-warning"], "params": {"icon": {
                        "tag": "i", "classes": ["fas", "fa-exclamation-triangle",
                                                "text-warning"]}}},
                })

        icon._renderer_type = kind
        icon.spf_severity = True
        register_renderer(expectation, parent, icon)


def _plain(value):
    """numpy and pandas scalars as plain Python values (for JSON and messages)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    return value
